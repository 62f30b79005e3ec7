"""Parquet: one row group per input batch, bytes handed on as the writer produces them.

pyarrow writes to any object with ``write``; ours keeps what was written since the last drain, so the
response never holds more than one row group (plus the footer at the end).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from .batches import Batch, batch_table


class _DrainSink:
    """A write-only file object for pyarrow whose content is taken out chunk by chunk."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0
        self.closed = False

    def write(self, data) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def write_parquet(
    batches: Iterable[Batch], columns: Sequence[str], *, schema: pa.Schema | None = None
) -> Iterator[bytes]:
    """A complete Parquet file (zstd-compressed) as a stream of chunks. The schema comes from ``schema``
    or from the first batch; an empty input still yields a valid file (string columns by default)."""
    names = list(columns)
    sink = _DrainSink()
    writer: pq.ParquetWriter | None = None
    for batch in batches:
        table = batch_table(batch, names)
        if table.num_rows == 0:
            continue
        if writer is None:
            writer = pq.ParquetWriter(sink, schema or table.schema, compression="zstd")
        writer.write_table(table.cast(writer.schema) if table.schema != writer.schema else table)
        chunk = sink.drain()
        if chunk:
            yield chunk
    if writer is None:
        writer = pq.ParquetWriter(sink, schema or pa.schema([(c, pa.string()) for c in names]), compression="zstd")
    writer.close()
    tail = sink.drain()
    if tail:
        yield tail
