"""CoNLL (BIO): one ``token tag`` line per token (one space between them), a blank line after each
item; UTF-8. Tokens never hold whitespace (see ``bio.tokenize``), so a line splits back at its last
space. An item without any token (an empty text) writes nothing. Span projects only.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from .batches import Batch, batch_columns
from .bio import bio_tags


def write_conll(batches: Iterable[Batch], columns=("text", "spans"), *, tokenizer: str = "whitespace") -> Iterator[bytes]:
    """One chunk per non-empty batch of rows with ``text`` and ``spans`` (null reads as no span)."""
    for batch in batches:
        texts, spans = batch_columns(batch, ["text", "spans"])
        lines: list[str] = []
        for text, found in zip(texts, spans, strict=True):
            tokens, tags = bio_tags(text or "", found or [], tokenizer)
            if not tokens:
                continue
            lines.extend(f"{token} {tag}" for token, tag in zip(tokens, tags, strict=True))
            lines.append("")
        if lines:
            yield ("\n".join(lines) + "\n").encode("utf-8")


def read_conll(content: str) -> list[list[tuple[str, str]]]:
    """The items of a CoNLL file as ``[(token, tag), ...]`` lists (what tests and importers read)."""
    items: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in content.split("\n"):
        if not line.strip():
            if current:
                items.append(current)
                current = []
            continue
        token, _, tag = line.rpartition(" ")
        current.append((token, tag))
    if current:
        items.append(current)
    return items
