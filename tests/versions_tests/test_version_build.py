"""Building a version: consolidated labels, stable splits, an immutable snapshot with its manifest."""
from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from accounts.roles import Role
from annotation.consolidation import consolidate
from annotation.review_services import review_create
from common.jobs import job_cancel
from curation import services
from curation.selectors import version_snapshot_dir
from curation.snapshot import DATA_FILE, MANIFEST_FILE, SCHEMA, file_sha256, snapshot_open
from projects.models import Item
from tests import factories
from tests.versions_tests.conftest import SPLIT, build, labeled_items, vote, votes


def _rows(version) -> list[dict]:
    return pq.read_table(version_snapshot_dir(version) / DATA_FILE).to_pylist()


def test_it_builds_a_snapshot_with_every_labeled_item(project):
    items = labeled_items(project, 30)
    version = build(project)
    assert version.status == "succeeded", version.error
    rows = _rows(version)
    assert [r["item_id"] for r in rows] == [i.id for i in items]
    assert {r["label"] for r in rows} == {"positive", "negative"}
    assert sum(version.counts.values()) == 30
    assert version.progress_done == version.progress_total == 30
    assert pq.read_schema(version_snapshot_dir(version) / DATA_FILE).equals(SCHEMA, check_metadata=False)


def test_it_numbers_versions_per_project(project):
    labeled_items(project, 4)
    other = factories.make_project(name="other")
    labeled_items(other, 2)
    first, second = build(project), build(project)
    assert (first.number, second.number) == (1, 2)
    assert build(other).number == 1


def test_it_leaves_out_excluded_and_unlabeled_items(project):
    items = labeled_items(project, 10)
    Item.objects.filter(id=items[0].id).update(excluded_reason="min_length: shorter than 5")
    unlabeled = factories.make_items(project, ["nobody labeled me"])[0]
    version = build(project)
    ids = {r["item_id"] for r in _rows(version)}
    assert items[0].id not in ids and unlabeled.id not in ids
    assert len(ids) == 9
    assert version.quality["unlabeled_items"] == 1


def test_it_writes_the_manifest_with_correct_checksums(project):
    labeled_items(project, 12)
    version = build(project)
    folder = version_snapshot_dir(version)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    data = folder / DATA_FILE
    assert manifest["files"][DATA_FILE] == {"sha256": file_sha256(data), "rows": 12, "bytes": data.stat().st_size}
    assert manifest["labels"] == ["positive", "negative"]
    assert manifest["content_hash"] == version.content_hash
    assert manifest["counts"] == version.counts
    assert snapshot_open(folder) == manifest
    # Written last: nothing in the folder is newer than the manifest, and no temporary folder is left.
    assert (folder / MANIFEST_FILE).stat().st_mtime_ns >= data.stat().st_mtime_ns
    assert sorted(p.name for p in folder.parent.iterdir()) == [folder.name]


def test_it_gives_identical_data_the_same_content_hash(project):
    labeled_items(project, 20)
    first, second = build(project), build(project)
    assert first.content_hash == second.content_hash
    assert len(first.content_hash) == 64


def test_a_relabel_changes_the_content_hash(project, manager):
    items = labeled_items(project, 20)
    before = build(project)
    review_create(item=items[2], reviewer=manager, verdict="correct", value={"label": "negative"})  # was positive
    after = build(project)
    assert after.content_hash != before.content_hash


def test_items_keep_their_split_across_versions(project):
    items = labeled_items(project, 60)
    first = {r["item_id"]: r["split"] for r in _rows(build(project, seed=11))}
    votes(factories.make_items(project, [f"late item {i}" for i in range(30)]), ["positive"] * 30)
    Item.objects.filter(id__in=[i.id for i in items[:5]]).update(excluded_reason="duplicate of another")
    second = {r["item_id"]: r["split"] for r in _rows(build(project, seed=11))}
    assert all(second[i] == split for i, split in first.items() if i in second)
    assert len(second) == 85


def test_a_correct_review_overrides_the_votes_with_full_confidence(project, manager):
    item = labeled_items(project, 4)[0]
    vote(item, "negative", source="crowd-1")
    vote(item, "positive", source="crowd-2")
    review_create(item=item, reviewer=manager, verdict="correct", value={"label": "negative"})
    row = next(r for r in _rows(build(project)) if r["item_id"] == item.id)
    assert (row["label"], row["confidence"], row["annotations"]) == ("negative", 1.0, 3)


def test_the_latest_review_is_the_verdict(project, manager):
    item = labeled_items(project, 4)[0]  # gold says positive
    review_create(item=item, reviewer=manager, verdict="correct", value={"label": "negative"})
    review_create(item=item, reviewer=manager, verdict="accept")
    row = next(r for r in _rows(build(project)) if r["item_id"] == item.id)
    assert (row["label"], row["confidence"]) == ("positive", 1.0)


def test_a_review_labels_an_item_nobody_voted_on(project, manager):
    item = factories.make_items(project, ["only the reviewer saw this"])[0]
    review_create(item=item, reviewer=manager, verdict="correct", value={"label": "positive"})
    assert [(r["item_id"], r["label"], r["annotations"]) for r in _rows(build(project))] == [(item.id, "positive", 0)]


def _crowd(project, n=30):
    """Three crowd annotators of unequal reliability on ``n`` items: a-b agree, c is often wrong."""
    items = factories.make_items(project, [f"crowd text {i}" for i in range(n)])
    truth = ["positive" if i % 3 else "negative" for i in range(n)]
    flip = {"positive": "negative", "negative": "positive"}
    for k, (item, label) in enumerate(zip(items, truth, strict=True)):
        vote(item, label, "crowd-a")
        vote(item, label if k % 5 else flip[label], "crowd-b")
        vote(item, flip[label] if k % 2 else label, "crowd-c")
    return items


@pytest.mark.parametrize("method", ["majority", "dawid_skene"])
def test_it_consolidates_with_the_chosen_method(project, method):
    _crowd(project)
    version = build(project, consolidation=method)
    from annotation.models import Annotation

    all_votes = [(a.item_id, a.author_key, a.label) for a in Annotation.objects.filter(project=project).order_by("id")]
    expected = consolidate(all_votes, ["positive", "negative"], method)
    got = {r["item_id"]: (r["label"], r["confidence"], r["annotations"]) for r in _rows(version)}
    assert got == {i: (c.label, pytest.approx(c.confidence), c.votes) for i, c in expected.items()}
    assert version.consolidation == method
    assert version.quality["consolidation"]["method"] == method


def test_majority_and_dawid_skene_give_different_confidences(project):
    _crowd(project)
    majority, ds = build(project), build(project, consolidation="dawid_skene")
    assert {r["confidence"] for r in _rows(majority)} <= {2 / 3, 1.0}
    assert {r["confidence"] for r in _rows(ds)} - {2 / 3, 1.0}


def test_a_failed_build_leaves_no_snapshot(project, monkeypatch, snapshot_dir):
    labeled_items(project, 10)

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("curation.snapshot.os.replace", refuse)
    version = build(project)
    assert version.status == "failed"
    assert "disk full" in version.error
    assert version.snapshot_path == "" and version.content_hash == ""
    assert not any((snapshot_dir / f"project_{project.id}").iterdir())


def test_a_failure_while_writing_rows_leaves_no_snapshot(project, monkeypatch, snapshot_dir):
    labeled_items(project, 10)

    def broken(self, *args, **kwargs):
        raise ValueError("cannot encode row group")

    monkeypatch.setattr("pyarrow.parquet.ParquetWriter.write_table", broken)
    version = build(project)
    assert version.status == "failed" and "cannot encode row group" in version.error
    assert not any((snapshot_dir / f"project_{project.id}").iterdir())


def test_a_cancelled_version_is_not_built(project, snapshot_dir):
    labeled_items(project, 5)
    version = services.version_create(project=project, split=SPLIT)
    job_cancel(job=version)
    assert services.version_execute(version_id=version.id) is None
    assert not (snapshot_dir / f"project_{project.id}").exists()


def test_it_builds_a_version_only_once(project):
    labeled_items(project, 5)
    version = build(project)
    assert services.version_execute(version_id=version.id) is None


def test_it_dispatches_the_build_when_the_transaction_commits(project, django_capture_on_commit_callbacks, settings):
    labeled_items(project, 5)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = services.version_create(project=project, split=SPLIT)
    assert len(callbacks) == 1
    assert version.status == "queued"


def test_it_reads_crowd_and_user_votes_alike(project):
    annotator = factories.make_member(project, factories.make_user("ann-1"), Role.ANNOTATOR)
    item = factories.make_items(project, ["one"])[0]
    from annotation.models import Annotation

    Annotation.objects.create(project=project, item=item, annotator=annotator, value={"label": "negative"},
                              label="negative")
    vote(item, "negative", "crowd-x")
    vote(item, "positive", "crowd-y")
    assert [(r["label"], r["annotations"]) for r in _rows(build(project))] == [("negative", 3)]


def test_the_celery_task_builds_the_version(project):
    from curation.tasks import version_execute

    labeled_items(project, 6)
    version = services.version_create(project=project, split=SPLIT)
    version_execute(version.id)  # the task body, run here: the job row says how it went
    version.refresh_from_db()
    assert version.status == "succeeded" and sum(version.counts.values()) == 6
