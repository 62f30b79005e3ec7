"""Line formats: JSON Lines, doccano's JSONL export, and plain text (one item per line).

Each line is decoded on its own, so memory holds one line at a time, and never more than
``Limits.line_bytes`` of it: a longer line cannot pass the text and field limits, so it is skipped
unread to its end and reported as a row error. A line that is not valid JSON, or not a JSON object, or
nested too deeply for the parser, is a row error and the reader goes on with the next line; bytes that
are not UTF-8 fail the whole file (the text would be garbled, not just one row).
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator

from .base import DEFAULT_LIMITS, Limits, Record, RowError, check_not_empty, not_utf8

_SKIP = 1 << 20


def _lines(path: str | os.PathLike, limits: Limits) -> Iterator[tuple[int, str | None]]:
    """(line number, decoded line without its end), skipping blank lines; the line is None when it is
    longer than ``limits.line_bytes`` (the rest of it is read past in 1 MiB pieces, never held)."""
    check_not_empty(path)
    cap = limits.line_bytes
    with open(path, "rb") as handle:
        readline = handle.readline
        number = 0
        while raw := readline(cap + 1):
            number += 1
            if len(raw) > cap and not raw.endswith(b"\n"):
                while (rest := readline(_SKIP)) and not rest.endswith(b"\n"):
                    pass
                yield number, None
                continue
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise not_utf8(exc, f"line {number}") from None
            line = line.rstrip("\r\n")
            if line.strip():
                yield number, line


def _too_long(number: int, limits: Limits) -> RowError:
    return RowError(
        number,
        f"The line is longer than {limits.line_bytes:,} bytes, more than a text and its fields may hold "
        "(DATAMOAT_IMPORT_MAX_TEXT_CHARS).",
    )


def read_jsonl(
    path: str | os.PathLike, *, text_field: str = "text", limits: Limits = DEFAULT_LIMITS
) -> Iterator[Record | RowError]:
    loads = json.loads
    for number, line in _lines(path, limits):
        if line is None:
            yield _too_long(number, limits)
            continue
        try:
            record = loads(line)
        except ValueError as exc:
            yield RowError(number, f"The line is not valid JSON: {exc}.")
            continue
        except RecursionError:
            yield RowError(number, f"The line nests deeper than {limits.depth} levels (DATAMOAT_IMPORT_MAX_DEPTH).")
            continue
        if type(record) is not dict:
            yield RowError(number, f"The line is a JSON {type(record).__name__}, not an object.")
            continue
        yield number, record


def read_doccano(
    path: str | os.PathLike, *, text_field: str = "text", limits: Limits = DEFAULT_LIMITS
) -> Iterator[Record | RowError]:
    """doccano's JSONL export, one object per line: text classification ``{"text": ..., "label":
    ["positive"]}``; sequence labeling ``{"text": ..., "label": [[0, 2, "ORG"], [11, 17, "MISC"]]}``
    (https://doccano.github.io/doccano/tutorial/, "Import Dataset"), or, from relation projects,
    ``"entities": [{"start_offset", "end_offset", "label"}]``.

    Older exports call the list ``labels`` and relation exports ``entities``; either is renamed to
    ``label``. Pass ``label_field="label"`` to import the labels (a one-element list is a single label;
    in a span project the spans are checked against the text: ``readers.spans``). An empty list is no
    label: doccano exports unlabelled examples so."""
    for entry in read_jsonl(path, text_field=text_field, limits=limits):
        if type(entry) is not RowError:
            record = entry[1]
            if "label" not in record:
                if "labels" in record:
                    record["label"] = record.pop("labels")
                elif "entities" in record:
                    record["label"] = record.pop("entities")
        yield entry


def read_txt(
    path: str | os.PathLike, *, text_field: str = "text", limits: Limits = DEFAULT_LIMITS
) -> Iterator[Record | RowError]:
    """One item per line; blank lines separate nothing and are not rows."""
    for number, line in _lines(path, limits):
        yield (_too_long(number, limits) if line is None else (number, {text_field: line}))
