"""Importing spans and multi-label (issue 8): each importer on a real file, through the real import path,
into annotations by named sources (annotation.imported), and the options on the API."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from annotation.models import Annotation
from annotation.values import value_clean
from common.errors import Invalid
from common.models import JobStatus
from ingestion.services import import_create, import_execute
from projects.models import Item
from tests import factories

from .test_span_readers import FILES, wnut_path

WNUT_TYPES = ["person", "geo-loc", "company", "facility", "product", "musicartist", "movie", "sportsteam",
              "tvshow", "other"]
CONLL_TYPES = ["PER", "LOC", "ORG", "MISC"]


def run_import(project, path, **options):
    job = import_create(project=project, file=path, dispatch=False, **options)
    import_execute(job_id=job.id)
    job.refresh_from_db()
    return job


def spans_of(annotation):
    text = annotation.item.text
    return [(text[s["start"] : s["end"]], s["label"]) for s in annotation.value["spans"]]


def assert_canonical(project):
    """Every imported value is what the labeling API itself would store (annotation.values)."""
    for annotation in Annotation.objects.select_related("item"):
        cleaned, _ = value_clean(
            task_type=project.task_type, labels=project.labels, value=annotation.value, text=annotation.item.text
        )
        assert cleaned == annotation.value


@pytest.mark.django_db
def test_the_wnut16_conll_file_becomes_items_with_span_annotations():
    project = factories.make_project(name="WNUT", task_type="spans", labels=WNUT_TYPES)
    job = run_import(project, wnut_path(), format="conll", label_source="wnut16")

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.options["label_field"] == "label"  # a CoNLL file's tags are its labels
    assert (job.created_count, job.skipped_rows) == (2394 - job.duplicate_count, 0)
    # Every tweet, the ones without entities too; a tweet the file repeats with other tags is a second source.
    assert Annotation.objects.filter(source="wnut16").count() == job.created_count
    repeats = Annotation.objects.exclude(source="wnut16")
    assert {a.source for a in repeats} == {"wnut16#2"} and job.annotation_count == job.created_count + repeats.count()
    first_item = Item.objects.filter(project=project).order_by("id").first()
    first = Annotation.objects.select_related("item").get(source="wnut16", item=first_item)
    assert first.source == "wnut16" and first.annotator is None and first.label == ""
    assert spans_of(first) == [("Empire State Building", "facility"), ("ESB", "facility")]
    empty = Annotation.objects.filter(value={"spans": []}).count()
    assert 0 < empty < job.annotation_count
    assert set(Item.objects.filter(project=project).values_list("annotation_count", flat=True)) == {1, 2}
    assert_canonical(project)


@pytest.mark.django_db
def test_one_character_per_line_chinese_joins_tokens_with_nothing():
    project = factories.make_project(name="MSRA", task_type="spans", labels=["PER", "LOC", "ORG"])
    job = run_import(project, FILES / "msra_test_excerpt.txt", format="conll", tokens_joined_by="",
                     label_source="msra")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.created_count, job.annotation_count, job.options["tokens_joined_by"]) == (3, 3, "")
    annotation = Annotation.objects.select_related("item").get(item__text__startswith="为了增强该剧")
    assert spans_of(annotation) == [("恒万公司", "ORG"), ("港", "LOC"), ("台", "LOC"), ("赵崇基", "PER"),
                                    ("霍志谐", "PER")]
    assert_canonical(project)


@pytest.mark.django_db
def test_a_tag_outside_the_project_skips_its_sentence():
    project = factories.make_project(name="MSRA", task_type="spans", labels=["PER", "LOC"])
    job = run_import(project, FILES / "msra_test_excerpt.txt", format="conll", tokens_joined_by="")
    assert (job.created_count, job.skipped_rows) == (1, 2)
    assert job.row_errors[0] == {"row": 2, "message": "The span label 'ORG' is not one of the project's labels ('PER', 'LOC')."}


@pytest.mark.django_db
def test_a_label_studio_ner_export_gives_one_annotation_per_annotator():
    project = factories.make_project(name="LS", task_type="spans", labels=CONLL_TYPES)
    job = run_import(project, FILES / "labelstudio_ner.json", format="labelstudio", annotator_field="annotator")

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.row_errors == [
        {"row": 5, "message": "A labels region [0, 5) says it covers 'London', which is not what the text holds there."}
    ]
    by = {(a.item.text[:6], a.source): a for a in Annotation.objects.select_related("item")}
    assert spans_of(by[("Met 😀 ", "labelstudio:1")]) == [("Angela Merkel", "PER"), ("Berlin", "LOC")]
    assert spans_of(by[("Met 😀 ", "labelstudio:rater2@example.com")]) == [("Berlin", "LOC")]
    assert spans_of(by[("🎉🎉 周杰伦", "labelstudio:1")]) == [("周杰伦", "PER"), ("台北", "LOC")]
    assert by[("Nothin", "labelstudio:1")].value == {"spans": []}
    assert Item.objects.get(text__startswith="A task whose").annotation_count == 0
    assert (job.created_count, job.annotation_count) == (4, 4)
    assert_canonical(project)


@pytest.mark.django_db
def test_a_doccano_sequence_labeling_file_with_its_row_errors():
    project = factories.make_project(name="doccano", task_type="spans", labels=CONLL_TYPES)
    job = run_import(project, FILES / "doccano_ner.jsonl", format="doccano", label_field="label", label_source="doccano")

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert [e["row"] for e in job.row_errors] == [4, 5]
    assert "'PERSON' is not one of the project's labels" in job.row_errors[1]["message"]
    found = {a.item.text: spans_of(a) for a in Annotation.objects.select_related("item")}
    assert found == {
        "EU rejects German call to boycott British lamb.": [("EU", "ORG"), ("German", "MISC"), ("British", "MISC")],
        "Peter Blackburn 🐑 visited Brussels": [("Peter Blackburn", "PER"), ("Brussels", "LOC")],
        "上海是一座城市": [("上海", "LOC")],
    }
    assert Item.objects.filter(project=project, text="An unlabelled example", annotation_count=0).exists()
    assert job.options == {"text_field": "text", "label_field": "label", "annotator_field": None,
                           "hidden_fields": [], "label_source": "doccano"}
    assert_canonical(project)


@pytest.mark.django_db
def test_spans_repeating_a_text_with_other_spans_are_a_second_source(write_jsonl):
    project = factories.make_project(name="jsonl", task_type="spans", labels=CONLL_TYPES)
    path = write_jsonl("s.jsonl", [
        {"text": "Paris and Rome", "ents": [[10, 14, "LOC"], [0, 5, "LOC"], [0, 5, "LOC"]]},
        {"text": "Paris and Rome", "ents": [[0, 5, "PER"]]},
    ])
    job = run_import(project, path, format="jsonl", label_field="ents", label_source="gold")
    values = dict(Annotation.objects.values_list("source", "value"))
    assert values == {
        "gold": {"spans": [{"start": 0, "end": 5, "label": "LOC"}, {"start": 10, "end": 14, "label": "LOC"}]},
        "gold#2": {"spans": [{"start": 0, "end": 5, "label": "PER"}]},
    }
    assert (job.created_count, job.annotation_count) == (1, 2)


@pytest.mark.django_db
def test_multilabel_from_a_separator_and_from_a_json_list_cell(write):
    project = factories.make_project(name="topics", task_type="multilabel", labels=["sports", "politics", "money"])
    path = write("m.csv", 'text,tags\none,"money | sports"\ntwo,\nthree,politics\nfour,sports|weather\n')
    job = run_import(project, path, label_field="tags", label_separator="|", label_source="sep")
    assert (job.created_count, job.annotation_count, job.skipped_rows) == (3, 2, 1)
    assert job.options["label_separator"] == "|"
    path = write("j.csv", 'text,tags\nfive,"[""politics"", ""sports""]"\nsix,[]\nseven,"[""sports"""\n')
    job = run_import(project, path, label_field="tags", label_source="json")
    assert (job.annotation_count, job.skipped_rows) == (1, 1)
    assert job.row_errors[0]["message"].endswith("is not a JSON list of label names.")
    values = {a.item.text: a.value for a in Annotation.objects.select_related("item")}
    assert values == {"one": {"labels": ["sports", "money"]}, "three": {"labels": ["politics"]},
                      "five": {"labels": ["sports", "politics"]}}


@pytest.mark.django_db
def test_the_options_are_refused_where_they_mean_nothing(project, write):
    path = write("a.csv", "text\nhello\n")
    with pytest.raises(Invalid) as error:
        import_create(project=project, file=path, label_field="label", label_separator="|", dispatch=False)
    assert "label_separator" in error.value.fields
    with pytest.raises(Invalid) as error:
        import_create(project=project, file=path, tokens_joined_by="", dispatch=False)
    assert "tokens_joined_by" in error.value.fields
    conll = write("a.conll", "a O\n")
    with pytest.raises(Invalid):
        import_create(project=project, file=conll, tokens_joined_by="-", dispatch=False)


@pytest.mark.django_db
def test_the_api_takes_conll_with_tokens_joined_by_nothing(client_for):
    project = factories.make_project(name="MSRA", task_type="spans", labels=["PER", "LOC", "ORG"])
    manager = factories.make_member(project, factories.make_user("manager"), "manager")
    file = io.BytesIO(Path(FILES / "msra_test_excerpt.txt").read_bytes())
    file.name = "msra.txt"
    response = client_for(manager).post(
        f"/api/v1/projects/{project.id}/imports", {"file": file, "format": "conll", "tokens_joined_by": ""},
        format="multipart",
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["format"] == "conll" and body["options"]["tokens_joined_by"] == "" and body["options"]["label_field"] == "label"
    import_execute(job_id=body["id"])
    assert Item.objects.filter(project=project, text__startswith="1995年世界妇女大会在京").exists()
    file = io.BytesIO(b'text,tags\na,"x;y"\n')
    file.name = "m.csv"
    response = client_for(manager).post(
        f"/api/v1/projects/{project.id}/imports", {"file": file, "label_field": "tags", "label_separator": ";"},
        format="multipart",
    )
    assert response.status_code == 400 and "label_separator" in response.json()["error"]["fields"]


def test_the_hand_written_files_are_the_documented_shapes():
    tasks = json.loads((FILES / "labelstudio_ner.json").read_text(encoding="utf-8"))
    result = tasks[0]["annotations"][0]["result"][0]
    assert set(result) >= {"value", "from_name", "to_name", "type"} and result["type"] == "labels"
    assert set(result["value"]) == {"start", "end", "text", "labels"}
    first = json.loads((FILES / "doccano_ner.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["label"] == [[0, 2, "ORG"], [11, 17, "MISC"], [34, 41, "MISC"]]


@pytest.mark.django_db
def test_a_project_without_overlap_refuses_nested_spans_per_row(write_jsonl):
    project = factories.make_project(name="flat", task_type="spans", labels=CONLL_TYPES, span_overlap=False)
    path = write_jsonl("s.jsonl", [
        {"text": "Bank of England", "label": [[0, 15, "ORG"], [8, 15, "LOC"]]},
        {"text": "Bank of Italy", "label": [[0, 13, "ORG"]]},
    ])
    job = run_import(project, path, format="doccano", label_field="label")
    assert (job.created_count, job.annotation_count) == (1, 1)
    assert job.row_errors == [{"row": 1, "message": "The spans [0, 15) and [8, 15) overlap; this project does not "
                                                    "allow overlapping spans."}]
