"""Editing an annotation: append-only revisions, the latest per person counts everywhere.

``PATCH /annotations/{id}`` writes a new current row that supersedes the old one; every reader (stats,
agreement, the version build, the review queue, the back key's list) sees one vote per person.
"""
from __future__ import annotations

import threading

import pyarrow.parquet as pq
import pytest
from django.db import connection

from accounts.roles import Role
from annotation import quality_selectors, services
from annotation.imported import annotations_import, annotations_remove
from annotation.models import Annotation, ReviewCandidate
from common.errors import Conflict
from curation.selectors import version_snapshot_dir
from curation.snapshot import DATA_FILE
from projects.models import Item
from tests import factories
from tests.labeling_tests.conftest import texts
from tests.versions_tests.conftest import build

pytestmark = pytest.mark.django_db


def _annotate(project, user, label: str) -> Annotation:
    lease = services.item_claim_next(project=project, user=user)
    return services.annotation_create(item=lease.item, user=user, value={"label": label})


def _patch(client, annotation_id: int, value, **extra):
    return client.patch(f"/api/v1/annotations/{annotation_id}", {"value": value, **extra}, format="json")


def _rows(version) -> list[dict]:
    assert version.status == "succeeded", version.error
    return pq.read_table(version_snapshot_dir(version) / DATA_FILE).to_pylist()


@pytest.fixture
def snapshots(settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"


# --- the edit -------------------------------------------------------------------------------------------


def test_an_edit_is_a_new_revision_that_supersedes_the_old_one(client_for, project, items, annotator):
    first = _annotate(project, annotator, "positive")
    response = _patch(client_for(annotator), first.id, {"label": "negative"}, lead_time_ms=1500)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] != first.id and body["supersedes"] == first.id and body["superseded_at"] is None
    assert (body["item_id"], body["annotator"], body["value"], body["label"], body["lead_time_ms"]) == (
        first.item_id, annotator.username, {"label": "negative"}, "negative", 1500,
    )
    old = Annotation.revisions.get(id=first.id)
    assert old.superseded_at is not None and old.label == "positive"  # history kept as it was
    assert list(Annotation.objects.filter(item_id=first.item_id).values_list("id", "label")) == [(body["id"], "negative")]
    assert Annotation.revisions.filter(item_id=first.item_id).count() == 2
    assert Item.objects.get(id=first.item_id).annotation_count == 1  # still one annotation


def test_the_old_revision_answers_409_naming_the_current_one(client_for, project, items, annotator):
    first = _annotate(project, annotator, "positive")
    client = client_for(annotator)
    current = _patch(client, first.id, {"label": "negative"}).json()["id"]
    response = _patch(client, first.id, {"label": "positive"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "annotation_superseded" and str(current) in error["message"]
    assert Annotation.objects.get(item_id=first.item_id).id == current
    # The current one may be edited again: a chain of three.
    third = _patch(client, current, {"label": "positive"}).json()
    assert third["supersedes"] == current
    assert Annotation.revisions.filter(item_id=first.item_id).count() == 3


def test_an_invalid_value_changes_nothing(client_for, project, items, annotator):
    first = _annotate(project, annotator, "positive")
    response = _patch(client_for(annotator), first.id, {"label": "neutral"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_label"
    assert Annotation.revisions.get(item_id=first.item_id).superseded_at is None


def test_someone_elses_annotation_is_403_for_annotators_and_reviewers(client_for, project, items, annotator, reviewer,
                                                                      make_annotators):
    first = _annotate(project, annotator, "positive")
    (other,) = make_annotators(project, 1)
    for user in (other, reviewer):
        response = _patch(client_for(user), first.id, {"label": "negative"})
        assert response.status_code == 403, user
    assert Annotation.objects.get(item_id=first.item_id).id == first.id


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_edits_anyones_annotation_imported_ones_too(request, client_for, project, items, annotator, role):
    first = _annotate(project, annotator, "positive")
    annotations_import(project=project, rows=[(items[1].id, "gold", {"label": "positive"})])
    imported = Annotation.objects.get(item_id=items[1].id)
    client = client_for(request.getfixturevalue(role))
    assert _patch(client, first.id, {"label": "negative"}).json()["annotator"] == annotator.username
    body = _patch(client, imported.id, {"label": "negative"}).json()
    assert (body["source"], body["annotator"], body["label"]) == ("gold", None, "negative")
    assert Item.objects.get(id=items[1].id).annotation_count == 1


def test_an_annotator_who_left_the_project_cannot_edit(client_for, project, items, annotator):
    first = _annotate(project, annotator, "positive")
    project.memberships.filter(user=annotator).delete()
    assert _patch(client_for(annotator), first.id, {"label": "negative"}).status_code == 404


def test_outsiders_and_anonymous_are_refused(client_for, project, items, annotator, outsider):
    first = _annotate(project, annotator, "positive")
    assert _patch(client_for(outsider), first.id, {"label": "negative"}).status_code == 404
    assert _patch(client_for(), first.id, {"label": "negative"}).status_code == 401
    assert _patch(client_for(annotator), 10**30, {"label": "negative"}).status_code == 404


def test_get_shows_any_revision_to_its_author_and_reviewers(client_for, project, items, annotator, reviewer,
                                                            make_annotators):
    first = _annotate(project, annotator, "positive")
    _patch(client_for(annotator), first.id, {"label": "negative"})
    body = client_for(reviewer).get(f"/api/v1/annotations/{first.id}").json()
    assert body["label"] == "positive" and body["superseded_at"] is not None
    assert client_for(annotator).get(f"/api/v1/annotations/{first.id}").status_code == 200
    (other,) = make_annotators(project, 1)
    assert client_for(other).get(f"/api/v1/annotations/{first.id}").status_code == 403


# --- readers take the latest per person --------------------------------------------------------------------


def test_mine_lists_only_current_annotations_newest_first_with_text(client_for, project, items, annotator):
    made = [_annotate(project, annotator, "positive") for _ in range(3)]
    client = client_for(annotator)
    edited = _patch(client, made[0].id, {"label": "negative"}).json()["id"]
    rows = client.get(f"/api/v1/projects/{project.id}/annotations?mine=true").json()["results"]
    assert [r["id"] for r in rows] == [edited, made[2].id, made[1].id]
    assert rows[0]["text"] == Item.objects.get(id=made[0].item_id).text and rows[0]["label"] == "negative"


def test_stats_and_agreement_count_one_vote_per_person_after_edits(client_for, make_annotators, admin):
    project = factories.make_project(k=2)
    made = factories.make_items(project, texts(2))
    ann, other = make_annotators(project, 2)
    for user, label in ((ann, "positive"), (other, "positive")):
        for _ in made:
            _annotate(project, user, label)
    client = client_for(ann)
    for annotation in Annotation.objects.filter(annotator=ann):
        current = _patch(client, annotation.id, {"label": "negative"}).json()["id"]
        _patch(client, current, {"label": "positive"})  # and back: three revisions, one vote
    body = client_for(admin).get(f"/api/v1/projects/{project.id}/stats").json()
    assert body["annotations"] == 4 and body["label_counts"] == {"positive": 4, "negative": 0}
    votes, _ = quality_selectors.project_votes(project=project)
    assert sorted(votes) == sorted((i.id, f"user:{u.id}", "positive") for i in made for u in (ann, other))
    report = client_for(admin).get(f"/api/v1/projects/{project.id}/agreement").json()
    assert {a["annotator"]: a["items"] for a in report["annotators"]} == {ann.username: 2, other.username: 2}


def test_the_version_build_takes_the_latest_label_per_person(client_for, project, items, annotator, snapshots):
    first = _annotate(project, annotator, "positive")
    before = {r["item_id"]: r["label"] for r in _rows(build(project))}
    assert before[first.item_id] == "positive"
    _patch(client_for(annotator), first.id, {"label": "negative"})
    rows = {r["item_id"]: r for r in _rows(build(project))}
    assert rows[first.item_id]["label"] == "negative" and rows[first.item_id]["annotations"] == 1


def test_an_edit_that_disagrees_opens_a_review_candidate_and_one_that_settles_withdraws_it(
    client_for, make_annotators
):
    project = factories.make_project(k=2)
    (item,) = factories.make_items(project, ["one text"])
    ann, other = make_annotators(project, 2)
    mine = _annotate(project, ann, "positive")
    _annotate(project, other, "positive")
    open_disagreements = ReviewCandidate.objects.filter(item=item, kind="disagreement", resolved_at__isnull=True)
    assert not open_disagreements.exists()
    current = _patch(client_for(ann), mine.id, {"label": "negative"}).json()["id"]
    assert open_disagreements.get().detail == {"labels": {"negative": 1, "positive": 1}}
    _patch(client_for(ann), current, {"label": "positive"})
    assert not open_disagreements.exists()


def test_the_queue_never_hands_back_an_item_its_annotator_edited(project, make_annotators):
    project.annotations_per_item = 2
    project.save()
    (item,) = factories.make_items(project, ["only item"])
    (ann,) = make_annotators(project, 1)
    first = _annotate(project, ann, "positive")
    services.annotation_revise(annotation=first, editor=ann, role=Role.ANNOTATOR, value={"label": "negative"})
    assert services.item_claim_next(project=project, user=ann) is None
    (newcomer,) = make_annotators(project, 1)
    assert services.item_claim_next(project=project, user=newcomer).item_id == item.id


def test_annotating_again_after_an_edit_is_still_already_annotated(client_for, project, annotator):
    project.annotations_per_item = 2
    project.save()
    (item,) = factories.make_items(project, ["only item"])
    first = _annotate(project, annotator, "positive")
    _patch(client_for(annotator), first.id, {"label": "negative"})
    response = client_for(annotator).post(f"/api/v1/items/{item.id}/annotations", {"value": {"label": "positive"}},
                                          format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_annotated"


# --- deletes take whole chains ---------------------------------------------------------------------------


def test_undoing_an_import_removes_an_edited_annotation_with_its_revisions(project, items, manager):
    created: list[tuple[int, int]] = []
    annotations_import(project=project, rows=[(items[0].id, "gold", {"label": "positive"})], created=created)
    (annotation_id, _), = created
    imported = Annotation.objects.get(id=annotation_id)
    services.annotation_revise(annotation=imported, editor=manager, role=Role.MANAGER, value={"label": "negative"})
    assert annotations_remove(ids=[annotation_id]) == 1
    assert not Annotation.revisions.filter(item_id=items[0].id).exists()
    assert Item.objects.get(id=items[0].id).annotation_count == 0


def test_deleting_an_item_deletes_every_revision(project, items, annotator):
    first = _annotate(project, annotator, "positive")
    services.annotation_revise(annotation=first, editor=annotator, role=Role.ANNOTATOR, value={"label": "negative"})
    Item.objects.filter(id=first.item_id).delete()
    assert not Annotation.revisions.filter(item_id=first.item_id).exists()


# --- concurrency -----------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_edits_of_one_row_one_wins_one_conflicts(requires_postgres):
    for _round in range(10):
        project = factories.make_project()
        (item,) = factories.make_items(project, [f"round {_round}"])
        user = factories.make_member(project, factories.make_user(), Role.ANNOTATOR)
        first = _annotate(project, user, "positive")
        barrier = threading.Barrier(2)
        outcomes: list = [None, None]

        def edit(index: int, first=first, user=user, barrier=barrier, outcomes=outcomes) -> None:
            try:
                barrier.wait()
                annotation = Annotation.revisions.select_related("item__project", "annotator").get(id=first.id)
                revised = services.annotation_revise(
                    annotation=annotation, editor=user, role=Role.ANNOTATOR,
                    value={"label": "negative" if index else "positive"},
                )
                outcomes[index] = revised.id
            except Conflict as error:
                outcomes[index] = error.code
            except BaseException as error:  # surfaced below
                outcomes[index] = error
            finally:
                connection.close()

        threads = [threading.Thread(target=edit, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(map(type, outcomes), key=str) == sorted([int, str], key=str), outcomes
        assert "annotation_superseded" in outcomes
        current = list(Annotation.objects.filter(item=item).values_list("id", flat=True))
        assert current == [next(o for o in outcomes if isinstance(o, int))]
        assert Annotation.revisions.filter(item=item).count() == 2
        assert Item.objects.get(id=item.id).annotation_count == 1
