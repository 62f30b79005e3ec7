"""Streaming exporters: record batches in, ``bytes`` chunks out, so an HTTP response can stream a
dataset of any size in constant memory. Pure: no Django, no app imports.

A batch is a ``pyarrow.RecordBatch`` (what the snapshot reader yields) or a list of dicts. Each exporter
writes the ``columns`` it is given, in that order, and yields one chunk per batch (plus a header or a
footer where the format has one).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from .batches import Batch
from .delimited import write_csv
from .jsonl import write_jsonl
from .parquet import write_parquet

Exporter = Callable[[Iterable[Batch], Sequence[str]], Iterator[bytes]]

EXPORTERS: dict[str, Exporter] = {"jsonl": write_jsonl, "csv": write_csv, "parquet": write_parquet}

MEDIA_TYPES = {
    "jsonl": "application/x-ndjson",
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
}

__all__ = ["EXPORTERS", "MEDIA_TYPES", "Batch", "write_csv", "write_jsonl", "write_parquet"]
