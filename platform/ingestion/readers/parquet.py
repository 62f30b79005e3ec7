"""Parquet, read one record batch at a time with pyarrow (never the whole table).

Columns whose Arrow type has no JSON form (timestamps, dates, decimals, binary) are cast to strings
so every record stays JSON-safe for ``Item.meta``.

Decompression bombs. A few kilobytes of Parquet can decode to gigabytes: zstd shrinks a long run a
thousandfold, and a dictionary page holds a value once for every row that names it. So every string
or binary column, nested ones included, is read as Arrow dictionary arrays (``read_dictionary``: a
repeated value stays one value), and before a batch becomes Python objects its decoded size is
computed in Arrow, per row (``_row_bytes``: the dictionary's value lengths taken by index, list values
summed per row): the bytes the reader produces count against ``Limits.decoded_bytes`` (TooBig, in the
survey pass, before anything is stored), and a row past ``Limits.row_bytes`` is a row error without
ever being decoded; the others become Python objects ``SLICE_BYTES`` at a time. The footer is checked
first (``parquet_limits``, also at upload time): rows, uncompressed sizes (a lower bound of what the
file decodes to), and each column chunk against what its rows may hold, since Arrow decompresses a
page whole before a row of it can be refused. What is left: a dictionary page of one huge value in
a row group of many rows is decompressed once (at most ``rows * Limits.row_bytes``), then every row
naming it is refused unread.
"""
from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .base import DEFAULT_LIMITS, Limits, ReaderError, Record, RowError, TooBig, check_not_empty, gettext_noop

# Rows per Arrow batch, and the most bytes of rows turned into Python objects at once: a batch is held
# in Arrow (dictionaries not expanded) and converted in slices of at most SLICE_BYTES, so a batch of
# rows near Limits.row_bytes (1.2 MB by default) never becomes a gigabyte of Python strings.
BATCH_ROWS = 2048
SLICE_BYTES = 64 * 1024 * 1024
_PAGE_SLACK = 1 << 20  # page headers, definition levels, statistics: a column chunk's own overhead


def _json_safe(batch: pa.RecordBatch) -> pa.RecordBatch:
    columns = []
    changed = False
    for column in batch.columns:
        if pa.types.is_dictionary(column.type):  # read as a dictionary against bombs; sizes checked by now
            column = column.dictionary_decode()
            changed = True
        kind = column.type
        if pa.types.is_temporal(kind) or pa.types.is_decimal(kind) or pa.types.is_binary(kind):
            column = column.cast(pa.string()) if not pa.types.is_binary(kind) else pa.array(
                [None if v is None else v.hex() for v in column.to_pylist()], pa.string()
            )
            changed = True
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names) if changed else batch


def _ints(array: pa.Array) -> np.ndarray:
    """An integer Arrow array as int64 numpy, nulls as 0 (fill_null only when there are nulls: it
    costs a fifth of a millisecond a call)."""
    if array.null_count:
        array = pc.fill_null(array, 0)
    return array.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def _value_bytes(array: pa.Array) -> np.ndarray:
    """Bytes each element of ``array`` decodes to (strings and binaries by length, nested values
    summed, other values 8), computed from offsets and indices without decoding a dictionary."""
    kind = array.type
    n = len(array)
    if pa.types.is_dictionary(kind):
        sizes = _value_bytes(array.dictionary)
        if len(sizes) == 0:
            return np.zeros(n, np.int64)
        return sizes[np.clip(_ints(array.indices), 0, len(sizes) - 1)] * (~_nulls(array))
    if pa.types.is_string(kind) or pa.types.is_binary(kind) or pa.types.is_large_string(kind) or pa.types.is_large_binary(kind):
        # The offsets buffer, sliced as the array is: no Arrow call per batch. A null spans no bytes.
        width = np.int64 if pa.types.is_large_string(kind) or pa.types.is_large_binary(kind) else np.int32
        buffer = array.buffers()[1]
        if buffer is None or n == 0:
            return np.zeros(n, np.int64)
        offsets = np.frombuffer(buffer, dtype=width)[array.offset : array.offset + n + 1]
        return np.diff(offsets).astype(np.int64, copy=False)
    if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_map(kind):
        offsets = _ints(array.offsets)
        children = _value_bytes(array.values)
        summed = np.concatenate(([0], np.cumsum(children)))
        return summed[offsets[1:]] - summed[offsets[:-1]]
    if pa.types.is_fixed_size_list(kind):
        width = kind.list_size
        children = _value_bytes(array.flatten()) if width else np.zeros(0, np.int64)
        return children.reshape(-1, width).sum(axis=1) if width and len(children) == n * width else np.full(n, 8 * width)
    if pa.types.is_struct(kind):
        total = np.zeros(n, np.int64)
        for child in array.flatten():
            total += _value_bytes(child)
        return total
    return np.full(n, 8, np.int64)


def _nulls(array: pa.Array) -> np.ndarray:
    if not array.null_count:
        return np.zeros(len(array), bool)
    return array.is_null().to_numpy(zero_copy_only=False)


def _row_bytes(batch: pa.RecordBatch) -> np.ndarray:
    total = np.zeros(batch.num_rows, np.int64)
    for column in batch.columns:
        total += _value_bytes(column)
    return total


def _byte_array_paths(handle: pq.ParquetFile) -> list[str]:
    return [column.path for column in handle.schema if column.physical_type == "BYTE_ARRAY"]


def parquet_limits(path: str | os.PathLike, limits: Limits = DEFAULT_LIMITS) -> int:
    """Check the footer against the limits (TooBig) and return its row count: rows over ``limits.rows``;
    uncompressed pages over ``limits.decoded_bytes`` (the file decodes to at least that); a column
    chunk whose pages decompress to more than its rows may hold (``limits.row_bytes`` each): a page is
    decompressed whole before any row of it can be refused, so that is where one huge value (10 KB of
    zstd that is one 300 MB text) is stopped. Cheap: it reads the footer only. ReaderError when the
    file is not Parquet."""
    check_not_empty(path)
    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError) as exc:
        raise ReaderError(f"The file is not a readable Parquet file: {exc}.") from None
    if meta.num_rows > limits.rows:
        raise limits.too_many_rows()
    uncompressed = 0
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        room = group.num_rows * limits.row_bytes + _PAGE_SLACK
        for c in range(meta.num_columns):
            column = group.column(c)
            uncompressed += column.total_uncompressed_size
            if column.total_uncompressed_size > room:
                raise TooBig(
                    gettext_noop(
                        "The Parquet file's column %(column)r decompresses to %(size)s bytes for %(rows)s rows (row "
                        "group %(group)s), more than a text and its fields may hold (%(row_bytes)s bytes a row; "
                        "DATAMOAT_IMPORT_MAX_TEXT_CHARS)."
                    ),
                    {
                        "column": column.path_in_schema, "size": f"{column.total_uncompressed_size:,}",
                        "rows": f"{group.num_rows:,}", "group": g + 1, "row_bytes": f"{limits.row_bytes:,}",
                    },
                )
    if uncompressed > limits.decoded_bytes:
        raise limits.too_many_bytes(uncompressed)
    return meta.num_rows


def _open(path: str | os.PathLike, text_field: str, limits: Limits) -> pq.ParquetFile:
    parquet_limits(path, limits)
    try:
        handle = pq.ParquetFile(path)
        handle = pq.ParquetFile(path, read_dictionary=_byte_array_paths(handle))
    except (pa.ArrowException, OSError) as exc:
        raise ReaderError(f"The file is not a readable Parquet file: {exc}.") from None
    names = handle.schema_arrow.names
    if text_field not in names:
        shown = ", ".join(repr(n) for n in names[:20])
        raise ReaderError(f"The Parquet file has no column {text_field!r} (columns: {shown}).")
    return handle


def _sized_batches(handle: pq.ParquetFile, limits: Limits) -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
    """Each batch with its rows' decoded sizes, counting them against ``limits.decoded_bytes``."""
    produced = 0
    for batch in handle.iter_batches(batch_size=BATCH_ROWS):
        sizes = _row_bytes(batch)
        produced += int(sizes.sum())
        if produced > limits.decoded_bytes:
            raise limits.too_many_bytes(produced)
        yield batch, sizes


def survey_parquet(path: str | os.PathLike, *, text_field: str = "text", limits: Limits = DEFAULT_LIMITS) -> int:
    """Decode every batch (in Arrow, without building Python rows) so a corrupt page, or a file that
    decodes past the limit, fails now."""
    handle = _open(path, text_field, limits)
    rows = 0
    try:
        for batch, _sizes in _sized_batches(handle, limits):
            rows += batch.num_rows
    except pa.ArrowException as exc:
        raise ReaderError(f"The Parquet file cannot be read near row {rows + 1}: {exc}.") from None
    return rows


def read_parquet(
    path: str | os.PathLike, *, text_field: str = "text", limits: Limits = DEFAULT_LIMITS
) -> Iterator[Record | RowError]:
    handle = _open(path, text_field, limits)
    row = 0
    cap = limits.row_bytes
    try:
        for batch, sizes in _sized_batches(handle, limits):
            over = sizes > cap
            if not over.any() and sizes.sum() <= SLICE_BYTES:  # the common case: one conversion
                for record in _json_safe(batch).to_pylist():
                    row += 1
                    yield row, record
                continue
            for start, end in _slices(np.where(over, 0, sizes)):
                piece = batch.slice(start, end - start)
                keep = np.flatnonzero(~over[start:end])
                records = iter(_json_safe(piece.take(pa.array(keep))).to_pylist() if len(keep) else ())
                for index in range(start, end):
                    row += 1
                    if over[index]:
                        yield RowError(
                            row,
                            f"The row decodes to {int(sizes[index]):,} bytes, more than a text and its fields "
                            f"may hold ({cap:,} bytes; DATAMOAT_IMPORT_MAX_TEXT_CHARS).",
                        )
                    else:
                        yield row, next(records)
    except pa.ArrowException as exc:
        raise ReaderError(f"The Parquet file cannot be read near row {row + 1}: {exc}.") from None


def _slices(sizes: np.ndarray) -> Iterator[tuple[int, int]]:
    """[start, end) ranges of rows holding at most SLICE_BYTES together (at least one row each)."""
    summed = np.cumsum(sizes)
    start, n = 0, len(sizes)
    while start < n:
        base = summed[start - 1] if start else 0
        end = max(start + 1, int(np.searchsorted(summed, base + SLICE_BYTES, side="right")))
        yield start, end
        start = end
