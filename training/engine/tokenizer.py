"""A WordPiece tokenizer learned from the train split, run by Hugging Face ``tokenizers``, BERT-style:
lowercasing normaliser, whitespace/punctuation pre-tokeniser, ``[CLS] text [SEP]``. Only the train
split is seen, so val/test words stay unseen vocabulary, as they would be in production.

The vocabulary is chosen here, not by ``tokenizers.trainers.WordPieceTrainer``: that trainer breaks
ties between equally frequent merges in an unseeded hash order, so the same texts gave a different
vocabulary on every call (measured: 30 distinct vocabularies, 8 distinct token sets, in 30 calls on
200 texts), and a run could not be repeated from its seed. Ours is deterministic: every character
(alone and as a ``##`` continuation, so nothing seen in training is [UNK]), then whole words, word
prefixes and ``##`` suffixes ranked by how many word occurrences they cover, ties broken by the piece
itself. The WordPiece model then splits greedily, longest piece first, as BERT's does.

Chinese: the normaliser puts spaces around every Han character, so Chinese text is one piece per
character (a standard choice for Chinese classification, and BERT's), with no ``##`` twins for them.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

PAD, UNK, CLS, SEP = "[PAD]", "[UNK]", "[CLS]", "[SEP]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP]  # ids 0..3 in this order
PAD_ID = 0


MIN_FREQUENCY = 2  # a piece covering fewer word occurrences is left to smaller pieces

# The ideograph blocks BertNormalizer(handle_chinese_chars=True) surrounds with spaces (BERT's
# _is_chinese_char): each such character is a word of its own, so one piece per character, and its
# "##" continuation can never occur. Giving those no "##" entry keeps the vocabulary for pieces that
# do (on Chinese reviews 43% of it went to such dead entries).
_ISOLATED = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF), (0x2A700, 0x2CEAF),
             (0x2F800, 0x2FA1F))


def isolated(char: str) -> bool:
    """True for a character the normaliser always makes a word of its own (a Han ideograph)."""
    code = ord(char)
    return any(low <= code <= high for low, high in _ISOLATED)
MAX_PREFIX, MAX_SUFFIX = 6, 4  # longest word prefix / ## suffix considered as a piece


def word_counts(texts: Sequence[str]) -> Counter:
    """How often each pre-tokenised, normalised word occurs in ``texts``."""
    normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=None, clean_text=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts: Counter = Counter()
    for text in texts:
        counts.update(word for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    return counts


def wordpiece_vocabulary(counts: Counter, vocab_size: int) -> list[str]:
    """The specials, then characters by frequency, then ranked pieces; at most ``vocab_size``.

    >>> wordpiece_vocabulary(Counter({"good": 3, "goods": 2, "bad": 1}), 30)[:4]
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]']
    >>> "good" in wordpiece_vocabulary(Counter({"good": 3, "goods": 2, "bad": 1}), 30)
    True
    """
    chars: Counter = Counter()
    pieces: Counter = Counter()
    for word, n in counts.items():
        for char in word:
            chars[char] += n
        pieces[word] += n
        for k in range(2, min(len(word), MAX_PREFIX + 1)):
            if k < len(word):
                pieces[word[:k]] += n
        for k in range(2, min(len(word) - 1, MAX_SUFFIX) + 1):
            pieces["##" + word[-k:]] += n
    by_rank = sorted(chars, key=lambda c: (-chars[c], c))
    vocab = list(SPECIAL_TOKENS) + [c for char in by_rank for c in ((char,) if isolated(char) else (char, "##" + char))]
    seen = set(vocab)
    ranked = sorted((p for p, n in pieces.items() if n >= MIN_FREQUENCY and p not in seen), key=lambda p: (-pieces[p], p))
    return (vocab + ranked)[:vocab_size]


def train_tokenizer(texts: Sequence[str], *, vocab_size: int, max_length: int) -> Tokenizer:
    """A WordPiece tokenizer over ``texts`` with at most ``vocab_size`` pieces, truncating to ``max_length``.
    The same texts always give the same tokenizer."""
    vocab = wordpiece_vocabulary(word_counts(texts), vocab_size)
    tokenizer = Tokenizer(
        models.WordPiece(vocab={piece: i for i, piece in enumerate(vocab)}, unk_token=UNK, max_input_chars_per_word=100)
    )
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=None, clean_text=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{CLS} $A {SEP}",
        special_tokens=[(CLS, tokenizer.token_to_id(CLS)), (SEP, tokenizer.token_to_id(SEP))],
    )
    tokenizer.enable_truncation(max_length=max_length)
    assert tokenizer.token_to_id(PAD) == PAD_ID  # the model's padding_idx and our masks rely on it
    return tokenizer


def encode(tokenizer: Tokenizer, texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Token ids right-padded with PAD to ``max_length``, and each text's length in tokens.

    Returns ``ids`` int32 [N, max_length] and ``lengths`` int32 [N]. Batches are later cut to their
    longest text, so short texts cost short sequences.
    """
    ids = np.full((len(texts), max_length), PAD_ID, dtype=np.int32)  # [N, L]
    lengths = np.zeros(len(texts), dtype=np.int32)  # [N]
    for row, encoding in enumerate(tokenizer.encode_batch(list(texts))):
        tokens = encoding.ids[:max_length]
        ids[row, : len(tokens)] = tokens
        lengths[row] = len(tokens)
    return ids, lengths


def save_tokenizer(tokenizer: Tokenizer, path: Path) -> None:
    tokenizer.save(str(path))


def load_tokenizer(path: Path) -> Tokenizer:
    return Tokenizer.from_file(str(path))


class WordPieceEncoder:
    """Our tokenizer behind the engine's encoding interface (the same as ``pretrained.HfEncoder``'s)."""

    pad_id = PAD_ID

    def __init__(self, tokenizer: Tokenizer):
        self.tokenizer = tokenizer

    def token_lengths(self, texts: Sequence[str]) -> np.ndarray:
        """Each text's length in tokens, [CLS] and [SEP] included, untruncated."""
        truncation = self.tokenizer.truncation
        self.tokenizer.no_truncation()
        try:
            return np.fromiter((len(e.ids) for e in self.tokenizer.encode_batch(list(texts))), dtype=np.int64,
                               count=len(texts))
        finally:
            if truncation:
                self.tokenizer.enable_truncation(max_length=truncation["max_length"])

    def encode(self, texts: Sequence[str], max_length: int) -> tuple[np.ndarray, np.ndarray]:
        self.tokenizer.enable_truncation(max_length=max_length)
        return encode(self.tokenizer, texts, max_length)

    def offsets(self, texts: Sequence[str], max_length: int) -> list[list[tuple[int, int]]]:
        """Each token's ``(start, end)`` in code points of its text, as ``encode`` cuts them; (0, 0) on specials."""
        self.tokenizer.enable_truncation(max_length=max_length)
        return [[(a, b) if not special else (0, 0) for (a, b), special in zip(e.offsets, e.special_tokens_mask,
                                                                               strict=True)]
                for e in self.tokenizer.encode_batch(list(texts))]

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size()


def choose_max_length(lengths: np.ndarray, cap: int, *, quantile: float = 0.95, floor: int = 8) -> int:
    """The ``quantile`` of the texts' token lengths, between ``floor`` and ``cap``: most texts whole, a few long
    ones cut, no batch padded to a fixed guess.

    >>> choose_max_length(np.array([10] * 96 + [300] * 4), 256)
    10
    >>> choose_max_length(np.array([500] * 10), 256)
    256
    """
    if not len(lengths):
        return floor
    return int(min(cap, max(floor, int(np.ceil(np.quantile(lengths, quantile, method="higher"))))))
