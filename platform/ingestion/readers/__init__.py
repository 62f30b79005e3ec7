"""Readers: stream an uploaded file as chunks of records, whatever its format. Pure: no Django.

    for chunk in read_chunks(path, format="csv", text_field="text", chunk_rows=5000):
        chunk.records  # [(row number, {field: value})], each with a non-empty str text
        chunk.errors   # [RowError(row, message)]: rows skipped, with the reason

Options of some formats: ``tokens_joined_by`` (``conll``: " " or ""); ``spans`` (a span project: the
label cell is checked against the text and put as ``{"spans": [...]}``, ``readers.spans``; with
``span_overlap=False`` overlapping spans are refused; ``labelstudio`` then reads ``labels`` results
instead of choices); ``label_separator`` (a multi-label string cell split into a list); the last three
for the cell under ``label_field``.

File-level problems raise ``ReaderError`` with a sentence for the uploader; ``survey(path, format=...)``
finds all of them up front (and estimates the row count) without building rows. Memory is bounded by one
chunk (plus, for ``json`` and ``labelstudio``, one element: see ``jsonarray``). ``limits`` (``Limits``)
bound texts, rows, nesting and decoded bytes; a file over one raises ``TooBig`` (a ``ReaderError``),
and ``upload_limits`` checks what can be known from the file without reading it through.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import PurePath

from .base import DEFAULT_LIMITS, Chunk, Limits, Reader, ReaderError, Record, RowError, TooBig, chunked
from .conll import JOINERS, read_conll
from .delimited import read_csv, read_tsv
from .jsonarray import read_json, read_labelstudio
from .lines import read_doccano, read_jsonl, read_txt
from .parquet import parquet_limits, read_parquet
from .spans import with_label_cells
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
    "conll": read_conll,
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
    ".conll": "conll",
    ".bio": "conll",
    ".iob": "conll",
}


def format_from_name(name: str) -> str | None:
    """The format a file name suggests (Label Studio and doccano exports must be named explicitly;
    .conll, .bio and .iob files are CoNLL)."""
    return _BY_SUFFIX.get(PurePath(name).suffix.lower())


def read_chunks(
    path: str | os.PathLike,
    *,
    format: str,
    text_field: str = "text",
    chunk_rows: int = 5000,
    limits: Limits = DEFAULT_LIMITS,
    label_field: str | None = None,
    spans: bool = False,
    span_overlap: bool = True,
    label_separator: str | None = None,
    tokens_joined_by: str = " ",
) -> Iterator[Chunk]:
    if format not in READERS:
        raise ReaderError(f"Unknown format {format!r}; use one of {', '.join(FORMATS)}.")
    extra: dict = {}
    if format == "conll":
        extra["tokens_joined_by"] = tokens_joined_by
    elif format == "labelstudio":
        extra["spans"] = spans
    rows = READERS[format](path, text_field=text_field, limits=limits, **extra)
    if label_field and (spans or label_separator):
        rows = with_label_cells(
            rows, text_field=text_field, label_field=label_field, spans=spans, overlap=span_overlap,
            label_separator=label_separator,
        )
    return chunked(rows, text_field=text_field, chunk_rows=chunk_rows, limits=limits)


def upload_limits(path: str | os.PathLike, *, format: str, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise TooBig for what an upload shows to be over the limits without reading it through: a
    Parquet footer's row count and uncompressed size; any other format's size (it decodes to its own
    bytes). Any other problem with the file is left to the job's survey, which names it."""
    if format == "parquet":
        try:
            parquet_limits(path, limits)
        except TooBig:
            raise
        except ReaderError:
            return
    elif os.path.getsize(path) > limits.decoded_bytes:
        raise limits.too_many_bytes(os.path.getsize(path))


__all__ = [
    "DEFAULT_LIMITS", "FORMATS", "JOINERS", "READERS", "Chunk", "Limits", "ReaderError", "Record", "RowError", "TooBig",
    "format_from_name", "read_chunks", "survey", "upload_limits",
]
