"""Each verdict's effect on the item, the queues and the next version."""
from __future__ import annotations

import pytest

from annotation import review_services, services
from annotation.models import Review
from common.errors import Invalid
from curation.selectors import version_snapshot_dir
from curation.snapshot import snapshot_table
from projects.models import Item
from tests import factories
from tests.review_tests.conftest import build
from tests.versions_tests.conftest import vote

pytestmark = pytest.mark.django_db
ALL_TRAIN = {"train": 1.0, "val": 0.0, "test": 0.0}


def _labels(version) -> dict[int, str]:
    table = snapshot_table(version_snapshot_dir(version), columns=["item_id", "label"])
    return dict(zip(table.column("item_id").to_pylist(), table.column("label").to_pylist(), strict=True))


@pytest.fixture
def labelled(project):
    items = factories.make_items(project, [f"review text number {i}" for i in range(4)])
    for item in items:
        vote(item, "positive")
    return items


def test_accept_keeps_the_consensus_and_correct_overrides_it(project, labelled, reviewer):
    review_services.review_create(item=labelled[0], reviewer=reviewer, verdict="accept")
    review_services.review_create(item=labelled[1], reviewer=reviewer, verdict="correct", value={"label": "negative"})
    labels = _labels(build(project, split=ALL_TRAIN))
    assert (labels[labelled[0].id], labels[labelled[1].id]) == ("positive", "negative")


def test_exclude_takes_the_item_out_of_versions_and_the_labeling_queue(project, labelled, reviewer, annotator):
    with pytest.raises(Invalid):
        review_services.review_create(item=labelled[0], reviewer=reviewer, verdict="exclude")  # no reason
    review_services.review_create(item=labelled[0], reviewer=reviewer, verdict="exclude", reason="not English")
    item = Item.objects.get(id=labelled[0].id)
    assert item.excluded_reason == "review: not English"
    assert labelled[0].id not in _labels(build(project, split=ALL_TRAIN))
    # The latest verdict wins: an accept afterwards brings it back.
    review_services.review_create(item=item, reviewer=reviewer, verdict="accept")
    assert Item.objects.get(id=item.id).excluded_reason == ""
    assert labelled[0].id in _labels(build(project, split=ALL_TRAIN))


def test_exclude_leaves_an_exclusion_by_cleaning_alone(project, labelled, reviewer):
    Item.objects.filter(id=labelled[0].id).update(excluded_reason="duplicate of #1")
    item = Item.objects.get(id=labelled[0].id)
    review_services.review_create(item=item, reviewer=reviewer, verdict="accept")
    assert Item.objects.get(id=item.id).excluded_reason == "duplicate of #1"


def test_send_back_asks_one_more_annotation_from_someone_new(make_annotators, make_reviewers):
    project = factories.make_project(k=1)
    (item,) = factories.make_items(project, ["one text to label twice"])
    first, second = make_annotators(project, 2)
    (reviewer,) = make_reviewers(project, 1)
    lease = services.item_claim_next(project=project, user=first)
    services.annotation_create(item=lease.item, user=first, value={"label": "positive"})
    assert services.item_claim_next(project=project, user=second) is None  # done: k = 1
    item = Item.objects.select_related("project").get(id=item.id)
    review_services.review_create(item=item, reviewer=reviewer, verdict="send_back")
    assert services.item_claim_next(project=project, user=first) is None  # never the same person again
    lease = services.item_claim_next(project=project, user=second)
    assert lease is not None and lease.item_id == item.id
    services.annotation_create(item=lease.item, user=second, value={"label": "negative"})
    # Two votes, one each: the tie goes to the first label (majority rule), and the item disagrees.
    assert _labels(build(project, split=ALL_TRAIN))[item.id] == "positive"
    assert Review.objects.filter(item=item).latest("id").verdict == "send_back"


def test_a_correction_is_checked_like_an_annotation(project, labelled, reviewer):
    for verdict, value in (("correct", None), ("correct", {"label": "meh"}), ("send_back", {"label": "positive"})):
        with pytest.raises(Invalid):
            review_services.review_create(item=labelled[0], reviewer=reviewer, verdict=verdict, value=value)
