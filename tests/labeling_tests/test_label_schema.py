"""Label schema edits that carry the annotations along: rename, merge, delete (dry run and real), and a
PATCH of the project's labels that would drop votes refused with ``labels_in_use``."""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from accounts.roles import Role
from annotation import labels as label_edits
from annotation import services
from annotation.models import Annotation, Review, ReviewCandidate
from annotation.review_services import review_candidate_add, review_create
from curation.selectors import version_snapshot_dir
from curation.snapshot import DATA_FILE
from projects.models import Item, Project
from projects.services import project_update
from tests import factories
from tests.labeling_tests.conftest import texts
from tests.versions_tests.conftest import build

pytestmark = pytest.mark.django_db


def _vote(item, source: str, value: dict) -> Annotation:
    """An external annotator's vote, its item counter moved as the services move it."""
    label = value.get("label", "")
    annotation = Annotation.objects.create(project_id=item.project_id, item=item, source=source, value=value, label=label)
    Item.objects.filter(id=item.id).update(annotation_count=item.annotations.count())
    return annotation


def _post(client, project, action: str, body: dict):
    return client.post(f"/api/v1/projects/{project.id}/labels/{action}", body, format="json")


def _labels_of(project) -> list[str]:
    return Project.objects.get(id=project.id).labels


@pytest.fixture
def sentiment(project, manager):
    """Six items labelled by two sources (pos, neg, meh in a known pattern), and one correction."""
    project.labels = ["pos", "neg", "meh"]
    project.annotations_per_item = 2
    project.save()
    made = factories.make_items(project, texts(6))
    pattern = [("pos", "pos"), ("pos", "neg"), ("neg", "neg"), ("meh", "pos"), ("meh", "meh"), ("neg", None)]
    for item, (first, second) in zip(made, pattern, strict=True):
        _vote(item, "ann1", {"label": first})
        if second:
            _vote(item, "ann2", {"label": second})
    # A correction to meh on item 1, the latest review there.
    review_create(item=Item.objects.select_related("project").get(id=made[1].id), reviewer=manager,
                  verdict="correct", value={"label": "meh"})
    return project, made


# --- rename --------------------------------------------------------------------------------------------


def test_a_dry_run_counts_and_changes_nothing(client_for, sentiment, manager):
    project, _ = sentiment
    response = _post(client_for(manager), project, "rename", {"from": "meh", "to": "neutral", "dry_run": True})
    assert response.status_code == 200
    # meh: 3 annotations (items 3, 4, 4), one review (item 1): items 1, 3, 4.
    assert response.json() == {"labels": ["pos", "neg", "neutral"], "annotations": 3, "reviews": 1, "items": 3,
                               "dry_run": True}
    assert _labels_of(project) == ["pos", "neg", "meh"]
    assert Annotation.objects.filter(label="meh").count() == 3
    assert Review.objects.filter(label="meh").count() == 1


def test_a_rename_migrates_annotations_and_reviews_and_the_next_version_keeps_the_votes(
    client_for, sentiment, manager, settings, tmp_path
):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    project, made = sentiment
    response = _post(client_for(manager), project, "rename", {"from": "meh", "to": "neutral"})
    assert response.json() == {"labels": ["pos", "neg", "neutral"], "annotations": 3, "reviews": 1, "items": 3,
                               "dry_run": False}
    assert _labels_of(project) == ["pos", "neg", "neutral"]
    assert not Annotation.objects.filter(label="meh").exists()
    assert {(a.label, a.value["label"]) for a in Annotation.objects.filter(label="neutral")} == {("neutral", "neutral")}
    assert Annotation.objects.filter(project=project).count() == 11  # nothing lost
    review = Review.objects.get(item=made[1])
    assert (review.label, review.value) == ("neutral", {"label": "neutral"})
    project.refresh_from_db()
    version = build(project)
    assert version.status == "succeeded", version.error
    rows = {r["item_id"]: r["label"] for r in pq.read_table(version_snapshot_dir(version) / DATA_FILE).to_pylist()}
    assert rows[made[4].id] == "neutral" and rows[made[1].id] == "neutral"  # votes and the correction
    assert version.quality["consolidation"]["dropped_votes"] == 0


def test_renaming_onto_an_existing_label_is_409_and_unknown_is_400(client_for, sentiment, manager):
    project, _ = sentiment
    client = client_for(manager)
    response = _post(client, project, "rename", {"from": "meh", "to": "neg"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "label_exists" and "merge" in response.json()["error"]["message"]
    response = _post(client, project, "rename", {"from": "nope", "to": "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unknown_label" and "nope" in response.json()["error"]["message"]
    for blank in ("", "   ", "\u3000", "\u200b"):
        assert _post(client, project, "rename", {"from": "meh", "to": blank}).status_code == 400, repr(blank)
    assert _labels_of(project) == ["pos", "neg", "meh"]


def test_a_rename_strips_full_width_spaces(client_for, sentiment, manager):
    project, _ = sentiment
    body = _post(client_for(manager), project, "rename", {"from": "meh", "to": "\u3000中性\u3000"}).json()
    assert body["labels"] == ["pos", "neg", "中性"]
    assert Annotation.objects.filter(label="中性").count() == 3


@pytest.mark.parametrize("role", ["reviewer", "annotator"])
def test_only_managers_edit_labels(request, client_for, sentiment, role):
    project, _ = sentiment
    user = request.getfixturevalue(role)
    for action, body in (("rename", {"from": "meh", "to": "x"}), ("merge", {"from": ["meh"], "to": "pos"}),
                         ("delete", {"label": "meh"})):
        assert _post(client_for(user), project, action, body).status_code == 403
    assert _post(client_for(), project, "delete", {"label": "meh"}).status_code == 401


def test_outsiders_get_404_and_admins_may(client_for, sentiment, outsider, admin):
    project, _ = sentiment
    assert _post(client_for(outsider), project, "delete", {"label": "meh", "dry_run": True}).status_code == 404
    assert _post(client_for(admin), project, "delete", {"label": "meh", "dry_run": True}).status_code == 200


# --- merge ---------------------------------------------------------------------------------------------


def test_a_merge_into_an_existing_label(client_for, sentiment, manager):
    project, made = sentiment
    client = client_for(manager)
    dry = _post(client, project, "merge", {"from": ["meh", "neg"], "to": "pos", "dry_run": True}).json()
    real = _post(client, project, "merge", {"from": ["meh", "neg"], "to": "pos"}).json()
    # meh 3 + neg 4 annotations; the meh review; items 1, 2, 3, 4, 5.
    expected = {"labels": ["pos"], "annotations": 7, "reviews": 1, "items": 5}
    assert dry == {**expected, "dry_run": True} and real == {**expected, "dry_run": False}
    assert set(Annotation.objects.filter(project=project).values_list("label", flat=True)) == {"pos"}
    assert Annotation.objects.filter(project=project).count() == 11


def test_a_merge_into_a_new_name_takes_the_first_sources_place(client_for, sentiment, manager):
    project, _ = sentiment
    body = _post(client_for(manager), project, "merge", {"from": ["neg", "meh"], "to": "not pos"}).json()
    assert body["labels"] == ["pos", "not pos"] and body["annotations"] == 7


def test_a_merge_settles_a_disagreement_and_rewrites_suggestions(client_for, sentiment, manager):
    project, made = sentiment
    review_candidate_add(project_id=project.id, item_id=made[3].id, kind="disagreement", score=0.5,
                         detail={"labels": {"meh": 1, "pos": 1}})
    review_candidate_add(project_id=project.id, item_id=made[2].id, kind="model_mistake", score=0.9,
                         detail={"predicted": "meh", "given": "neg", "confidence": 0.9, "run": 1})
    _post(client_for(manager), project, "merge", {"from": ["meh"], "to": "pos"})
    open_rows = ReviewCandidate.objects.filter(project=project, resolved_at__isnull=True)
    assert not open_rows.filter(kind="disagreement").exists()
    assert open_rows.get(kind="model_mistake").detail["predicted"] == "pos"


def test_merging_unknown_labels_is_400(client_for, sentiment, manager):
    project, _ = sentiment
    response = _post(client_for(manager), project, "merge", {"from": ["meh", "zzz"], "to": "pos"})
    assert response.status_code == 400 and "zzz" in response.json()["error"]["message"]
    assert _post(client_for(manager), project, "merge", {"from": [], "to": "pos"}).status_code == 400
    assert _post(client_for(manager), project, "merge", {"from": ["pos"], "to": "pos"}).status_code == 400


# --- delete --------------------------------------------------------------------------------------------


def test_deleting_a_label_removes_its_annotations_and_corrections_and_requeues_the_items(client_for, sentiment, manager):
    project, made = sentiment
    client = client_for(manager)
    meh_items = [made[3].id, made[4].id]
    dry = _post(client, project, "delete", {"label": "meh", "dry_run": True}).json()
    assert dry == {"labels": ["pos", "neg"], "annotations": 3, "reviews": 1, "items": 3, "dry_run": True}
    assert _post(client, project, "delete", {"label": "meh"}).json() == {**dry, "dry_run": False}
    assert _labels_of(project) == ["pos", "neg"]
    assert not Annotation.revisions.filter(label="meh").exists()
    assert dict(Item.objects.filter(id__in=meh_items).values_list("id", "annotation_count")) == {
        made[3].id: 1, made[4].id: 0,
    }
    assert not Review.objects.filter(item=made[1]).exists()  # the correction to meh says nothing now
    # Back in the queue, for anyone, the source's own people included.
    ann = factories.make_member(project, factories.make_user(), Role.ANNOTATOR)
    handed = set()
    while (lease := services.item_claim_next(project=project, user=ann)) is not None:
        handed.add(lease.item_id)
        services.item_skip(item=lease.item, user=ann)
    assert handed == {made[3].id, made[4].id, made[5].id}


def test_deleting_a_label_removes_an_edited_annotation_with_its_revisions(sentiment, manager):
    project, made = sentiment
    first = Annotation.objects.get(item=made[0], source="ann1")
    first.item.project = project
    services.annotation_revise(annotation=first, editor=manager, role=Role.MANAGER, value={"label": "meh"})
    result = label_edits.label_delete(project=project, label="meh")
    assert result["annotations"] == 4
    assert not Annotation.revisions.filter(item=made[0], source="ann1").exists()
    assert Item.objects.get(id=made[0].id).annotation_count == 1


def test_the_last_label_cannot_be_deleted(client_for, project, manager):
    project.labels = ["only"]
    project.save()
    response = _post(client_for(manager), project, "delete", {"label": "only"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "last_label"
    response = _post(client_for(manager), project, "delete", {"label": "gone"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "unknown_label"


# --- multilabel and spans ------------------------------------------------------------------------------


def test_multilabel_values_are_rewritten_deduplicated_and_emptied(client_for, manager):
    project = factories.make_project(task_type="multilabel", labels=("a", "b", "c"))
    factories.make_member(project, manager, Role.MANAGER)
    made = factories.make_items(project, texts(4))
    for item, chosen in zip(made, (["a", "b"], ["b"], ["c"], ["a"]), strict=True):
        _vote(item, "crowd", {"labels": chosen})
    client = client_for(manager)
    dry = _post(client, project, "merge", {"from": ["a", "b"], "to": "ab", "dry_run": True}).json()
    assert dry == {"labels": ["ab", "c"], "annotations": 3, "reviews": 0, "items": 3, "dry_run": True}
    assert Annotation.objects.get(item=made[0]).value == {"labels": ["a", "b"]}
    body = _post(client, project, "merge", {"from": ["a", "b"], "to": "ab"}).json()
    assert body == {**dry, "dry_run": False}
    values = [Annotation.objects.get(item=item).value for item in made]
    assert values == [{"labels": ["ab"]}, {"labels": ["ab"]}, {"labels": ["c"]}, {"labels": ["ab"]}]
    body = _post(client, project, "delete", {"label": "ab"}).json()
    assert body["annotations"] == 3 and Annotation.objects.filter(project=project).count() == 4  # kept, as "none"
    assert Annotation.objects.get(item=made[0]).value == {"labels": []}
    assert Item.objects.get(id=made[0].id).annotation_count == 1


def test_span_labels_are_rewritten_and_identical_spans_merge(client_for, manager):
    project = factories.make_project(task_type="spans", labels=("PER", "ORG", "LOC"))
    factories.make_member(project, manager, Role.MANAGER)
    (item,) = factories.make_items(project, ["Ada works at Acme in Paris"])
    spans = [{"start": 0, "end": 3, "label": "PER"}, {"start": 0, "end": 3, "label": "ORG"},
             {"start": 21, "end": 26, "label": "LOC"}]
    _vote(item, "crowd", {"spans": spans})
    body = _post(client_for(manager), project, "merge", {"from": ["ORG"], "to": "PER"}).json()
    assert body["annotations"] == 1
    assert Annotation.objects.get(item=item).value == {
        "spans": [{"start": 0, "end": 3, "label": "PER"}, {"start": 21, "end": 26, "label": "LOC"}]
    }
    _post(client_for(manager), project, "delete", {"label": "LOC"})
    assert Annotation.objects.get(item=item).value == {"spans": [{"start": 0, "end": 3, "label": "PER"}]}


# --- annotations written meanwhile ---------------------------------------------------------------------


def test_an_annotation_written_just_after_the_edit_is_carried_along(sentiment, manager,
                                                                     django_capture_on_commit_callbacks):
    project, made = sentiment
    with django_capture_on_commit_callbacks() as callbacks:
        label_edits.label_rename(project=project, old="meh", new="neutral")
    # Checked against the old labels a moment before the edit committed, written just after it.
    straggler = Annotation.objects.create(project=project, item=made[5], source="ann2", value={"label": "meh"},
                                          label="meh")
    late_review = Review.objects.create(project=project, item=made[5], reviewer=manager, verdict="correct",
                                        value={"label": "meh"}, label="meh")
    for callback in callbacks:
        callback()
    straggler.refresh_from_db()
    late_review.refresh_from_db()
    assert (straggler.label, straggler.value) == ("neutral", {"label": "neutral"})
    assert (late_review.label, late_review.value) == ("neutral", {"label": "neutral"})


# --- PATCH /projects/{id} --------------------------------------------------------------------------------


def test_patching_labels_that_drop_a_used_one_is_409_labels_in_use(client_for, sentiment, manager):
    project, _ = sentiment
    response = client_for(manager).patch(f"/api/v1/projects/{project.id}", {"labels": ["pos", "negative", "meh"]},
                                         format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "labels_in_use" and "'neg'" in error["message"] and "labels/rename" in error["message"]
    assert _labels_of(project) == ["pos", "neg", "meh"]


def test_patching_labels_may_add_and_reorder(client_for, sentiment, manager):
    project, _ = sentiment
    response = client_for(manager).patch(f"/api/v1/projects/{project.id}", {"labels": ["meh", "neg", "pos", "new"]},
                                         format="json")
    assert response.status_code == 200 and response.json()["labels"] == ["meh", "neg", "pos", "new"]
    # An unused label may go.
    project_update(project=Project.objects.get(id=project.id), labels=["meh", "neg", "pos"])
    assert _labels_of(project) == ["meh", "neg", "pos"]


def test_a_label_used_only_by_a_correction_is_in_use(sentiment, manager):
    project, made = sentiment
    Annotation.objects.filter(label="meh").update(label="pos", value={"label": "pos"})
    assert label_edits.labels_in_use(project, {"meh", "neg"}) == {"meh", "neg"}
    assert label_edits.labels_in_use(project, {"nothing"}) == set()


def test_labels_are_stripped_of_full_width_and_invisible_spaces(project):
    project_update(project=project, labels=["\u3000正面\u3000", "\u200b负面 "])
    assert _labels_of(project) == ["正面", "负面"]
