"""GET /projects/{id}/export: every item of the project once, with its current annotations, streamed."""
from __future__ import annotations

import json

from django.http import StreamingHttpResponse

from accounts.roles import Role
from annotation import project_export
from annotation.imported import annotations_import
from annotation.services import annotation_create, annotation_revise, item_claim_next
from tests.factories import make_items, make_member, make_project


def _rows(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    return [json.loads(line) for line in b"".join(response.streaming_content).decode("utf-8").splitlines()]


def _label(project, user, label: str):
    lease = item_claim_next(project=project, user=user)
    return annotation_create(item=lease.item, user=user, value={"label": label}, lead_time_ms=700)


def test_it_streams_every_item_once_with_its_current_annotations(client_for, manager, project, monkeypatch):
    monkeypatch.setattr(project_export, "BATCH", 3)  # several batches: the keyset and the id ranges
    items = make_items(project, [f"text {i}" for i in range(8)])
    items[2].text, items[2].excluded_reason = "cleaned text", "too_short"
    items[2].save(update_fields=["text", "excluded_reason"])
    annotator = make_member(project, role=Role.ANNOTATOR)
    first = _label(project, annotator, "positive")
    revised = annotation_revise(annotation=first, editor=annotator, role=Role.ANNOTATOR, value={"label": "negative"})
    annotations_import(project=project, rows=[(items[5].id, "crowd", {"label": "positive"})])
    other = make_items(make_project(), ["text 0", "elsewhere"])  # another project's items stay out

    response = client_for(manager).get(f"/api/v1/projects/{project.id}/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    rows = _rows(response)

    assert [r["id"] for r in rows] == [i.id for i in items]
    assert not {i.id for i in other} & {r["id"] for r in rows}
    by_id = {r["id"]: r for r in rows}
    assert by_id[items[2].id]["text"] == "cleaned text" and by_id[items[2].id]["raw_text"] == "text 2"
    assert by_id[items[2].id]["excluded_reason"] == "too_short"
    mine = by_id[revised.item_id]["annotations"]
    assert [(a["annotator"], a["value"], a["lead_time_ms"]) for a in mine] == [
        (annotator.username, {"label": "negative"}, revised.lead_time_ms)
    ]
    assert [(a["annotator"], a["source"], a["value"]) for a in by_id[items[5].id]["annotations"]] == [
        (None, "crowd", {"label": "positive"})
    ]
    labelled = {revised.item_id, items[5].id}
    assert all(r["annotations"] == [] for r in rows if r["id"] not in labelled)


def test_it_sends_meta_and_hidden_columns_to_managers(client_for, manager, project):
    [item] = make_items(project, ["with columns"])
    item.meta, item.hidden = {"lang": "en", "stars": 4}, {"gold": "positive"}
    item.save(update_fields=["meta", "hidden"])
    [row] = _rows(client_for(manager).get(f"/api/v1/projects/{project.id}/export", {"format": "jsonl"}))
    assert row["meta"] == {"lang": "en", "stars": 4} and row["hidden"] == {"gold": "positive"}


def test_an_empty_project_exports_an_empty_file(client_for, admin, project):
    assert _rows(client_for(admin).get(f"/api/v1/projects/{project.id}/export")) == []


def test_an_unknown_format_is_invalid(client_for, manager, project):
    response = client_for(manager).get(f"/api/v1/projects/{project.id}/export", {"format": "xml"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"format": ["Unknown format."]}


def test_annotator_cannot_export_the_project(client_for, annotator, project):
    assert client_for(annotator).get(f"/api/v1/projects/{project.id}/export").status_code == 403


def test_reviewer_cannot_export_the_project(client_for, reviewer, project):
    assert client_for(reviewer).get(f"/api/v1/projects/{project.id}/export").status_code == 403


def test_outsider_cannot_see_the_project(client_for, outsider, project):
    assert client_for(outsider).get(f"/api/v1/projects/{project.id}/export").status_code == 404
