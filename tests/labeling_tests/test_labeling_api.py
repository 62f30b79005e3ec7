"""Labeling endpoints: behaviour through HTTP, and who may call what (API.md roles)."""
from __future__ import annotations

import pytest

from annotation import services
from annotation.models import Annotation
from tests import factories

pytestmark = pytest.mark.django_db

MEMBERS = ["admin", "manager", "reviewer", "annotator"]


def _user(request, role):
    return request.getfixturevalue(role)


def _next(client, project, **body):
    return client.post(f"/api/v1/projects/{project.id}/next", body, format="json")


# --- next -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MEMBERS)
def test_members_get_the_next_item(request, client_for, project, items, role):
    response = _next(client_for(_user(request, role)), project)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["item"] == {"id": items[0].id, "text": items[0].text, "meta": {}}
    assert body["lease_expires_at"]


def test_next_answers_204_when_nothing_is_left(client_for, project, annotator):
    assert _next(client_for(annotator), project).status_code == 204


def test_next_skips_the_ids_the_browser_already_shows(client_for, project, items, annotator):
    client = client_for(annotator)
    shown = _next(client, project).json()["item"]["id"]
    assert _next(client, project, exclude=[shown]).json()["item"]["id"] == items[1].id
    query = client.post(f"/api/v1/projects/{project.id}/next?exclude={items[0].id},{items[1].id}")
    assert query.json()["item"]["id"] == items[2].id


def test_next_rejects_a_malformed_exclude_list(client_for, project, items, annotator):
    response = _next(client_for(annotator), project, exclude=["x"])
    assert response.status_code == 400 and response.json()["error"]["fields"]["exclude"]


def test_outsider_cannot_get_the_next_item(client_for, project, items, outsider):
    assert _next(client_for(outsider), project).status_code == 404


def test_anonymous_cannot_get_the_next_item(client_for, project, items):
    assert _next(client_for(), project).status_code == 401


# --- annotate and skip ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", MEMBERS)
def test_members_annotate_the_item_they_lease(request, client_for, project, items, role):
    client = client_for(_user(request, role))
    item_id = _next(client, project).json()["item"]["id"]
    response = client.post(f"/api/v1/items/{item_id}/annotations", {"value": {"label": "positive"}, "lead_time_ms": 900}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["item_id"], body["label"], body["lead_time_ms"]) == (item_id, "positive", 900)
    assert body["annotator"] == _user(request, role).username


def test_annotating_without_a_lease_is_a_409(client_for, project, items, annotator):
    response = client_for(annotator).post(f"/api/v1/items/{items[0].id}/annotations", {"value": {"label": "positive"}}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_live_lease"


def test_a_second_annotation_is_a_409(client_for, project, items, annotator):
    client = client_for(annotator)
    item_id = _next(client, project).json()["item"]["id"]
    url = f"/api/v1/items/{item_id}/annotations"
    assert client.post(url, {"value": {"label": "positive"}}, format="json").status_code == 201
    again = client.post(url, {"value": {"label": "negative"}}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_annotated"


def test_an_unknown_label_is_a_400(client_for, project, items, annotator):
    client = client_for(annotator)
    item_id = _next(client, project).json()["item"]["id"]
    response = client.post(f"/api/v1/items/{item_id}/annotations", {"value": {"label": "meh"}}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_label"


def test_a_missing_value_or_negative_lead_time_is_a_400(client_for, project, items, annotator):
    client = client_for(annotator)
    item_id = _next(client, project).json()["item"]["id"]
    url = f"/api/v1/items/{item_id}/annotations"
    assert client.post(url, {}, format="json").status_code == 400
    assert client.post(url, {"value": {"label": "positive"}, "lead_time_ms": -1}, format="json").status_code == 400


def test_outsider_cannot_annotate(client_for, project, items, outsider):
    url = f"/api/v1/items/{items[0].id}/annotations"
    assert client_for(outsider).post(url, {"value": {"label": "positive"}}, format="json").status_code == 404


def test_anonymous_cannot_annotate(client_for, project, items):
    url = f"/api/v1/items/{items[0].id}/annotations"
    assert client_for().post(url, {"value": {"label": "positive"}}, format="json").status_code == 401


def test_an_item_of_another_project_is_a_404(client_for, project, annotator):
    (elsewhere,) = factories.make_items(factories.make_project(), ["not yours"])
    client = client_for(annotator)
    assert client.post(f"/api/v1/items/{elsewhere.id}/annotations", {"value": {}}, format="json").status_code == 404
    assert client.post(f"/api/v1/items/{elsewhere.id}/skip").status_code == 404


@pytest.mark.parametrize("role", MEMBERS)
def test_members_skip_and_are_not_offered_the_item_again(request, client_for, project, items, role):
    client = client_for(_user(request, role))
    item_id = _next(client, project).json()["item"]["id"]
    assert client.post(f"/api/v1/items/{item_id}/skip").status_code == 204
    assert _next(client, project).json()["item"]["id"] != item_id


def test_outsider_cannot_skip(client_for, project, items, outsider):
    assert client_for(outsider).post(f"/api/v1/items/{items[0].id}/skip").status_code == 404


def test_anonymous_cannot_skip(client_for, project, items):
    assert client_for().post(f"/api/v1/items/{items[0].id}/skip").status_code == 401


# --- item detail and reviews ------------------------------------------------------------------------


def _labelled(project, items, annotator):
    lease = services.item_claim_next(project=project, user=annotator)
    services.annotation_create(item=lease.item, user=annotator, value={"label": "negative"}, lead_time_ms=700)
    return lease.item


@pytest.mark.parametrize("role", ["admin", "manager", "reviewer"])
def test_reviewers_and_managers_see_an_item_with_its_annotations(request, client_for, project, items, annotator, role):
    item = _labelled(project, items, annotator)
    Annotation.objects.create(project=project, item=item, source="vader_gold", value={"label": "positive"}, label="positive")
    response = client_for(_user(request, role)).get(f"/api/v1/items/{item.id}")
    assert response.status_code == 200
    rows = response.json()["annotations"]
    assert [(r["annotator"], r["source"], r["label"], r["lead_time_ms"]) for r in rows] == [
        ("annotator", None, "negative", 700),
        (None, "vader_gold", "positive", None),
    ]


def test_annotator_cannot_see_an_items_annotations(client_for, project, items, annotator):
    assert client_for(annotator).get(f"/api/v1/items/{items[0].id}").status_code == 403


def test_outsider_cannot_see_an_item(client_for, project, items, outsider):
    assert client_for(outsider).get(f"/api/v1/items/{items[0].id}").status_code == 404


def test_anonymous_cannot_see_an_item(client_for, project, items):
    assert client_for().get(f"/api/v1/items/{items[0].id}").status_code == 401


@pytest.mark.parametrize("role", ["admin", "manager", "reviewer"])
def test_reviewers_and_managers_review_an_item(request, client_for, project, items, role):
    url = f"/api/v1/items/{items[0].id}/reviews"
    client = client_for(_user(request, role))
    response = client.post(url, {"verdict": "correct", "value": {"label": "positive"}}, format="json")
    assert response.status_code == 201 and response.json()["label"] == "positive"
    assert client.post(url, {"verdict": "correct", "value": {"label": "meh"}}, format="json").status_code == 400
    detail = client_for(_user(request, role)).get(f"/api/v1/items/{items[0].id}").json()
    assert [r["verdict"] for r in detail["reviews"]] == ["correct"]


def test_annotator_cannot_review(client_for, project, items, annotator):
    url = f"/api/v1/items/{items[0].id}/reviews"
    assert client_for(annotator).post(url, {"verdict": "accept"}, format="json").status_code == 403


def test_outsider_cannot_review(client_for, project, items, outsider):
    url = f"/api/v1/items/{items[0].id}/reviews"
    assert client_for(outsider).post(url, {"verdict": "accept"}, format="json").status_code == 404


def test_anonymous_cannot_review(client_for, project, items):
    assert client_for().post(f"/api/v1/items/{items[0].id}/reviews", {"verdict": "accept"}, format="json").status_code == 401


# --- stats ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", MEMBERS)
def test_members_see_the_project_stats(request, client_for, project, items, annotator, role):
    _labelled(project, items, annotator)
    items[2].excluded_reason = "too short"
    items[2].save()
    response = client_for(_user(request, role)).get(f"/api/v1/projects/{project.id}/stats")
    assert response.status_code == 200
    body = response.json()
    assert body.pop("mine")["remaining"] == 1  # the caller's own figures: tests/labeling_tests/test_progress_stats.py
    assert body == {
        "items": 3,
        "excluded": 1,
        "annotated_items": 1,
        "completed_items": 1,
        "annotations": 1,
        "label_counts": {"positive": 0, "negative": 1},
    }


def _labelled_by_two(project, items, annotator, make_annotators):
    """``annotator`` says negative on one item; another annotator says positive on the other two."""
    _labelled(project, items, annotator)
    (other,) = make_annotators(project, 1)
    for _ in range(2):
        lease = services.item_claim_next(project=project, user=other)
        services.annotation_create(item=lease.item, user=other, value={"label": "positive"})


def test_an_annotator_sees_only_their_own_label_counts(client_for, project, items, annotator, make_annotators):
    _labelled_by_two(project, items, annotator, make_annotators)
    body = client_for(annotator).get(f"/api/v1/projects/{project.id}/stats").json()
    assert body["label_counts"] == {"positive": 0, "negative": 1} and body["annotations"] == 1
    # Progress figures stay project-wide: every item has its one annotation.
    assert (body["items"], body["annotated_items"], body["completed_items"]) == (3, 3, 3)


@pytest.mark.parametrize("role", ["admin", "manager", "reviewer"])
def test_managers_and_reviewers_see_every_label_count(request, client_for, project, items, annotator, make_annotators, role):
    _labelled_by_two(project, items, annotator, make_annotators)
    body = client_for(_user(request, role)).get(f"/api/v1/projects/{project.id}/stats").json()
    assert body["label_counts"] == {"positive": 2, "negative": 1} and body["annotations"] == 3


def test_outsider_cannot_see_the_stats(client_for, project, outsider):
    assert client_for(outsider).get(f"/api/v1/projects/{project.id}/stats").status_code == 404


def test_anonymous_cannot_see_the_stats(client_for, project):
    assert client_for().get(f"/api/v1/projects/{project.id}/stats").status_code == 401


# --- annotation list ------------------------------------------------------------------------------------


def _two_people_labelled(project, items, make_annotators):
    project.annotations_per_item = 2
    project.save()
    a, b = make_annotators(project, 2)
    for user in (a, b):
        for _ in items:
            lease = services.item_claim_next(project=project, user=user)
            services.annotation_create(item=lease.item, user=user, value={"label": "positive"})
    return a, b


@pytest.mark.parametrize("role", ["admin", "manager", "reviewer"])
def test_reviewers_and_managers_list_every_annotation(request, client_for, project, items, make_annotators, role):
    _two_people_labelled(project, items, make_annotators)
    response = client_for(_user(request, role)).get(f"/api/v1/projects/{project.id}/annotations")
    assert response.status_code == 200 and len(response.json()["results"]) == 6


def test_annotators_list_only_their_own_annotations(client_for, project, items, make_annotators):
    a, _ = _two_people_labelled(project, items, make_annotators)
    rows = client_for(a).get(f"/api/v1/projects/{project.id}/annotations").json()["results"]
    assert len(rows) == 3 and {r["annotator"] for r in rows} == {a.username}
    assert rows[0]["text"]


def test_the_annotation_list_pages_with_a_cursor(client_for, project, items, make_annotators, manager):
    _two_people_labelled(project, items, make_annotators)
    client = client_for(manager)
    first = client.get(f"/api/v1/projects/{project.id}/annotations?page_size=4").json()
    second = client.get(first["next"]).json()
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(ids) == 6 == len(set(ids)) and ids == sorted(ids, reverse=True) and second["next"] is None


def test_outsider_cannot_list_annotations(client_for, project, outsider):
    assert client_for(outsider).get(f"/api/v1/projects/{project.id}/annotations").status_code == 404


def test_anonymous_cannot_list_annotations(client_for, project):
    assert client_for().get(f"/api/v1/projects/{project.id}/annotations").status_code == 401


def test_exclude_ids_no_item_can_have_are_ignored_not_a_500(client_for, project, items, annotator):
    response = client_for(annotator).post(
        f"/api/v1/projects/{project.id}/next", {"exclude": [-5, 0, 2**70, items[0].id]}, format="json"
    )
    assert response.status_code == 200 and response.json()["item"]["id"] == items[1].id
