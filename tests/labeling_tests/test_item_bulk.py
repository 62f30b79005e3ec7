"""POST /projects/{id}/items/bulk: exclude, restore, send to review, assign; by ids or by the list's
filters; managers (reviewers: review only); set-based, 10,000 items in one request."""
from __future__ import annotations

from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from django.db.models import F
from django.utils import timezone

from annotation.imported import annotations_import
from annotation.models import Annotation, Lease, Review, ReviewCandidate, ReviewLease, Skip
from annotation.review_services import FLAG_SCORE, review_candidates_replace, review_claim_next, review_create
from curation.selectors import version_snapshot_dir
from curation.snapshot import DATA_FILE
from projects.models import Item
from tests import factories
from tests.versions_tests.conftest import (
    build,
    labeled_items,
    snapshot_dir,  # noqa: F401  (each test's own snapshot folder)
)

pytestmark = pytest.mark.django_db


def _bulk(client, project, **body):
    return client.post(f"/api/v1/projects/{project.id}/items/bulk", body, format="json")


def _ok(client, project, **body) -> dict:
    response = _bulk(client, project, **body)
    assert response.status_code == 200, response.json()
    return response.json()


def _labels(version) -> dict[int, str]:
    return {row["item_id"]: row["label"] for row in pq.read_table(version_snapshot_dir(version) / DATA_FILE).to_pylist()}


# ---------------------------------------------------------------------------------------- exclude, restore


def test_excluded_items_leave_the_next_version_and_restored_ones_come_back(client_for, project, manager, reviewer):
    items = labeled_items(project, 10)
    corrected, plain, kept = items[0], items[1], items[2]
    review_create(item=corrected, reviewer=reviewer, verdict="correct", value={"label": "negative"})
    review_create(item=plain, reviewer=reviewer, verdict="send_back")
    client = client_for(manager)

    body = _ok(client, project, ids=[corrected.id, plain.id], action="exclude", reason="off-topic")
    assert body == {"action": "exclude", "matched": 2, "changed": 2}
    assert set(Item.objects.filter(id__in=[corrected.id, plain.id]).values_list("excluded_reason", flat=True)) == {
        "review: off-topic"
    }
    without = _labels(build(project))
    assert corrected.id not in without and plain.id not in without and without[kept.id] == "positive"
    assert len(without) == 8

    counts = dict(Item.objects.filter(project=project).values_list("id", "annotation_count"))
    body = _ok(client, project, ids=[corrected.id, plain.id, kept.id], action="restore")
    assert body == {"action": "restore", "matched": 3, "changed": 2}
    back = _labels(build(project))
    assert len(back) == 10
    assert back[corrected.id] == "negative"  # the reviewer's correction came back with the item
    assert back[plain.id] == "negative"  # its votes decide, as before it was excluded (items[1] is "awful")
    latest = {r.item_id: r for r in Review.objects.filter(item_id__in=[corrected.id, plain.id]).order_by("id")}
    assert (latest[corrected.id].verdict, latest[corrected.id].label) == ("correct", "negative")
    assert latest[plain.id].verdict == "send_back" and latest[plain.id].reason == f"restored in bulk by {manager.username}"
    # A restore asks for no extra annotation (a reviewer's send-back would lower the count).
    assert dict(Item.objects.filter(project=project).values_list("id", "annotation_count")) == counts


def test_a_never_reviewed_item_is_restored_to_its_votes(client_for, project, manager):
    (item,) = labeled_items(project, 1)
    client = client_for(manager)
    _ok(client, project, ids=[item.id], action="exclude")
    assert Review.objects.get(item=item).reason == f"excluded in bulk by {manager.username}"
    _ok(client, project, ids=[item.id], action="restore")
    assert [r.verdict for r in Review.objects.filter(item=item).order_by("id")] == ["exclude", "send_back"]
    item.refresh_from_db()
    assert item.excluded_reason == "" and _labels(build(project)) == {item.id: "positive"}


def test_exclude_and_restore_leave_cleaning_exclusions_alone(client_for, project, manager):
    short, fine = labeled_items(project, 2)
    Item.objects.filter(id=short.id).update(excluded_reason="min_length: shorter than 5 chars")
    client = client_for(manager)
    assert _ok(client, project, ids=[short.id, fine.id], action="exclude")["changed"] == 1
    assert not Review.objects.filter(item=short).exists()
    assert _ok(client, project, ids=[short.id, fine.id], action="restore")["changed"] == 1
    short.refresh_from_db(), fine.refresh_from_db()
    assert (short.excluded_reason, fine.excluded_reason) == ("min_length: shorter than 5 chars", "")


def test_exclude_closes_the_items_review_candidates_and_review_lease(client_for, project, manager, reviewer):
    first, second = labeled_items(project, 2)
    review_candidates_replace(project_id=project.id, kind="suspect", entries=[(first.id, 0.9, {}), (second.id, 0.5, {})])
    lease = review_claim_next(project=project, user=reviewer)
    assert lease.item.id == first.id
    _ok(client_for(manager), project, ids=[first.id], action="exclude")
    assert not ReviewLease.objects.filter(item=first).exists()
    assert list(ReviewCandidate.objects.filter(resolved_at__isnull=True).values_list("item_id", flat=True)) == [second.id]


def test_a_filter_selects_the_items(client_for, project, manager):
    labeled = factories.make_items(project, ["good", "bad", "fine"])
    annotations_import(project=project, rows=[(i.id, "gold", {"label": "positive"}) for i in labeled])
    unlabeled = factories.make_items(project, ["nobody yet", "nor me"])
    body = _ok(client_for(manager), project, filter={"status": "unlabeled"}, action="exclude", reason="empty")
    assert body == {"action": "exclude", "matched": 2, "changed": 2}
    assert set(Item.objects.exclude(excluded_reason="").values_list("id", flat=True)) == {i.id for i in unlabeled}
    assert not Item.objects.filter(id__in=[i.id for i in labeled]).exclude(excluded_reason="").exists()


def test_ids_of_another_projects_items_match_nothing(client_for, project, manager):
    (elsewhere,) = factories.make_items(factories.make_project(), ["not in this project"])
    assert _ok(client_for(manager), project, ids=[elsewhere.id], action="exclude") == {
        "action": "exclude", "matched": 0, "changed": 0
    }
    elsewhere.refresh_from_db()
    assert elsewhere.excluded_reason == ""


# ------------------------------------------------------------------------------------------------- review


def test_review_sends_the_items_to_the_review_queue_as_flagged(client_for, project, reviewer):
    items = labeled_items(project, 4)
    Item.objects.filter(id=items[3].id).update(excluded_reason="min_length: too short")
    client = client_for(reviewer)
    body = _ok(client, project, ids=[i.id for i in items], action="review", reason="check the sarcasm")
    assert body == {"action": "review", "matched": 4, "changed": 3}
    assert _ok(client, project, ids=[i.id for i in items], action="review")["changed"] == 0  # open already
    candidate = ReviewCandidate.objects.get(item=items[0])
    assert (candidate.kind, candidate.score) == ("flagged", FLAG_SCORE)
    assert candidate.detail == {"by": reviewer.username, "bulk": True, "count": 1,
                                "flags": [{"by": reviewer.username, "reason": "check the sarcasm"}]}
    queued = client.post(f"/api/v1/projects/{project.id}/review-next", {}, format="json").json()
    assert queued["item"]["id"] == items[0].id
    assert queued["reasons"][0]["kind"] == "flagged"


# ------------------------------------------------------------------------------------------------- assign


@pytest.fixture
def team(project, manager):
    """Two annotators of the persona project (k = 1)."""
    return factories.make_member(project, role="annotator"), factories.make_member(project, role="annotator")


def _next(client, project):
    return client.post(f"/api/v1/projects/{project.id}/next", {}, format="json")


def test_assigned_items_go_to_the_assignee_and_nobody_else(client_for, project, manager, team, settings):
    mine, other = team
    items = factories.make_items(project, [f"text {i}" for i in range(4)])
    assigned = items[1:3]
    before = timezone.now()
    body = _ok(client_for(manager), project, ids=[i.id for i in assigned], action="assign", username=mine.username)
    assert body == {"action": "assign", "matched": 2, "changed": 2}
    lease = Lease.objects.get(item=assigned[0], user=mine)
    assert lease.expires_at >= before + timedelta(hours=settings.DATAMOAT_ASSIGNMENT_HOURS)

    other_client = client_for(other)
    first = _next(other_client, project).json()["item"]["id"]
    assert first == items[0].id  # never an assigned one
    other_client.post(f"/api/v1/items/{first}/annotations", {"value": {"label": "positive"}}, format="json")
    assert _next(other_client, project).json()["item"]["id"] == items[3].id

    mine_client = client_for(mine)
    served = []
    for _ in range(2):
        item_id = _next(mine_client, project).json()["item"]["id"]
        served.append(item_id)
        assert mine_client.post(f"/api/v1/items/{item_id}/annotations", {"value": {"label": "negative"}},
                                format="json").status_code == 201
    assert served == [i.id for i in assigned]


def test_assign_skips_items_without_room_or_already_done_by_the_assignee(client_for, project, manager, team):
    mine, other = team
    annotated, skipped, full, held, free = factories.make_items(project, [f"text {i}" for i in range(5)])
    Annotation.objects.create(project=project, item=annotated, annotator=mine, value={"label": "positive"},
                              label="positive")
    Skip.objects.create(project=project, item=skipped, user=mine)
    Item.objects.filter(id=full.id).update(annotation_count=F("annotation_count") + 1)
    Lease.objects.create(project=project, item=held, user=other, expires_at=timezone.now() + timedelta(minutes=5))
    Lease.objects.create(project=project, item=free, user=mine, expires_at=timezone.now() - timedelta(minutes=1))
    ids = [annotated.id, skipped.id, full.id, held.id, free.id]
    body = _ok(client_for(manager), project, ids=ids, action="assign", username=mine.username)
    assert body == {"action": "assign", "matched": 5, "changed": 1}  # only the free one (its old lease expired)
    assert Lease.objects.get(item=free, user=mine).expires_at > timezone.now() + timedelta(hours=1)
    assert _ok(client_for(manager), project, ids=ids, action="assign", username=mine.username)["changed"] == 0


@pytest.mark.parametrize("username", ["", "outsider", "ghost", "retired"])
def test_assign_needs_an_active_member_who_can_annotate(client_for, project, manager, outsider, username):
    retired = factories.make_member(project, factories.make_user("retired"), "annotator")
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    (item,) = factories.make_items(project, ["a text"])
    response = _bulk(client_for(manager), project, ids=[item.id], action="assign", username=username)
    assert response.status_code == 400 and "username" in response.json()["error"]["fields"]
    assert not Lease.objects.exists()


# ------------------------------------------------------------------------------------- roles, bad input


@pytest.mark.parametrize("action", ["exclude", "restore", "review", "assign"])
def test_annotators_cannot_act_in_bulk(client_for, project, annotator, action):
    (item,) = factories.make_items(project, ["a text"])
    response = _bulk(client_for(annotator), project, ids=[item.id], action=action, username=annotator.username)
    assert response.status_code == 403


@pytest.mark.parametrize("action", ["exclude", "restore", "assign"])
def test_reviewers_may_only_send_to_review(client_for, project, reviewer, annotator, action):
    (item,) = factories.make_items(project, ["a text"])
    response = _bulk(client_for(reviewer), project, ids=[item.id], action=action, username=annotator.username)
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    item.refresh_from_db()
    assert item.excluded_reason == "" and not Lease.objects.exists()


def test_admins_act_and_outsiders_and_strangers_do_not(client_for, project, admin, outsider):
    (item,) = factories.make_items(project, ["a text"])
    assert _ok(client_for(admin), project, ids=[item.id], action="exclude")["changed"] == 1
    assert _bulk(client_for(outsider), project, ids=[item.id], action="restore").status_code == 404
    assert _bulk(client_for(), project, ids=[item.id], action="restore").status_code == 401


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"action": "exclude"}, {"ids", "filter"}),
        ({"ids": [1], "filter": {}, "action": "exclude"}, {"ids", "filter"}),
        ({"ids": [], "action": "exclude"}, {"ids"}),
        ({"ids": ["one"], "action": "exclude"}, {"ids"}),
        ({"ids": list(range(1, 10_002)), "action": "exclude"}, {"ids"}),
        ({"ids": [1], "action": "delete"}, {"action"}),
        ({"filter": {"stauts": "done"}, "action": "exclude"}, {"filter"}),
        ({"filter": {"status": "finished"}, "action": "exclude"}, {"filter"}),
        ({"filter": {"confidence_below": 3}, "action": "review"}, {"filter"}),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(client_for, project, manager, body, fields):
    factories.make_items(project, ["a text", "another"])
    response = _bulk(client_for(manager), project, **body)
    assert response.status_code == 400
    assert fields <= set(response.json()["error"]["fields"]), response.json()
    assert not Item.objects.exclude(excluded_reason="").exists() and not Review.objects.exists()


# ---------------------------------------------------------------------------------------------- 10,000


N = 10_000


def test_ten_thousand_items_in_one_request_each(client_for, project, manager, django_assert_max_num_queries):
    """Set-based: a fixed handful of statements per 5,000 items, never one per item."""
    assignee = factories.make_member(project, role="annotator")
    items = factories.make_items(project, [f"text number {i}" for i in range(N + 1)])
    ids = [i.id for i in items[:N]]
    client = client_for(manager)
    assert _bulk(client, project, filter={}, action="exclude").status_code == 413  # 10,001 match
    assert not Item.objects.exclude(excluded_reason="").exists()

    # the project with the caller's role; the matched ids; a savepoint and its release; per 5,000 ids:
    # the locked rows and four writes (exclude), the locked rows and two writes (restore), one insert
    # (review), the locked rows, the assignee's expired leases and an insert (assign, which first looks
    # the assignee and their role up)
    budgets = {"exclude": 14, "restore": 10, "review": 6, "assign": 12}
    for action, changed in (("exclude", N), ("restore", N), ("review", N), ("assign", N)):
        with django_assert_max_num_queries(budgets[action]):
            body = _ok(client, project, ids=ids, action=action, username=assignee.username)
        assert body == {"action": action, "matched": N, "changed": changed}, action
    assert Review.objects.filter(verdict="exclude").count() == N and Review.objects.filter(verdict="send_back").count() == N
    assert not Item.objects.exclude(excluded_reason="").exists()
    assert ReviewCandidate.objects.filter(kind="flagged", resolved_at__isnull=True).count() == N
    assert Lease.objects.filter(user=assignee).count() == N


# ------------------------------------------------------------------------------------ concurrency (PostgreSQL)


@pytest.mark.django_db(transaction=True)
def test_an_assignment_racing_two_annotators_never_hands_an_item_twice(requires_postgres):
    from annotation import item_services, services
    from tests.labeling_tests.test_queue_race_postgres import _in_threads

    project = factories.make_project(k=1)
    factories.make_items(project, [f"text {i}" for i in range(300)])
    admin = factories.make_user(is_admin=True)
    assignee, *people = (factories.make_member(project, role="annotator") for _ in range(3))
    project.user_role = "admin"

    def work(index, barrier):
        barrier.wait()
        if index == 0:
            return item_services.items_bulk(project=project, user=admin, action="assign", username=assignee.username,
                                            items=Item.objects.filter(project=project))["changed"]
        done = []
        while (lease := services.item_claim_next(project=project, user=people[index - 1])) is not None:
            services.annotation_create(item=lease.item, user=people[index - 1], value={"label": "positive"})
            done.append(lease.item_id)
        return done

    assigned, *labeled = _in_threads(3, work)
    held = set(Lease.objects.filter(user=assignee, expires_at__gt=timezone.now()).values_list("item_id", flat=True))
    annotated = [item_id for done in labeled for item_id in done]
    assert len(held) == assigned and len(annotated) == len(set(annotated))
    assert not held & set(annotated) and len(held) + len(annotated) == 300  # every item once: k = 1


@pytest.mark.django_db(transaction=True)
def test_two_bulk_reviews_at_once_open_each_candidate_once(requires_postgres):
    from annotation import item_services
    from tests.labeling_tests.test_queue_race_postgres import _in_threads

    project = factories.make_project()
    factories.make_items(project, [f"text {i}" for i in range(2000)])
    admin = factories.make_user(is_admin=True)
    project.user_role = "admin"

    def work(index, barrier):
        barrier.wait()
        return item_services.items_bulk(project=project, user=admin, action="review",
                                        items=Item.objects.filter(project=project))["changed"]

    changed = _in_threads(2, work)
    assert sum(changed) == 2000
    assert ReviewCandidate.objects.filter(kind="flagged", resolved_at__isnull=True).count() == 2000
