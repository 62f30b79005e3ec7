"""Diffs between two versions' snapshots."""
from __future__ import annotations

from annotation.review_services import review_create
from curation.diff import snapshot_diff
from curation.selectors import version_snapshot_dir
from projects.models import Item
from tests import factories
from tests.versions_tests.conftest import build, labeled_items, votes


def test_it_counts_added_removed_relabeled_and_unchanged(project, manager):
    items = labeled_items(project, 20)
    old = build(project)
    review_create(item=items[0], reviewer=manager, verdict="correct", value={"label": "negative"})  # was positive
    review_create(item=items[1], reviewer=manager, verdict="correct", value={"label": "positive"})  # was negative
    Item.objects.filter(id=items[2].id).update(excluded_reason=f"duplicate of #{items[4].id}")
    Item.objects.filter(id=items[5].id).update(text="a cleaned text")
    added = factories.make_items(project, ["new one", "new two", "new three"])
    votes(added, ["positive", "negative", "positive"])
    new = build(project)

    diff = snapshot_diff(version_snapshot_dir(new), version_snapshot_dir(old))
    assert (diff.added, diff.removed, diff.relabeled, diff.unchanged) == (3, 1, 2, 17)
    assert diff.text_changed == 1
    assert [i["item_id"] for i in diff.items["added"]] == [a.id for a in added]
    assert diff.items["removed"] == [{"item_id": items[2].id, "text": items[2].text, "label": "positive"}]
    assert diff.items["relabeled"][0] == {
        "item_id": items[0].id, "text": items[0].text, "old_label": "positive", "new_label": "negative"
    }


def test_a_version_against_itself_is_all_unchanged(project):
    labeled_items(project, 7)
    version = build(project)
    diff = snapshot_diff(version_snapshot_dir(version), version_snapshot_dir(version)).as_dict()
    assert (diff["added"], diff["removed"], diff["relabeled"], diff["unchanged"]) == (0, 0, 0, 7)


def test_it_caps_the_item_lists_but_not_the_counts(project):
    labeled_items(project, 1, prefix="first")
    old = build(project)  # one item (an unlabeled project has nothing to version)
    labeled_items(project, 12)
    new = build(project)
    diff = snapshot_diff(version_snapshot_dir(new), version_snapshot_dir(old), limit=5)
    assert diff.added == 12 and len(diff.items["added"]) == 5
