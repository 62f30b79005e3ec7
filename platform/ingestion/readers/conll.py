"""CoNLL / BIO token files: one token and its tag per line, a blank line between sentences.

    EU      B-ORG
    rejects O
    German  B-MISC

Each sentence becomes one record: the tokens joined by ``tokens_joined_by`` (``" "`` for languages
written with spaces, ``""`` for one-character-per-line Chinese) under the text field, and under
``label`` its entities as ``{"spans": [{start, end, label}]}``, offsets in code points of that text
(Python's ``len``), so a sentence tagged all ``O`` is ``{"spans": []}``: labelled, with no entity.
Import with ``label_field="label"``.

Columns are split on tabs when the line has one, else on spaces; the first column is the token and
the last the tag (CoNLL-2003's middle columns, part of speech and chunk, are ignored). Lines that are
blank or only blanks (WNUT-16 separates tweets with a lone tab, MSRA with a lone ``\\r``) end a
sentence; ``-DOCSTART-`` lines are skipped. Tags: ``O``; ``B-``/``I-`` (IOB2, and IOB1's ``I-`` that
opens an entity after ``O`` or another type); ``E-``/``S-`` and ``M-`` (BIOES, and the BMES of the MSRA
files), ``L-``/``U-`` (BILOU). A malformed line or tag skips its sentence as a row error naming the
line. Row numbers count sentences (the limits count them too); messages name the file's line.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

from .base import DEFAULT_LIMITS, Limits, ReaderError, Record, RowError
from .lines import _lines

JOINERS = (" ", "")
_OPEN = {"B", "S", "U"}
_INSIDE = {"I", "M", "E", "L"}
_CLOSE = {"E", "L", "S", "U"}


def _columns(line: str) -> list[str]:
    parts = line.split("\t") if "\t" in line else line.split(" ")
    return [part for part in (p.strip(" \t\r\n") for p in parts) if part]


def tags_to_spans(tokens: list[str], tags: list[str], joiner: str) -> tuple[str, list[dict]]:
    """The text of ``tokens`` joined by ``joiner`` and the spans their ``tags`` mark (code points).
    Raises ValueError naming the position of a tag that is not O or PREFIX-TYPE."""
    text_parts: list[str] = []
    spans: list[dict] = []
    position = 0
    current: dict | None = None
    for index, (token, tag) in enumerate(zip(tokens, tags, strict=True)):
        if index:
            position += len(joiner)
        start, end = position, position + len(token)
        position = end
        text_parts.append(token)
        if tag == "O":
            current = None
            continue
        prefix, dash, kind = tag.partition("-")
        if not dash or not kind or (prefix not in _OPEN and prefix not in _INSIDE):
            raise ValueError(index)
        if prefix in _INSIDE and current is not None and current["label"] == kind:
            current["end"] = end
        else:
            current = {"start": start, "end": end, "label": kind}
            spans.append(current)
        if prefix in _CLOSE:
            current = None
    return joiner.join(text_parts), spans


def _sentences(path, limits: Limits) -> Iterator[tuple[int, list[tuple[int, str | None]]]]:
    """(sentence number, [(line number, line)]) per sentence; a sentence ends at a blank line, which
    ``_lines`` skips, so a gap in the line numbers is one. A sentence is cut at a bound (text_chars
    lines): the rest of it goes on in the next, whose text is then checked as usual."""
    number = 0
    group: list[tuple[int, str | None]] = []
    previous = 0
    cap = limits.text_chars + 1
    for line_number, line in _lines(path, limits):
        if line is not None and line.startswith("-DOCSTART-"):
            if group:
                number += 1
                yield number, group
                group = []
            previous = line_number
            continue
        if group and (line_number != previous + 1 or len(group) >= cap):
            number += 1
            yield number, group
            group = []
        group.append((line_number, line))
        previous = line_number
    if group:
        number += 1
        yield number, group


def read_conll(
    path: str | os.PathLike,
    *,
    text_field: str = "text",
    limits: Limits = DEFAULT_LIMITS,
    tokens_joined_by: str = " ",
) -> Iterator[Record | RowError]:
    if tokens_joined_by not in JOINERS:
        raise ReaderError(f"tokens_joined_by must be ' ' or '', not {tokens_joined_by!r}.")
    for number, group in _sentences(path, limits):
        tokens: list[str] = []
        tags: list[str] = []
        problem = None
        for line_number, line in group:
            if line is None:
                problem = f"Line {line_number} is longer than {limits.line_bytes:,} bytes."
                break
            columns = _columns(line)
            if len(columns) < 2:
                problem = f"Line {line_number} holds {line.strip()!r}, not a token and its tag."
                break
            tokens.append(columns[0])
            tags.append(columns[-1])
        if problem is None:
            try:
                text, spans = tags_to_spans(tokens, tags, tokens_joined_by)
            except ValueError as exc:
                index = exc.args[0]
                problem = (
                    f"Line {group[index][0]}: the tag {tags[index]!r} is not O or B-, I-, E-, S-, M-, L-, U- "
                    "followed by a type."
                )
        if problem is not None:
            yield RowError(number, f"{problem} The sentence (from line {group[0][0]}) was skipped.")
            continue
        yield number, {text_field: text, "label": {"spans": spans}}


def survey_conll(path: str | os.PathLike, limits: Limits = DEFAULT_LIMITS) -> int:
    """The number of sentences (exact); raises ReaderError for bytes that are not UTF-8 (via _lines)
    and TooBig past ``limits.rows`` sentences."""
    count = 0
    for count, _ in _sentences(path, limits):  # noqa: B007
        if count > limits.rows:
            raise limits.too_many_rows()
    if not count:
        raise ReaderError("The file holds no rows.")
    return count
