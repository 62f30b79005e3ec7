"""Versions of multilabel and span projects (issue 8): the snapshot's labels/spans columns and
task_type, majority consolidation per label and per exact span, reviews, quality report, diffs."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accounts.roles import Role
from annotation.models import ReviewCandidate
from annotation.review_services import review_create
from curation.diff import snapshot_diff
from curation.selectors import version_snapshot_dir
from curation.snapshot import DATA_FILE, MANIFEST_FILE, SCHEMA, SnapshotWriter, snapshot_batches, snapshot_table
from curation.structured import consolidate_structured
from projects.models import Item
from tests import factories
from tests.versions_tests.conftest import build
from tests.versions_tests.structured import ENTITIES, TOPICS, answer, multilabel_project, span, spans_project


def _rows(version) -> dict[int, dict]:
    return {r["item_id"]: r for r in pq.read_table(version_snapshot_dir(version) / DATA_FILE).to_pylist()}


def _manifest(version) -> dict:
    return json.loads((version_snapshot_dir(version) / MANIFEST_FILE).read_text(encoding="utf-8"))


@pytest.fixture
def topics(db):
    project = multilabel_project(name="Topics")
    items = factories.make_items(project, ["match report and budget", "a quiet day", "election night", "unseen"])
    a, b, c = items[0], items[1], items[2]
    # a: sport by all three, economy by two of three -> {sport, economy}; confidence 2/3 (a and b agree)
    answer(a, {"labels": ["sport", "economy"]}, "ann1")
    answer(a, {"labels": ["sport", "economy"]}, "ann2")
    answer(a, {"labels": ["sport"]}, "ann3")
    # b: everybody says none of these -> [] (an answer, not unlabelled)
    answer(b, {"labels": []}, "ann1")
    answer(b, {"labels": []}, "ann2")
    # c: 1 of 2 says politics: not a majority -> []
    answer(c, {"labels": ["politics"]}, "ann1")
    answer(c, {"labels": []}, "ann2")
    return project, items


@pytest.fixture
def entities(db):
    project = spans_project(name="Entities")
    texts = ["Ada Lovelace visited London", "马云在杭州创办了阿里巴巴", "nothing here"]
    items = factories.make_items(project, texts)
    ada, zh, empty = items
    person, city = span(texts[0], "Ada Lovelace", "PER"), span(texts[0], "London", "LOC")
    answer(ada, {"spans": [person, city]}, "ann1")
    answer(ada, {"spans": [person]}, "ann2")
    answer(ada, {"spans": [person, city, span(texts[0], "visited", "ORG")]}, "ann3")
    zh_spans = [span(texts[1], "马云", "PER"), span(texts[1], "杭州", "LOC"), span(texts[1], "阿里巴巴", "ORG")]
    answer(zh, {"spans": zh_spans}, "ann1")
    answer(empty, {"spans": []}, "ann1")
    return project, items


def test_a_multilabel_version_holds_the_majority_label_sets(topics):
    project, (a, b, c, unseen) = topics
    version = build(project)
    assert version.status == "succeeded", version.error
    rows = _rows(version)
    assert set(rows) == {a.id, b.id, c.id}  # "unseen" has no answer: not in the version
    assert rows[a.id]["labels"] == ["sport", "economy"]  # project label order
    assert rows[a.id]["confidence"] == pytest.approx(2 / 3)
    assert rows[b.id]["labels"] == [] and rows[b.id]["confidence"] == 1.0
    assert rows[c.id]["labels"] == [] and rows[c.id]["confidence"] == 0.5
    assert all(r["label"] is None and r["spans"] is None for r in rows.values())
    assert rows[a.id]["annotations"] == 3
    manifest = _manifest(version)
    assert manifest["task_type"] == "multilabel" and manifest["labels"] == list(TOPICS)
    schema = pq.read_schema(version_snapshot_dir(version) / DATA_FILE)
    assert schema.equals(SCHEMA, check_metadata=False)
    assert schema.field("labels").type == pa.list_(pa.string())


def test_a_span_version_holds_the_majority_spans_in_code_points(entities):
    project, (ada, zh, empty) = entities
    version = build(project)
    assert version.status == "succeeded", version.error
    rows = _rows(version)
    # "London" by 2 of 3, "visited" by 1 of 3: only the majority's spans stay
    assert rows[ada.id]["spans"] == [{"start": 0, "end": 12, "label": "PER"}, {"start": 21, "end": 27, "label": "LOC"}]
    assert rows[ada.id]["confidence"] == pytest.approx(2 / 3)  # the least sure decision: London, by 2 of 3
    text = zh.text
    assert [(text[s["start"]:s["end"]], s["label"]) for s in rows[zh.id]["spans"]] == [
        ("马云", "PER"), ("杭州", "LOC"), ("阿里巴巴", "ORG")]
    assert rows[zh.id]["spans"][1] == {"start": 3, "end": 5, "label": "LOC"}  # code points, not bytes
    assert rows[empty.id]["spans"] == []
    assert all(r["label"] is None and r["labels"] is None for r in rows.values())
    manifest = _manifest(version)
    assert manifest["task_type"] == "spans" and manifest["labels"] == list(ENTITIES)
    spans_type = pq.read_schema(version_snapshot_dir(version) / DATA_FILE).field("spans").type
    assert spans_type == pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("label", pa.string())]))


def test_a_classification_manifest_says_so_and_keeps_null_lists(project):
    from tests.versions_tests.conftest import labeled_items
    labeled_items(project, 4)
    version = build(project)
    assert _manifest(version)["task_type"] == "classification"
    assert all(r["labels"] is None and r["spans"] is None and r["label"] for r in _rows(version).values())


def test_a_reviewers_correction_is_final(topics, entities):
    project, (a, *_rest) = topics
    reviewer = factories.make_member(project, factories.make_user("rev"), Role.REVIEWER)
    review_create(item=a, reviewer=reviewer, verdict="correct", value={"labels": ["politics"]})
    rows = _rows(build(project))
    assert rows[a.id]["labels"] == ["politics"] and rows[a.id]["confidence"] == 1.0

    span_project, (ada, *_others) = entities
    reviewer = factories.make_member(span_project, factories.make_user("rev2"), Role.REVIEWER)
    review_create(item=ada, reviewer=reviewer, verdict="correct", value={"spans": [span(ada.text, "Ada", "PER")]})
    rows = _rows(build(span_project))
    assert rows[ada.id]["spans"] == [{"start": 0, "end": 3, "label": "PER"}] and rows[ada.id]["confidence"] == 1.0


def test_the_multilabel_quality_report(topics):
    project, (a, b, c, _unseen) = topics
    quality = build(project).quality
    assert quality["task_type"] == "multilabel"
    labels = quality["labels"]
    assert labels["unit"] == "items"
    assert labels["distribution"] == {"sport": 1, "politics": 0, "economy": 1}
    assert labels["empty_items"] == 2 and labels["missing_labels"] == ["politics"]
    assert labels["imbalance_ratio"] is None and labels["shares"]["sport"] == pytest.approx(1 / 3)
    agreement = quality["agreement"]
    assert agreement["items_compared"] == 3
    # pairs with equal answers: a (1 of 3 pairs), b (1 of 1), c (0 of 1) -> 2 of 5
    assert agreement["percent_agreement"] == pytest.approx(2 / 5)
    assert set(agreement["per_label"]) == set(TOPICS)
    assert agreement["per_label"]["sport"]["ratings"] == 7
    assert quality["label_noise"]["estimated_rate"] is None and "classification only" in quality["label_noise"]["note"]
    assert quality["consolidation"]["method_used"] == "majority"
    assert "spans" not in quality


def test_the_span_quality_report(entities):
    project, (ada, zh, empty) = entities
    quality = build(project).quality
    assert quality["task_type"] == "spans"
    assert quality["labels"]["unit"] == "spans"
    assert quality["labels"]["distribution"] == {"PER": 2, "LOC": 2, "ORG": 1}
    spans = quality["spans"]
    assert spans["total"] == 5 and spans["items_with_spans"] == 2
    assert spans["per_item"] == {"mean": pytest.approx(5 / 3), "min": 0, "max": 3}
    # lengths: Ada Lovelace 12, London 6, 马云 2, 杭州 2, 阿里巴巴 4
    assert spans["length"]["min"] == 2 and spans["length"]["max"] == 12
    assert spans["length"]["histogram"]["2"] == 2 and spans["length"]["histogram"]["3-5"] == 1
    assert spans["length"]["histogram"]["6-10"] == 1 and spans["length"]["histogram"]["11-20"] == 1
    assert spans["by_label"]["PER"] == {"count": 2, "mean_length": 7.0}
    agreement = quality["agreement"]
    assert agreement["items_compared"] == 1 and agreement["percent_agreement"] == 0.0
    # pairs on "Ada": {P,L}-{P} F1 2/3, {P,L}-{P,L,O} 4/5, {P}-{P,L,O} 2/4
    assert agreement["span_f1"] == pytest.approx((2 / 3 + 4 / 5 + 2 / 4) / 3)
    assert quality["label_noise"]["estimated_rate"] is None


def test_disagreements_feed_the_review_queue(entities):
    project, (ada, *_rest) = entities
    build(project)
    kinds = dict(ReviewCandidate.objects.filter(project=project, item=ada).values_list("kind", "score"))
    # The annotators differ; the least sure decision (2 of 3) is above the project's review threshold (0.6).
    assert "disagreement" in kinds and "low_confidence" not in kinds


def test_the_api_serves_the_reports(client_for, topics, entities):
    for project, _items in (topics, entities):
        manager = factories.make_member(project, factories.make_user(f"m{project.id}"), Role.MANAGER)
        version = build(project)
        response = client_for(manager).get(f"/api/v1/versions/{version.id}")
        assert response.status_code == 200
        assert response.json()["quality"]["task_type"] == project.task_type
        listed = client_for(manager).get(f"/api/v1/projects/{project.id}/versions")
        assert listed.status_code == 200


def test_the_diff_compares_label_sets(client_for, topics):
    project, (a, b, c, _unseen) = topics
    first = build(project)
    answer(c, {"labels": ["politics"]}, "ann3")  # c: politics by 2 of 3 now
    answer(b, {"labels": []}, "ann3")  # b: the same empty set again: unchanged
    second = build(project)
    diff = snapshot_diff(version_snapshot_dir(second), version_snapshot_dir(first))
    assert (diff.relabeled, diff.unchanged, diff.added, diff.removed) == (1, 2, 0, 0)
    assert diff.items["relabeled"] == [{"item_id": c.id, "text": c.text, "old_label": None, "new_label": None,
                                        "old_labels": [], "new_labels": ["politics"]}]
    manager = factories.make_member(project, factories.make_user("m"), Role.MANAGER)
    response = client_for(manager).get(f"/api/v1/versions/{second.id}/diff", {"against": first.id})
    assert response.status_code == 200
    body = response.json()
    assert body["relabeled"] == 1 and body["items"]["relabeled"][0]["new_labels"] == ["politics"]
    assert body["items"]["relabeled"][0]["cause"] == "annotations"


def test_the_diff_compares_spans(client_for, entities):
    project, (ada, zh, empty) = entities
    first = build(project)
    Item.objects.filter(id=empty.id).update(excluded_reason="min_length: test")
    answer(zh, {"spans": [span(zh.text, "马云", "PER")]}, "ann2")  # ann2 disagrees: 杭州/阿里巴巴 lose the majority
    second = build(project)
    diff = snapshot_diff(version_snapshot_dir(second), version_snapshot_dir(first))
    assert (diff.relabeled, diff.unchanged, diff.added, diff.removed) == (1, 1, 0, 1)
    relabeled = diff.items["relabeled"][0]
    assert relabeled["item_id"] == zh.id and relabeled["new_spans"] == [{"start": 0, "end": 2, "label": "PER"}]
    assert len(relabeled["old_spans"]) == 3
    assert diff.items["removed"][0]["spans"] == []
    manager = factories.make_member(project, factories.make_user("m"), Role.MANAGER)
    response = client_for(manager).get(f"/api/v1/versions/{second.id}/diff", {"against": first.id})
    assert response.status_code == 200 and response.json()["removed"] == 1


def test_same_spans_in_another_order_are_unchanged(tmp_path):
    """Spans compare as sets: the writer's order does not make a change."""
    one, two = tmp_path / "one", tmp_path / "two"
    a, b = {"start": 0, "end": 1, "label": "PER"}, {"start": 2, "end": 3, "label": "LOC"}
    for folder, spans in ((one, [a, b]), (two, [b, a])):
        with SnapshotWriter(folder) as writer:
            writer.append([1], ["x y"], [None], ["train"], [1.0], [1], spans=[spans])
            writer.finish({})
    assert snapshot_diff(one, two).unchanged == 1


def test_an_old_snapshot_reads_null_label_sets_and_spans(tmp_path):
    """Snapshots written before the labels/spans columns read them as nulls (and diff against new ones)."""
    old = tmp_path / "old"
    old.mkdir()
    pq.write_table(pa.table({"item_id": pa.array([1, 2], pa.int64()), "text": ["a", "b"], "label": ["x", "y"],
                             "split": ["train", "test"], "confidence": [1.0, 1.0],
                             "annotations": pa.array([1, 1], pa.int32())}), old / DATA_FILE)
    table = snapshot_table(old)
    assert table.column_names == list(SCHEMA.names)
    assert table.column("spans").to_pylist() == [None, None]
    batch = next(snapshot_batches(old, columns=["item_id", "labels"], split="test"))
    assert batch.to_pylist() == [{"item_id": 2, "labels": None}]
    new = tmp_path / "new"
    with SnapshotWriter(new) as writer:
        writer.append([1, 2], ["a", "b"], ["x", "z"], ["train", "test"], [1.0, 1.0], [1, 1])
        writer.finish({})
    assert (snapshot_diff(new, old).relabeled, snapshot_diff(new, old).unchanged) == (1, 1)


def test_the_content_hash_covers_label_sets(tmp_path):
    hashes = []
    for n, sets in enumerate((["a"], ["b"], [])):
        with SnapshotWriter(tmp_path / str(n)) as writer:
            writer.append([1], ["t"], [None], ["train"], [1.0], [1], label_sets=[sets])
            hashes.append(writer.finish({})["content_hash"])
    assert len(set(hashes)) == 3


def test_consolidation_ties_leave_an_element_out():
    votes = [(1, "a", ("x",)), (1, "b", ())]
    assert consolidate_structured(votes, ["x"], "multilabel")[1].value == ()
