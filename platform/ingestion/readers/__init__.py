"""Readers: stream an uploaded file as chunks of records, whatever its format. Pure: no Django.

    for chunk in read_chunks(path, format="csv", text_field="text", chunk_rows=5000):
        chunk.records  # [(row number, {field: value})], each with a non-empty str text
        chunk.errors   # [RowError(row, message)]: rows skipped, with the reason

File-level problems raise ``ReaderError`` with a sentence for the uploader; ``survey(path, format=...)``
finds all of them up front (and estimates the row count) without building rows. Memory is bounded by one
chunk (plus, for ``json`` and ``labelstudio``, one element: see ``jsonarray``).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import PurePath

from .base import Chunk, Reader, ReaderError, Record, RowError, chunked
from .delimited import read_csv, read_tsv
from .jsonarray import read_json, read_labelstudio
from .lines import read_doccano, read_jsonl, read_txt
from .parquet import read_parquet
from .survey import survey

READERS: dict[str, Reader] = {
    "csv": read_csv,
    "tsv": read_tsv,
    "jsonl": read_jsonl,
    "json": read_json,
    "parquet": read_parquet,
    "txt": read_txt,
    "labelstudio": read_labelstudio,
    "doccano": read_doccano,
}
FORMATS = tuple(READERS)

_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "txt",
}


def format_from_name(name: str) -> str | None:
    """The format a file name suggests (Label Studio and doccano exports must be named explicitly)."""
    return _BY_SUFFIX.get(PurePath(name).suffix.lower())


def read_chunks(
    path: str | os.PathLike, *, format: str, text_field: str = "text", chunk_rows: int = 5000
) -> Iterator[Chunk]:
    if format not in READERS:
        raise ReaderError(f"Unknown format {format!r}; use one of {', '.join(FORMATS)}.")
    return chunked(READERS[format](path, text_field=text_field), text_field=text_field, chunk_rows=chunk_rows)


__all__ = [
    "FORMATS", "READERS", "Chunk", "ReaderError", "Record", "RowError", "format_from_name", "read_chunks", "survey",
]
