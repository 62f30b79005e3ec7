"""The per-project span_overlap setting: off (the default) refuses overlapping spans, on allows them;
set through the project API (create and PATCH) and shown on it."""
from __future__ import annotations

import pytest

from annotation import review_services, services
from annotation.values import value_clean
from common.errors import Invalid
from tests import factories

pytestmark = pytest.mark.django_db

TEXT = "北京大学的张三"  # 北京 [0, 2) inside 北京大学 [0, 4); 张三 [5, 7)
NESTED = {"spans": [{"start": 0, "end": 4, "label": "ORG"}, {"start": 0, "end": 2, "label": "LOC"}]}
TOUCHING = {"spans": [{"start": 0, "end": 4, "label": "ORG"}, {"start": 4, "end": 5, "label": "LOC"},
                      {"start": 5, "end": 7, "label": "PER"}]}


def test_value_clean_refuses_overlap_only_when_told():
    labels = ["PER", "ORG", "LOC"]
    assert value_clean(task_type="spans", labels=labels, value=NESTED, text=TEXT)[0]["spans"][0]["end"] == 2
    with pytest.raises(Invalid) as raised:
        value_clean(task_type="spans", labels=labels, value=NESTED, text=TEXT, overlap=False)
    assert raised.value.code == "spans_overlap" and "[0, 2)" in raised.value.message
    # Touching spans share no character; a span after a long one that ends past it overlaps that one.
    assert len(value_clean(task_type="spans", labels=labels, value=TOUCHING, text=TEXT, overlap=False)[0]["spans"]) == 3
    long_then_short = {"spans": [{"start": 0, "end": 7, "label": "ORG"}, {"start": 1, "end": 2, "label": "LOC"},
                                 {"start": 5, "end": 7, "label": "PER"}]}
    with pytest.raises(Invalid):
        value_clean(task_type="spans", labels=labels, value=long_then_short, text=TEXT, overlap=False)


def test_annotations_and_corrections_follow_the_project_setting():
    project = factories.make_project(task_type="spans", labels=("PER", "ORG", "LOC"))
    assert project.span_overlap is False
    with pytest.raises(Invalid):
        services.annotation_value_clean(project=project, value=NESTED, text=TEXT)
    item = factories.make_items(project, [TEXT])[0]
    with pytest.raises(Invalid):
        review_services.review_create(item=item, reviewer=factories.make_user("rev"), verdict="correct", value=NESTED)
    project.span_overlap = True
    project.save()
    assert len(services.annotation_value_clean(project=project, value=NESTED, text=TEXT)[0]["spans"]) == 2


def test_the_project_api_creates_shows_and_patches_span_overlap(client_for, admin):
    client = client_for(admin)
    created = client.post("/api/v1/projects", {"name": "NER", "task_type": "spans", "labels": ["PER", "ORG"]}, format="json")
    assert created.status_code == 201 and created.json()["span_overlap"] is False
    project_id = created.json()["id"]
    patched = client.patch(f"/api/v1/projects/{project_id}", {"span_overlap": True}, format="json")
    assert patched.status_code == 200 and patched.json()["span_overlap"] is True
    assert client.get(f"/api/v1/projects/{project_id}").json()["span_overlap"] is True
    other = client.post("/api/v1/projects", {"name": "Nested", "task_type": "spans", "labels": ["PER"], "span_overlap": True},
                        format="json")
    assert other.json()["span_overlap"] is True
    assert client.patch(f"/api/v1/projects/{project_id}", {"span_overlap": "maybe"}, format="json").status_code == 400
