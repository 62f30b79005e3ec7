"""A WordPiece tokenizer trained on the train split with Hugging Face ``tokenizers`` (Rust; ~10k
texts train in well under a second), BERT-style: lowercasing normaliser, whitespace/punctuation
pre-tokeniser, ``[CLS] text [SEP]``. Only the train split is seen, so val/test words stay unseen
vocabulary, as they would be in production.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

PAD, UNK, CLS, SEP = "[PAD]", "[UNK]", "[CLS]", "[SEP]"
SPECIAL_TOKENS = [PAD, UNK, CLS, SEP]  # ids 0..3 in this order
PAD_ID = 0


def train_tokenizer(texts: Sequence[str], *, vocab_size: int, max_length: int) -> Tokenizer:
    """A WordPiece tokenizer over ``texts`` with at most ``vocab_size`` pieces, truncating to ``max_length``."""
    tokenizer = Tokenizer(models.WordPiece(unk_token=UNK, max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True, strip_accents=None, clean_text=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIAL_TOKENS, show_progress=False
    )
    tokenizer.train_from_iterator(texts, trainer=trainer, length=len(texts))
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
