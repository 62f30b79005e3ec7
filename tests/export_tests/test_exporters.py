"""The pure exporters: batches in, bytes chunks out, and the bytes parse back (no database)."""
from __future__ import annotations

import csv
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.exporters import EXPORTERS, write_csv, write_jsonl, write_parquet

COLUMNS = ("id", "text", "label", "split", "confidence")
ROWS = [
    {"id": 1, "text": 'plain, with "quotes"', "label": "positive", "split": "train", "confidence": 1.0},
    {"id": 2, "text": "two\nlines, ünïcode ✓ 中文", "label": "negative", "split": "val", "confidence": 0.5},
    {"id": 3, "text": "", "label": "negative", "split": "test", "confidence": 2 / 3},
]


def _batches(kind: str):
    if kind == "dicts":
        return [ROWS[:2], ROWS[2:]]
    table = pa.Table.from_pylist(ROWS)
    return table.to_batches(max_chunksize=2)


def _parse(fmt: str, data: bytes) -> list[dict]:
    if fmt == "jsonl":
        return [json.loads(line) for line in data.decode("utf-8").splitlines()]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
        return [{**r, "id": int(r["id"]), "confidence": float(r["confidence"])} for r in rows]
    return pq.read_table(io.BytesIO(data)).to_pylist()


@pytest.mark.parametrize("kind", ["record_batches", "dicts"])
@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_it_round_trips_every_row(fmt, kind):
    chunks = list(EXPORTERS[fmt](_batches(kind), COLUMNS))
    assert all(isinstance(c, bytes) for c in chunks)
    assert _parse(fmt, b"".join(chunks)) == ROWS


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_it_streams_one_chunk_per_batch(fmt):
    batches = pa.Table.from_pylist(ROWS * 100).to_batches(max_chunksize=50)
    assert len(list(EXPORTERS[fmt](batches, COLUMNS))) >= len(batches)


def test_it_writes_columns_in_the_order_asked():
    first = b"".join(write_csv([ROWS], ["label", "id"])).decode().splitlines()[:2]
    assert first == ['"label","id"', '"positive",1']
    assert list(json.loads(next(write_jsonl([ROWS], ["label", "id"])).splitlines()[0])) == ["label", "id"]


def test_empty_exports_are_still_valid_files():
    assert b"".join(write_jsonl([], COLUMNS)) == b""
    assert b"".join(write_csv([], COLUMNS)).decode() == ",".join(f'"{c}"' for c in COLUMNS) + "\n"
    schema = pa.schema([("id", pa.int64()), ("text", pa.string())])
    table = pq.read_table(io.BytesIO(b"".join(write_parquet([], ["id", "text"], schema=schema))))
    assert table.num_rows == 0 and table.schema.names == ["id", "text"]


def test_a_missing_column_is_written_as_null():
    rows = [{"id": 1, "text": "t"}]
    assert json.loads(b"".join(write_jsonl([rows], ["id", "text", "label"]))) == {"id": 1, "text": "t", "label": None}
    assert b"".join(write_csv([rows], ["id", "label"])).decode().splitlines()[1] == "1,"


def test_jsonl_lines_are_exactly_what_json_dumps_writes():
    table = pa.Table.from_pylist(ROWS + [{"id": None, "text": None, "label": None, "split": None, "confidence": None}])
    expected = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in table.to_pylist()]
    for batches in (table.to_batches(), [table.to_pylist()]):
        assert b"".join(write_jsonl(batches, COLUMNS)).decode().splitlines() == expected


def test_jsonl_writes_non_finite_numbers_as_null():
    line = b"".join(write_jsonl([pa.table({"x": [float("nan"), float("inf")]})], ["x"])).decode().splitlines()
    assert line == ['{"x":null}', '{"x":null}']
