"""Line formats: JSON Lines, doccano's JSONL export, and plain text (one item per line).

Each line is decoded on its own, so memory holds one line at a time. A line that is not valid JSON,
or not a JSON object, is a row error and the reader goes on with the next line; bytes that are not
UTF-8 fail the whole file (the text would be garbled, not just one row).
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator

from .base import Record, RowError, check_not_empty, not_utf8


def _lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """(line number, decoded line without its end), skipping blank lines."""
    check_not_empty(path)
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise not_utf8(exc, f"line {number}") from None
            line = line.rstrip("\r\n")
            if line.strip():
                yield number, line


def read_jsonl(path: str | os.PathLike, *, text_field: str = "text") -> Iterator[Record | RowError]:
    loads = json.loads
    for number, line in _lines(path):
        try:
            record = loads(line)
        except ValueError as exc:
            yield RowError(number, f"The line is not valid JSON: {exc}.")
            continue
        if type(record) is not dict:
            yield RowError(number, f"The line is a JSON {type(record).__name__}, not an object.")
            continue
        yield number, record


def read_doccano(path: str | os.PathLike, *, text_field: str = "text") -> Iterator[Record | RowError]:
    """doccano's text-classification export: ``{"text": ..., "label": ["positive"], ...}`` per line.

    Older exports call the list ``labels``; it is renamed to ``label``. Pass ``label_field="label"``
    to import the labels (a one-element list is a single label; span lists are rejected per row by
    the service)."""
    for entry in read_jsonl(path, text_field=text_field):
        if type(entry) is not RowError:
            record = entry[1]
            if "label" not in record and "labels" in record:
                record["label"] = record.pop("labels")
        yield entry


def read_txt(path: str | os.PathLike, *, text_field: str = "text") -> Iterator[Record | RowError]:
    """One item per line; blank lines separate nothing and are not rows."""
    for number, line in _lines(path):
        yield number, {text_field: line}
