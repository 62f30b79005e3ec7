"""Exports of multilabel and span versions (issue 8): jsonl/csv/parquet carry labels or spans; CoNLL
(BIO), Hugging Face parquet, Label Studio and doccano in the shapes their importers read."""
from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from accounts.roles import Role
from curation.exporters import hf_features, labelstudio_config, read_conll, write_conll, write_hf
from curation.exporters.bio import bio_names, bio_tags
from tests import factories
from tests.versions_tests.conftest import build, labeled_items
from tests.versions_tests.structured import ENTITIES, TOPICS, answer, multilabel_project, span, spans_project

EN = "Ada Lovelace visited London ."
ZH = "马云在杭州创办了阿里巴巴"
EN_SPANS = [span(EN, "Ada Lovelace", "PER"), span(EN, "London", "LOC")]
ZH_SPANS = [span(ZH, "马云", "PER"), span(ZH, "杭州", "LOC"), span(ZH, "阿里巴巴", "ORG")]

# Written by hand: what the BIO tagging of the two texts must be.
EN_CONLL = """Ada B-PER
Lovelace I-PER
visited O
London B-LOC
. O

"""
ZH_CONLL = """马 B-PER
云 I-PER
在 O
杭 B-LOC
州 I-LOC
创 O
办 O
了 O
阿 B-ORG
里 I-ORG
巴 I-ORG
巴 I-ORG

"""


def _conll(rows, tokenizer):
    return b"".join(write_conll([rows], tokenizer=tokenizer)).decode("utf-8")


def test_conll_matches_the_hand_written_files():
    assert _conll([{"text": EN, "spans": EN_SPANS}], "whitespace") == EN_CONLL
    assert _conll([{"text": ZH, "spans": ZH_SPANS}], "char") == ZH_CONLL
    both = _conll([{"text": EN, "spans": EN_SPANS}, {"text": "", "spans": []}, {"text": "no entity", "spans": []}],
                  "whitespace")
    assert both == EN_CONLL + "no O\nentity O\n\n"  # the empty text writes nothing


def test_conll_round_trips_tokens_and_tags():
    items = read_conll(EN_CONLL + ZH_CONLL)
    assert items[0] == list(zip(*bio_tags(EN, EN_SPANS, "whitespace"), strict=True))
    assert items[1] == list(zip(*bio_tags(ZH, ZH_SPANS, "char"), strict=True))
    # tags back to spans over the tokens: the entities come back
    tokens, tags = zip(*items[1], strict=True)
    assert "".join(tokens[8:12]) == "阿里巴巴" and tags[8:12] == ("B-ORG", "I-ORG", "I-ORG", "I-ORG")


def test_bio_keeps_the_first_of_overlapping_spans_and_tags_partial_tokens():
    text = "New York City"
    tokens, tags = bio_tags(text, [{"start": 0, "end": 13, "label": "LOC"}, {"start": 4, "end": 8, "label": "ORG"}])
    assert tags == ["B-LOC", "I-LOC", "I-LOC"]
    _tokens, tags = bio_tags("Londoners cheer", [{"start": 0, "end": 6, "label": "LOC"}])
    assert tags == ["B-LOC", "O"]
    with pytest.raises(ValueError):
        bio_tags("x", [], "bpe")


def test_hf_features_declare_class_labels():
    features = hf_features("multilabel", TOPICS)
    assert features["labels"] == {"feature": {"names": list(TOPICS), "_type": "ClassLabel"}, "_type": "Sequence"}
    features = hf_features("spans", ENTITIES)
    assert features["ner_tags"]["feature"]["names"] == bio_names(ENTITIES) == [
        "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    assert hf_features("classification", ["a", "b"])["label"] == {"names": ["a", "b"], "_type": "ClassLabel"}


def test_hf_parquet_loads_with_datasets(tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = [{"id": 1, "text": ZH, "split": "train", "confidence": 1.0, "spans": ZH_SPANS}]
    path = tmp_path / "spans.parquet"
    path.write_bytes(b"".join(write_hf([rows], task_type="spans", labels=ENTITIES, tokenizer="char")))
    loaded = datasets.Dataset.from_parquet(str(path))
    tags = loaded.features["ner_tags"].feature
    assert isinstance(tags, datasets.ClassLabel) and tags.names == bio_names(ENTITIES)
    row = loaded[0]
    assert row["tokens"] == list(ZH)
    assert [tags.int2str(t) for t in row["ner_tags"]] == [t for _tok, t in read_conll(ZH_CONLL)[0]]
    assert row["spans"] == ZH_SPANS

    rows = [{"id": 2, "text": "t", "split": "val", "confidence": 0.5, "labels": ["economy", "sport"]},
            {"id": 3, "text": "u", "split": "val", "confidence": 1.0, "labels": []}]
    path = tmp_path / "multi.parquet"
    path.write_bytes(b"".join(write_hf([rows], task_type="multilabel", labels=TOPICS)))
    loaded = datasets.Dataset.from_parquet(str(path))
    feature = loaded.features["labels"].feature
    assert isinstance(feature, datasets.ClassLabel) and feature.names == list(TOPICS)
    assert [feature.int2str(i) for i in loaded[0]["labels"]] == ["economy", "sport"] and loaded[1]["labels"] == []


def test_labelstudio_config_matches_the_results():
    assert '<Labels name="label" toName="text"><Label value="PER"/>' in labelstudio_config("spans", ENTITIES)
    assert 'choice="multiple"' in labelstudio_config("multilabel", TOPICS)


# ---- through the API, from built versions -------------------------------------------------------------


@pytest.fixture
def span_version(db):
    project = spans_project(name="Entities")
    en, zh, empty = factories.make_items(project, [EN, ZH, "nothing here"])
    answer(en, {"spans": EN_SPANS}, "ann1")
    answer(zh, {"spans": ZH_SPANS}, "ann1")
    answer(empty, {"spans": []}, "ann1")
    manager = factories.make_member(project, factories.make_user("manager"), Role.MANAGER)
    return build(project, split={"train": 1.0, "val": 0.0, "test": 0.0}), manager, (en, zh, empty)


@pytest.fixture
def multilabel_version(db):
    project = multilabel_project(name="Topics")
    a, b = factories.make_items(project, ["=budget and football", "a quiet day"])
    answer(a, {"labels": ["sport", "economy"]}, "ann1")
    answer(b, {"labels": []}, "ann1")
    manager = factories.make_member(project, factories.make_user("manager"), Role.MANAGER)
    return build(project, split={"train": 1.0, "val": 0.0, "test": 0.0}), manager, (a, b)


def _get(client, version, **params):
    response = client.get(f"/api/v1/versions/{version.id}/export", params)
    return response, (b"".join(response.streaming_content) if response.status_code == 200 else None)


def test_span_jsonl_csv_and_parquet_carry_the_spans(client_for, span_version):
    version, manager, (en, zh, empty) = span_version
    client = client_for(manager)
    _response, body = _get(client, version, format="jsonl")
    rows = [json.loads(line) for line in body.decode("utf-8").splitlines()]
    assert [(r["id"], r["spans"]) for r in rows] == [(en.id, EN_SPANS), (zh.id, ZH_SPANS), (empty.id, [])]
    assert set(rows[0]) == {"id", "text", "spans", "split", "confidence"}
    _response, body = _get(client, version, format="csv")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    assert [json.loads(r["spans"]) for r in rows] == [EN_SPANS, ZH_SPANS, []]
    response, body = _get(client, version, format="parquet")
    table = pq.read_table(io.BytesIO(body))
    assert table.column("spans").to_pylist() == [EN_SPANS, ZH_SPANS, []]
    assert response["Content-Disposition"].endswith('-v1-all.parquet"')


def test_span_conll_from_the_api(client_for, span_version):
    version, manager, _items = span_version
    client = client_for(manager)
    response, body = _get(client, version, format="conll")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert body.decode("utf-8") == EN_CONLL + _conll([{"text": ZH, "spans": ZH_SPANS}], "whitespace") + \
        "nothing O\nhere O\n\n"
    response, body = _get(client, version, format="conll", tokenizer="char")
    items = read_conll(body.decode("utf-8"))
    assert items[1] == read_conll(ZH_CONLL)[0]
    assert response["Content-Disposition"].endswith('-v1-all-char.conll"')
    response, _ = _get(client, version, format="conll", tokenizer="bpe")
    assert response.status_code == 400 and "tokenizer" in response.json()["error"]["fields"]


def test_conll_is_refused_for_other_task_types(client_for, multilabel_version):
    version, manager, _items = multilabel_version
    response, _ = _get(client_for(manager), version, format="conll")
    assert response.status_code == 400 and "format" in response.json()["error"]["fields"]


def test_span_labelstudio_export_is_a_task_import(client_for, span_version):
    version, manager, (en, zh, empty) = span_version
    response, body = _get(client_for(manager), version, format="labelstudio")
    assert response["Content-Type"] == "application/json"
    tasks = json.loads(body)
    assert [t["data"]["item_id"] for t in tasks] == [en.id, zh.id, empty.id]
    result = tasks[1]["annotations"][0]["result"]
    assert [r["value"] for r in result] == [
        {"start": s["start"], "end": s["end"], "text": ZH[s["start"]:s["end"]], "labels": [s["label"]]}
        for s in ZH_SPANS]
    assert {(r["from_name"], r["to_name"], r["type"]) for r in result} == {("label", "text", "labels")}
    assert tasks[1]["data"]["text"] == ZH and tasks[2]["annotations"][0]["result"] == []


def test_span_doccano_export_is_sequence_labelling_jsonl(client_for, span_version):
    version, manager, _items = span_version
    _response, body = _get(client_for(manager), version, format="doccano")
    rows = [json.loads(line) for line in body.decode("utf-8").splitlines()]
    assert rows[1]["text"] == ZH
    assert rows[1]["label"] == [[0, 2, "PER"], [3, 5, "LOC"], [8, 12, "ORG"]]
    assert rows[2]["label"] == []


def test_span_hf_export_from_the_api(client_for, span_version):
    version, manager, _items = span_version
    response, body = _get(client_for(manager), version, format="hf", tokenizer="char")
    assert response["Content-Disposition"].endswith('-v1-all-hf-char.parquet"')
    table = pq.read_table(io.BytesIO(body))
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert features["ner_tags"]["feature"]["names"] == bio_names(ENTITIES)
    assert table.column("tokens").to_pylist()[1] == list(ZH)
    names = bio_names(ENTITIES)
    assert [names[i] for i in table.column("ner_tags").to_pylist()[1]] == [t for _tok, t in read_conll(ZH_CONLL)[0]]


def test_multilabel_exports(client_for, multilabel_version):
    version, manager, (a, b) = multilabel_version
    client = client_for(manager)
    _response, body = _get(client, version, format="jsonl")
    rows = [json.loads(line) for line in body.decode("utf-8").splitlines()]
    assert [(r["id"], r["labels"]) for r in rows] == [(a.id, ["sport", "economy"]), (b.id, [])]
    _response, body = _get(client, version, format="csv")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    assert rows[0]["text"] == "'=budget and football"  # formulas escaped as in classification exports
    assert [json.loads(r["labels"]) for r in rows] == [["sport", "economy"], []]
    _response, body = _get(client, version, format="parquet")
    assert pq.read_table(io.BytesIO(body)).column("labels").to_pylist() == [["sport", "economy"], []]
    _response, body = _get(client, version, format="labelstudio")
    tasks = json.loads(body)
    assert tasks[0]["annotations"][0]["result"] == [
        {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["sport", "economy"]}}]
    assert tasks[1]["annotations"][0]["result"] == []
    _response, body = _get(client, version, format="doccano")
    assert [json.loads(line)["label"] for line in body.decode("utf-8").splitlines()] == [["sport", "economy"], []]
    _response, body = _get(client, version, format="hf")
    table = pq.read_table(io.BytesIO(body))
    assert table.column("labels").to_pylist() == [[0, 2], []]  # ClassLabel indices in TOPICS


def test_classification_tool_formats(client_for, project, manager):
    labeled_items(project, 6)
    version = build(project)
    client = client_for(manager)
    _response, body = _get(client, version, format="labelstudio")
    tasks = json.loads(body)
    assert len(tasks) == 6
    assert tasks[0]["annotations"][0]["result"][0]["value"] == {"choices": ["positive"]}
    _response, body = _get(client, version, format="doccano")
    assert json.loads(body.decode("utf-8").splitlines()[1])["label"] == ["negative"]
    _response, body = _get(client, version, format="hf")
    table = pq.read_table(io.BytesIO(body))
    features = json.loads(table.schema.metadata[b"huggingface"])["info"]["features"]
    assert features["label"] == {"names": ["positive", "negative"], "_type": "ClassLabel"}
    assert table.column("label").to_pylist()[:2] == [0, 1]


# ---- round trips through our own importers (ingestion.readers) ---------------------------------------


def _write(tmp_path, name, body: bytes):
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_exports_round_trip_through_the_import_readers(client_for, span_version, tmp_path):
    readers = pytest.importorskip("ingestion.readers")
    version, manager, (en, zh, empty) = span_version
    client = client_for(manager)
    expected = {EN: EN_SPANS, ZH: ZH_SPANS, "nothing here": []}

    _response, body = _get(client, version, format="labelstudio")
    records = list(readers.read_labelstudio(_write(tmp_path, "ls.json", body), spans=True))
    assert {r[1]["text"]: r[1]["label"]["spans"] for r in records} == expected
    assert [r[1]["item_id"] for r in records] == [en.id, zh.id, empty.id]

    _response, body = _get(client, version, format="doccano")
    records = list(readers.read_doccano(_write(tmp_path, "d.jsonl", body)))
    assert {r[1]["text"]: [{"start": s, "end": e, "label": lab} for s, e, lab in r[1]["label"]]
            for r in records} == expected

    _response, body = _get(client, version, format="conll")  # whitespace tokens joined by " "
    records = list(readers.read_conll(_write(tmp_path, "en.conll", body), tokens_joined_by=" "))
    assert records[0][1]["text"] == EN and records[0][1]["label"] == {"spans": EN_SPANS}
    assert records[2][1]["label"] == {"spans": []}
    _response, body = _get(client, version, format="conll", tokenizer="char")  # characters joined by ""
    records = list(readers.read_conll(_write(tmp_path, "zh.conll", body), tokens_joined_by=""))
    assert records[1][1]["text"] == ZH and records[1][1]["label"] == {"spans": ZH_SPANS}


def test_empty_tool_exports_are_valid_files():
    from curation.exporters import write_doccano, write_labelstudio
    assert json.loads(b"".join(write_labelstudio([[]], task_type="spans"))) == []
    assert b"".join(write_doccano([[]], task_type="spans")) == b""
    assert _conll([], "char") == ""
    two = [[{"id": 1, "text": "a", "split": "train", "label": "x"}], [{"id": 2, "text": "b", "split": "train",
                                                                      "label": "y"}]]
    tasks = json.loads(b"".join(write_labelstudio(two)))  # tasks of two batches, one array
    assert [t["data"]["item_id"] for t in tasks] == [1, 2]
