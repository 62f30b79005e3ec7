"""Files to import, written per test under tmp_path."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest


@pytest.fixture
def write(tmp_path):
    """``write(name, content)``: str is written as UTF-8, bytes as is; returns the path."""

    def build(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return build


@pytest.fixture
def write_jsonl(write):
    def build(name: str, records: list) -> Path:
        return write(name, "".join(json.dumps(r) + "\n" for r in records))

    return build


@pytest.fixture
def write_parquet(tmp_path):
    def build(name: str, columns: dict, row_group_size: int | None = None) -> Path:
        path = tmp_path / name
        pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
        return path

    return build
