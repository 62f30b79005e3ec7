"""Tokens and BIO tags of a text with spans (code-point offsets), for CoNLL and Hugging Face exports.

Tokenizers: ``whitespace`` (maximal runs of non-whitespace characters) and ``char`` (every character
but whitespace is a token: Chinese, Japanese, ...). A token takes the label of the first span that
overlaps it, spans ordered by (start, longest first, label); its tag is ``B-<label>`` when it is the
first token of that span, ``I-<label>`` after it, ``O`` outside every span. BIO cannot hold nested or
overlapping spans: a token already tagged keeps its tag (the later span loses it).
Pure: the standard library only.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

TOKENIZERS = ("whitespace", "char")
_WORD = re.compile(r"\S+")
_CHAR = re.compile(r"\S")


def tokenize(text: str, tokenizer: str = "whitespace") -> list[tuple[int, int]]:
    """Token offsets ``(start, end)`` in code points."""
    if tokenizer not in TOKENIZERS:
        raise ValueError(f"tokenizer must be one of {', '.join(TOKENIZERS)}")
    pattern = _WORD if tokenizer == "whitespace" else _CHAR
    return [m.span() for m in pattern.finditer(text)]


def bio_tags(text: str, spans: Iterable[dict], tokenizer: str = "whitespace") -> tuple[list[str], list[str]]:
    """``(tokens, tags)`` of ``text`` with ``spans`` [{start, end, label}]."""
    offsets = tokenize(text, tokenizer)
    tags = ["O"] * len(offsets)
    ordered = sorted(spans or [], key=lambda s: (s["start"], -(s["end"] - s["start"]), s["label"]))
    for span in ordered:
        first = True
        for i, (start, end) in enumerate(offsets):
            if end <= span["start"] or start >= span["end"]:
                continue
            if tags[i] != "O":
                first = False  # taken by an earlier span: this span continues after it, if at all
                continue
            tags[i] = ("B-" if first else "I-") + span["label"]
            first = False
    return [text[s:e] for s, e in offsets], tags


def bio_names(labels: Sequence[str]) -> list[str]:
    """Every tag a project's entity types give, ``O`` first (a ClassLabel's names)."""
    return ["O", *(f"{prefix}-{label}" for label in labels for prefix in ("B", "I"))]
