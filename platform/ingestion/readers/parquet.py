"""Parquet, read one record batch at a time with pyarrow (never the whole table).

Columns whose Arrow type has no JSON form (timestamps, dates, decimals, binary) are cast to strings
so every record stays JSON-safe for ``Item.meta``.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .base import ReaderError, Record, RowError, check_not_empty

BATCH_ROWS = 5000


def _json_safe(batch: pa.RecordBatch) -> pa.RecordBatch:
    columns = []
    changed = False
    for column in batch.columns:
        kind = column.type
        if pa.types.is_temporal(kind) or pa.types.is_decimal(kind) or pa.types.is_binary(kind):
            column = column.cast(pa.string()) if not pa.types.is_binary(kind) else pa.array(
                [None if v is None else v.hex() for v in column.to_pylist()], pa.string()
            )
            changed = True
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names) if changed else batch


def _open(path: str | os.PathLike, text_field: str) -> pq.ParquetFile:
    check_not_empty(path)
    try:
        handle = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise ReaderError(f"The file is not a readable Parquet file: {exc}.") from None
    names = handle.schema_arrow.names
    if text_field not in names:
        shown = ", ".join(repr(n) for n in names[:20])
        raise ReaderError(f"The Parquet file has no column {text_field!r} (columns: {shown}).")
    return handle


def survey_parquet(path: str | os.PathLike, *, text_field: str = "text") -> int:
    """Decode every batch (in Arrow, without building Python rows) so a corrupt page fails now."""
    handle = _open(path, text_field)
    rows = 0
    try:
        for batch in handle.iter_batches(batch_size=BATCH_ROWS * 10):
            rows += batch.num_rows
    except pa.ArrowException as exc:
        raise ReaderError(f"The Parquet file cannot be read near row {rows + 1}: {exc}.") from None
    return rows


def read_parquet(path: str | os.PathLike, *, text_field: str = "text") -> Iterator[Record | RowError]:
    handle = _open(path, text_field)
    row = 0
    try:
        for batch in handle.iter_batches(batch_size=BATCH_ROWS):
            for record in _json_safe(batch).to_pylist():
                row += 1
                yield row, record
    except pa.ArrowException as exc:
        raise ReaderError(f"The Parquet file cannot be read near row {row + 1}: {exc}.") from None
