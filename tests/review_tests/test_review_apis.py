"""The review loop's endpoints: allow and deny per role, and what each answers."""
from __future__ import annotations

import pytest

from annotation import review_services
from annotation.models import Review
from tests import factories
from tests.review_tests.conftest import build
from tests.versions_tests.conftest import vote

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(project):
    """Two items waiting for review: a flagged one and a suspect with a suggestion."""
    items = factories.make_items(project, ["a flagged text", "a suspect text"])
    vote(items[0], "positive", "crowd-a")
    vote(items[0], "negative", "crowd-b")
    vote(items[1], "positive", "gold")
    flagger = factories.make_user("flagger")
    review_services.flag_create(item=items[0], user=flagger, reason="which is it?")
    review_services.review_candidate_add(
        project_id=project.id, item_id=items[1].id, kind="suspect", score=0.9,
        detail={"given": "positive", "suggested": "negative", "self_confidence": 0.1, "rank": 1, "version": 1},
    )
    return items


@pytest.mark.parametrize("persona", ["admin", "manager", "reviewer"])
def test_reviewers_get_the_next_item_with_its_reasons(request, client_for, project, waiting, persona):
    client = client_for(request.getfixturevalue(persona))
    body = client.post(f"/api/v1/projects/{project.id}/review-next", {}, format="json").json()
    assert body["item"]["id"] == waiting[0].id  # flagged first
    assert body["reasons"] == [{"kind": "flagged", "detail": {"flags": [{"by": "flagger", "reason": "which is it?"}],
                                                               "count": 1}}]
    assert body["annotations"] == [{"annotator": "crowd-a", "value": {"label": "positive"}},
                                   {"annotator": "crowd-b", "value": {"label": "negative"}}]
    assert body["consolidated"] == {"value": {"label": "positive"}, "confidence": 0.5}
    assert body["suggestion"] is None and body["lease_expires_at"]
    nxt = client.post(f"/api/v1/projects/{project.id}/review-next", {"reason": "suspect"}, format="json").json()
    assert nxt["item"]["id"] == waiting[1].id
    assert nxt["suggestion"] == {"value": {"label": "negative"}, "confidence": 0.9,
                                 "source": "label-noise estimate, version 1"}


def test_annotators_cannot_review_and_outsiders_see_nothing(client_for, project, waiting, annotator, outsider):
    for url in (f"/api/v1/projects/{project.id}/review-next", f"/api/v1/projects/{project.id}/review-queue"):
        call = "post" if url.endswith("next") else "get"
        assert getattr(client_for(annotator), call)(url).status_code == 403
        assert getattr(client_for(outsider), call)(url).status_code == 404


def test_the_queue_lists_what_waits_with_counts_per_reason(client_for, project, waiting, reviewer):
    body = client_for(reviewer).get(f"/api/v1/projects/{project.id}/review-queue").json()
    assert body["counts"] == {"items": 2, "disagreement": 0, "low_confidence": 0, "suspect": 1, "model_mistake": 0,
                              "flagged": 1}
    assert [row["kind"] for row in body["results"]] == ["flagged", "suspect"] and body["next"] is None
    only = client_for(reviewer).get(f"/api/v1/projects/{project.id}/review-queue?reason=suspect").json()
    assert [row["item_id"] for row in only["results"]] == [waiting[1].id]
    assert client_for(reviewer).get(f"/api/v1/projects/{project.id}/review-queue?reason=mood").status_code == 400


def test_nothing_left_is_204(client_for, project, reviewer):
    assert client_for(reviewer).post(f"/api/v1/projects/{project.id}/review-next").status_code == 204


def test_a_verdict_takes_the_item_out_of_the_queue(client_for, project, waiting, reviewer):
    client = client_for(reviewer)
    response = client.post(f"/api/v1/items/{waiting[0].id}/reviews", {"verdict": "exclude", "reason": "ambiguous"},
                           format="json")
    assert response.status_code == 201 and response.json()["reason"] == "ambiguous"
    body = client.get(f"/api/v1/projects/{project.id}/review-queue").json()
    assert body["counts"]["items"] == 1 and body["counts"]["flagged"] == 0
    missing = client.post(f"/api/v1/items/{waiting[1].id}/reviews", {"verdict": "exclude"}, format="json")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "reason_required"
    back = client.post(f"/api/v1/items/{waiting[1].id}/reviews", {"verdict": "send_back"}, format="json")
    assert back.status_code == 201
    assert [r.verdict for r in Review.objects.order_by("id")] == ["exclude", "send_back"]


def test_any_member_flags_an_item(client_for, project, waiting, annotator, outsider):
    response = client_for(annotator).post(f"/api/v1/items/{waiting[1].id}/flags", {"reason": "typo"}, format="json")
    assert response.status_code == 201 and response.json()["reason"] == "typo"
    assert client_for(outsider).post(f"/api/v1/items/{waiting[1].id}/flags", {}, format="json").status_code == 404


def test_managers_pin_the_ruler_and_reviewers_read_it(client_for, noisy_project, make_reviewers):
    project, _, _ = noisy_project
    manager = factories.make_member(project, factories.make_user("boss"), "manager")
    (reviewer,) = make_reviewers(project, 1)
    url = f"/api/v1/projects/{project.id}/evaluation-set"
    assert client_for(reviewer).get(url).json()["error"]["code"] == "no_evaluation_set"
    version = build(project)
    assert client_for(reviewer).post(url, {"from_version": version.id}, format="json").status_code == 403
    pinned = client_for(manager).post(url, {"from_version": version.id, "split": "test"}, format="json")
    assert pinned.status_code == 201, pinned.json()
    body = client_for(reviewer).get(url).json()
    assert body["items_count"] == version.counts["test"] == len(body["items"])
    assert (body["revision"], body["from_version_number"]) == (1, version.number)
    again = client_for(manager).post(url, {"from_version": version.id}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "evaluation_set_exists"


def test_the_diff_names_its_causes(client_for, project, reviewer, manager):
    items = factories.make_items(project, [f"a text to label {i}" for i in range(4)])
    for item in items:
        vote(item, "positive")
    old = build(project, split={"train": 1.0, "val": 0.0, "test": 0.0})
    review_services.review_create(item=items[0], reviewer=reviewer, verdict="correct", value={"label": "negative"})
    new = build(project, split={"train": 1.0, "val": 0.0, "test": 0.0})
    body = client_for(manager).get(f"/api/v1/versions/{new.id}/diff?against={old.id}").json()
    assert body["causes"] == {"review": 1, "annotations": 0, "cleaning": 0, "import": 0, "consolidation": 0}
    (row,) = body["items"]["relabeled"]
    assert row["cause"] == "review" and row["cause_detail"] == {"cause": "review", "by": "reviewer", "verdict": "correct"}
