"""The import limits in the readers (pure, no database): a text or a row's fields over the character
limit and a record nested too deep are row errors with their row number; too many rows, or a file that
decodes to too many bytes (a Parquet decompression bomb), fail the whole file, in the survey pass."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingestion.readers import Limits, ReaderError, RowError, TooBig, read_chunks, survey, upload_limits

REPO = Path(__file__).resolve().parents[2]
SMALL = Limits(text_chars=10, rows=5, decoded_bytes=10_000, depth=3)


def read_all(path, fmt, limits=SMALL):
    records, errors = [], []
    for chunk in read_chunks(path, format=fmt, chunk_rows=2, limits=limits):
        records += chunk.records
        errors += chunk.errors
    return records, errors


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "txt", "parquet"])
def test_a_text_over_the_limit_is_a_row_error_with_its_row_number(write, write_parquet, fmt):
    texts = ["short", "x" * 11, "ten chars!"]
    if fmt == "parquet":
        path = write_parquet("a.parquet", {"text": texts})
    elif fmt == "json":
        path = write("a.json", json.dumps([{"text": t} for t in texts]))
    elif fmt == "jsonl":
        path = write("a.jsonl", "".join(json.dumps({"text": t}) + "\n" for t in texts))
    else:
        path = write(f"a.{fmt}", ("text\n" if fmt == "csv" else "") + "".join(t + "\n" for t in texts))
    records, errors = read_all(path, fmt)
    assert [r for r, _ in records] == [1, 3]
    assert errors == [RowError(2, "The text is 11 characters long; the limit is 10 (DATAMOAT_IMPORT_MAX_TEXT_CHARS).")]


def test_other_fields_over_the_limit_together_are_a_row_error(write):
    path = write("a.csv", "text,a,b\nfine,1234,56\nfine too,12345,6789\n")  # keys count: a+1234+b+56 = 8
    records, errors = read_all(path, "csv")
    assert [r for r, _ in records] == [1]
    assert errors[0].row == 2 and "fields other than the text hold 11 characters" in errors[0].message
    assert "DATAMOAT_IMPORT_MAX_TEXT_CHARS" in errors[0].message


def test_a_record_nested_deeper_than_the_limit_is_a_row_error(write):
    lines = [{"text": "ok", "m": {"a": [1]}}, {"text": "deep", "m": {"a": [[1]]}}, {"text": "flat"}]
    records, errors = read_all(write("a.jsonl", "".join(json.dumps(line) + "\n" for line in lines)), "jsonl")
    assert [r for r, _ in records] == [1, 3]
    assert errors == [RowError(2, "The field 'm' nests deeper than 3 levels (DATAMOAT_IMPORT_MAX_DEPTH).")]


def test_a_json_line_too_deep_for_the_parser_is_a_row_error_and_the_next_lines_are_read(write):
    path = write("a.jsonl", '{"text": "a"}\n{"text": "b", "m": ' + "[" * 100_000 + "]" * 100_000 + '}\n{"text": "c"}\n')
    records, errors = read_all(path, "jsonl", Limits(depth=3))
    assert [r for r, _ in records] == [1, 3]
    assert errors[0].row == 2 and "deeper than 3 levels" in errors[0].message


def test_a_json_array_element_too_deep_for_the_parser_fails_the_file(write):
    path = write("a.json", '[{"text": "a"}, {"text": "b", "m": ' + "[" * 100_000 + "]" * 100_000 + "}]")
    with pytest.raises(ReaderError, match="element 2 nests deeper"):
        read_all(path, "json", Limits())


def test_a_line_past_what_a_row_may_hold_is_skipped_unread_and_reported(write):
    limits = Limits(text_chars=10)  # line_bytes = 240 + 65536
    long_line = json.dumps({"text": "x" * (limits.line_bytes + 10)})
    path = write("a.jsonl", '{"text": "a"}\n' + long_line + '\n{"text": "b"}\n')
    records, errors = read_all(path, "jsonl", limits)
    assert [r for r, _ in records] == [1, 3]
    assert errors[0].row == 2 and f"longer than {limits.line_bytes:,} bytes" in errors[0].message


def test_a_json_array_element_past_what_a_row_may_hold_fails_the_file(write):
    limits = Limits(text_chars=10)
    path = write("a.json", json.dumps([{"text": "a"}, {"text": "x" * (2 * limits.line_bytes)}]))
    with pytest.raises(TooBig, match="element 2 is longer than"):
        read_all(path, "json", limits)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json", "txt", "parquet"])
def test_more_rows_than_the_limit_fail_the_file_in_the_survey_and_while_streaming(write, write_parquet, fmt):
    texts = [f"t{i}" for i in range(6)]
    if fmt == "parquet":
        path = write_parquet("a.parquet", {"text": texts})
    elif fmt == "json":
        path = write("a.json", json.dumps([{"text": t} for t in texts]))
    elif fmt == "jsonl":
        path = write("a.jsonl", "".join(json.dumps({"text": t}) + "\n" for t in texts))
    else:
        path = write(f"a.{fmt}", ("text\n" if fmt == "csv" else "") + "".join(t + "\n" for t in texts))
    with pytest.raises(TooBig, match="more than 5 rows.*DATAMOAT_IMPORT_MAX_ROWS"):
        survey(path, format=fmt, limits=SMALL)
    with pytest.raises(TooBig, match="more than 5 rows"):
        read_all(path, fmt)
    assert survey(path, format=fmt, limits=Limits(rows=6)) == 6


def test_csv_rows_are_counted_as_records_not_lines(write):
    path = write("a.csv", 'text\n"one\ntwo\nthree"\nb\n')  # 5 lines, 2 records
    assert survey(path, format="csv", limits=Limits(rows=2)) == 4  # the estimate, an upper bound


def test_a_text_file_over_the_decoded_bytes_limit_is_refused_at_upload_and_in_the_survey(write):
    path = write("a.txt", "x" * 10_001 + "\n")
    with pytest.raises(TooBig, match="DATAMOAT_IMPORT_MAX_DECODED_BYTES"):
        upload_limits(path, format="txt", limits=SMALL)
    with pytest.raises(TooBig, match="DATAMOAT_IMPORT_MAX_DECODED_BYTES"):
        survey(path, format="txt", limits=SMALL)


def _dictionary_bomb(path: Path, *, value_bytes: int, rows: int) -> Path:
    """A Parquet file whose one text value, repeated by the dictionary on every row, decodes to
    ``value_bytes * rows`` bytes; zstd keeps the file to a few hundred bytes."""
    column = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array(["a" * value_bytes]))
    pq.write_table(pa.table({"text": column}), path, compression="zstd")
    return path


def test_a_parquet_bomb_fails_the_survey_before_its_rows_are_decoded(tmp_path):
    path = _dictionary_bomb(tmp_path / "bomb.parquet", value_bytes=1000, rows=100)  # 100 KB decoded
    assert os.path.getsize(path) < 10_000
    upload_limits(path, format="parquet", limits=Limits(decoded_bytes=50_000))  # the footer cannot tell
    with pytest.raises(TooBig, match="over the limit of 50,000 bytes.*DATAMOAT_IMPORT_MAX_DECODED_BYTES"):
        survey(path, format="parquet", limits=Limits(decoded_bytes=50_000))


def test_parquet_rows_past_what_a_row_may_hold_are_row_errors_never_decoded(tmp_path):
    limits = Limits(text_chars=10)  # row_bytes = 120 + 65536
    path = _dictionary_bomb(tmp_path / "bomb.parquet", value_bytes=limits.row_bytes + 1, rows=3)
    records, errors = read_all(path, "parquet", limits)
    assert records == [] and [e.row for e in errors] == [1, 2, 3]
    assert f"decodes to {limits.row_bytes + 1:,} bytes" in errors[0].message


def test_one_huge_parquet_value_is_refused_from_the_footer(tmp_path):
    limits = Limits(text_chars=10)
    path = tmp_path / "one.parquet"
    pq.write_table(pa.table({"text": ["b" * 5_000_000]}), path, compression="zstd")
    assert os.path.getsize(path) < 20_000
    with pytest.raises(TooBig, match="column 'text' decompresses to 5,000,0.. bytes for 1 rows"):
        upload_limits(path, format="parquet", limits=limits)


def test_reading_a_parquet_bomb_keeps_the_reader_small(tmp_path):
    """300 MB decoded from a file of a few hundred bytes: the reader's peak memory stays far below
    it. Measured in a fresh process by VmHWM, the peak of its own memory (ru_maxrss would carry the
    forking test process's peak over the exec)."""
    path = _dictionary_bomb(tmp_path / "bomb.parquet", value_bytes=3 * 1024 * 1024, rows=100)
    script = (
        "import re, sys\n"
        "from ingestion.readers import read_chunks, survey\n"
        "rows = survey(sys.argv[1], format='parquet')\n"
        "errors = sum(len(c.errors) for c in read_chunks(sys.argv[1], format='parquet'))\n"
        "peak = int(re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read()).group(1))\n"
        "print(rows, errors, peak // 1024)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO / "platform")},
    ).stdout.split()
    rows, errors, peak_mb = map(int, out)
    assert (rows, errors) == (100, 100)
    assert peak_mb < 250, f"peak {peak_mb} MB reading a bomb of 300 MB"
