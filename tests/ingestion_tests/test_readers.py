"""Readers are pure: each format streams records with row numbers, row problems as RowError, file
problems as ReaderError. No database."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from ingestion.readers import ReaderError, RowError, format_from_name, read_chunks


def read_all(path, fmt, text_field="text", chunk_rows=1000):
    records, errors, chunks = [], [], 0
    for chunk in read_chunks(path, format=fmt, text_field=text_field, chunk_rows=chunk_rows):
        chunks += 1
        records += chunk.records
        errors += chunk.errors
    return records, errors, chunks


def test_it_reads_csv_with_quotes_newlines_and_extra_columns_as_records(write):
    path = write("a.csv", 'id,text,label\n1,hello,positive\n2,"multi\nline, quoted ""x""",negative\n')
    records, errors, _ = read_all(path, "csv")
    assert records == [
        (1, {"id": "1", "text": "hello", "label": "positive"}),
        (2, {"id": "2", "text": 'multi\nline, quoted "x"', "label": "negative"}),
    ]
    assert errors == []


def test_it_ignores_a_utf8_byte_order_mark(write):
    records, _, _ = read_all(write("bom.csv", b"\xef\xbb\xbftext\nhi\n"), "csv")
    assert records == [(1, {"text": "hi"})]


def test_it_reports_empty_texts_and_ragged_csv_rows_as_row_errors(write):
    path = write("a.csv", "text,label\n,positive\n   ,x\nok,y,extra\nfine,z\n")
    records, errors, _ = read_all(path, "csv")
    assert [r for r, _ in records] == [4]
    assert errors == [
        RowError(1, "The text is empty."),
        RowError(2, "The text is empty."),
        RowError(3, "The row has 3 fields where the header has 2."),
    ]


def test_it_fails_a_csv_without_the_text_column(write):
    with pytest.raises(ReaderError, match=r"no column 'text' \(columns: 'body', 'label'\)"):
        read_all(write("a.csv", "body,label\nhi,x\n"), "csv")


def test_it_reads_the_text_column_the_caller_names(write):
    records, _, _ = read_all(write("a.csv", "body\nhi\n"), "csv", text_field="body")
    assert records == [(1, {"body": "hi"})]


def test_it_fails_a_file_that_is_not_utf8_even_deep_in_the_file(write):
    content = "text\n" + "fine\n" * 5000 + "caf\xe9\n"
    with pytest.raises(ReaderError, match="not valid UTF-8"):
        read_all(write("latin1.csv", content.encode("latin-1")), "csv", chunk_rows=100)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl", "json", "txt", "labelstudio", "doccano", "parquet"])
def test_it_fails_an_empty_file(write, fmt):
    with pytest.raises(ReaderError, match="empty"):
        read_all(write(f"empty.{fmt}", b""), fmt)


def test_it_fails_a_csv_with_a_header_and_no_rows(write):
    with pytest.raises(ReaderError, match="no rows"):
        read_all(write("a.csv", "text\n"), "csv")


def test_it_reads_tsv_without_treating_quotes_specially(write):
    records, _, _ = read_all(write("a.tsv", 'text\tlabel\nhe said "hi\tx\n'), "tsv")
    assert records == [(1, {"text": 'he said "hi', "label": "x"})]


def test_it_reports_a_broken_json_line_in_the_middle_and_goes_on(write):
    path = write("a.jsonl", '{"text": "a"}\n{"text": "b"\n\n[1, 2]\n{"label": "x"}\n{"text": 3}\n{"text": "c"}\n')
    records, errors, _ = read_all(path, "jsonl")
    assert records == [(1, {"text": "a"}), (7, {"text": "c"})]
    assert [e.row for e in errors] == [2, 4, 5, 6]
    assert "not valid JSON" in errors[0].message
    assert errors[1].message == "The line is a JSON list, not an object."
    assert errors[2].message == "The text field 'text' is missing."
    assert errors[3].message == "The text field 'text' is not a string."


def test_it_fails_a_jsonl_file_with_bytes_that_are_not_utf8(write):
    with pytest.raises(ReaderError, match=r"not valid UTF-8 \(line 2"):
        read_all(write("a.jsonl", b'{"text": "a"}\n{"text": "\xff"}\n'), "jsonl")


def test_it_streams_a_json_array_larger_than_its_read_ahead(write):
    rows = [{"text": f"snippet {i} " + "x" * 50, "n": 10**12 + i} for i in range(3000)]
    path = write("a.json", json.dumps(rows, indent=1))
    records, errors, chunks = read_all(path, "json", chunk_rows=500)
    assert [r for _, r in records] == rows
    assert records[-1][0] == 3000 and errors == [] and chunks == 6


def test_it_reports_json_elements_that_are_not_objects(write):
    records, errors, _ = read_all(write("a.json", '[{"text": "a"}, 3 , {"text": "b"}]'), "json")
    assert [r for r, _ in records] == [1, 3]
    assert errors == [RowError(2, "The element is a JSON int, not an object.")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"text": "a"}', "must hold a JSON array"),
        ('[{"text": "a"}, {"text": ', "not valid JSON at element 2"),
        ('[{"text": "a"} {"text": "b"}]', "expected ',' or ']'"),
        ('[{"text": "a"}] extra', "data after the closing"),
    ],
)
def test_it_fails_a_json_document_that_is_not_an_array_of_values(write, content, message):
    with pytest.raises(ReaderError, match=message):
        read_all(write("a.json", content), "json")


def test_it_reads_plain_text_one_item_per_line_skipping_blank_lines(write):
    records, errors, _ = read_all(write("a.txt", "first\r\n\nsecond line\n"), "txt")
    assert records == [(1, {"text": "first"}), (3, {"text": "second line"})]
    assert errors == []


def test_it_reads_parquet_batch_by_batch_with_json_safe_values(write_parquet):
    path = write_parquet(
        "a.parquet",
        {
            "text": [f"t{i}" for i in range(12)],
            "score": list(range(12)),
            "at": [datetime(2024, 1, 1)] * 12,
        },
        row_group_size=5,
    )
    records, _, chunks = read_all(path, "parquet", chunk_rows=4)
    assert len(records) == 12 and chunks == 3
    assert records[11] == (12, {"text": "t11", "score": 11, "at": "2024-01-01 00:00:00.000000"})
    json.dumps([r for _, r in records])


def test_it_fails_parquet_without_the_text_column_or_not_parquet_at_all(write_parquet, write):
    with pytest.raises(ReaderError, match="no column 'text'"):
        read_all(write_parquet("a.parquet", {"body": ["x"]}), "parquet")
    with pytest.raises(ReaderError, match="not a readable Parquet file"):
        read_all(write("b.parquet", "text\nhello\n"), "parquet")


def test_it_reads_a_label_studio_export_one_record_per_annotation(write):
    tasks = [
        {
            "id": 7,
            "data": {"text": "great film"},
            "annotations": [
                {"completed_by": 1, "result": [{"type": "choices", "value": {"choices": ["positive"]}}]},
                {"completed_by": {"id": 2, "email": "b@x.org"}, "result": [{"value": {"choices": ["negative"]}}]},
                {"completed_by": 3, "was_cancelled": True, "result": []},
            ],
        },
        {"id": 8, "data": {"text": "no labels yet"}, "annotations": []},
        {"id": 9, "text": "no data object"},
    ]
    records, errors, _ = read_all(write("ls.json", json.dumps(tasks)), "labelstudio")
    assert records == [
        (1, {"text": "great film", "labelstudio_id": 7, "label": "positive", "annotator": "labelstudio:1"}),
        (1, {"text": "great film", "labelstudio_id": 7, "label": "negative", "annotator": "labelstudio:b@x.org"}),
        (2, {"text": "no labels yet", "labelstudio_id": 8}),
    ]
    assert errors == [RowError(3, "The task has no 'data' object.")]


def test_it_reads_a_doccano_export_with_label_lists(write_jsonl):
    path = write_jsonl("d.jsonl", [{"id": 1, "text": "a", "label": ["pos"]}, {"id": 2, "text": "b", "labels": ["neg"]}])
    records, _, _ = read_all(path, "doccano")
    assert records == [(1, {"id": 1, "text": "a", "label": ["pos"]}), (2, {"id": 2, "text": "b", "label": ["neg"]})]


def test_it_yields_bounded_chunks_counting_rows_and_errors(write):
    path = write("a.txt", "".join(f"line {i}\n" for i in range(25)))
    sizes = [chunk.seen for chunk in read_chunks(path, format="txt", chunk_rows=10)]
    assert sizes == [10, 10, 5]


def test_it_guesses_the_format_from_the_file_name():
    assert format_from_name("Reviews.CSV") == "csv"
    assert format_from_name("x.ndjson") == "jsonl"
    assert format_from_name("x.xlsx") is None


def test_the_survey_counts_rows_and_finds_bad_bytes_without_building_rows(write):
    from ingestion.readers import survey

    assert survey(write("a.csv", "text\na\nb\nc"), format="csv") == 3
    assert survey(write("a.json", '[{"text": "a"}, {"text": "b"}]'), format="json") == 2
    with pytest.raises(ReaderError, match=r"not valid UTF-8 \(line 3"):
        survey(write("b.jsonl", b'{"text": "a"}\n{"text": "b"}\n{"text": "\xe9"}\n'), format="jsonl")
    with pytest.raises(ReaderError, match="no column 'text'"):
        survey(write("c.csv", "body\nx\n"), format="csv")
    with pytest.raises(ReaderError, match="no rows"):
        survey(write("d.csv", "text\n"), format="csv")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ('{"text": "bad \\ud800"}', "text"),
        ('{"text": "fine", "note": ["ok", {"deep": "\\udfff"}]}', "note"),
        ('{"text": "fine", "\\ud83d": 1}', "'\\ud83d'"),
    ],
)
def test_it_reports_a_string_that_cannot_be_utf8_as_a_row_error_with_its_field(write, line, field):
    path = write("a.jsonl", '{"text": "caf\\u00e9 \\ud83d\\ude00"}\n' + line + "\n" + '{"text": "after"}\n')
    records, errors, _ = read_all(path, "jsonl")
    assert [text for _, text in ((n, r["text"]) for n, r in records)] == ["caf\u00e9 \U0001f600", "after"]
    assert [e.row for e in errors] == [2]
    assert f"field {field!r} holds a character that cannot be stored as UTF-8" in errors[0].message
