"""Each reason feeds the review queue; the queue hands items out under a lease; an item leaves it
when reviewed."""
from __future__ import annotations

import pytest

from annotation import review_services, services
from annotation.models import ReviewCandidate, ReviewLease
from tests import factories
from tests.review_tests.conftest import build
from tests.versions_tests.conftest import vote

pytestmark = pytest.mark.django_db


def _open(project, kind=None):
    rows = ReviewCandidate.objects.filter(project=project, resolved_at__isnull=True)
    return rows.filter(kind=kind) if kind else rows


def test_a_flag_puts_the_item_first_in_the_queue(project, make_reviewers):
    items = factories.make_items(project, ["one text", "two text"])
    annotator = factories.make_user("flagger")
    review_services.review_candidate_add(project_id=project.id, item_id=items[0].id, kind="low_confidence",
                                         score=0.4, detail={})
    review_services.flag_create(item=items[1], user=annotator, reason="sarcasm?")
    (reviewer,) = make_reviewers(project, 1)
    lease = review_services.review_claim_next(project=project, user=reviewer)
    assert lease.item_id == items[1].id
    flagged = _open(project, "flagged").get()
    assert flagged.detail == {"flags": [{"by": "flagger", "reason": "sarcasm?"}], "count": 1}


def test_annotators_who_disagree_put_the_item_in_the_queue_at_once(make_annotators):
    project = factories.make_project(k=2)
    (item,) = factories.make_items(project, ["a text both will label"])
    a, b = make_annotators(project, 2)
    for user, label in ((a, "positive"), (b, "negative")):
        lease = services.item_claim_next(project=project, user=user)
        services.annotation_create(item=lease.item, user=user, value={"label": label})
    row = _open(project, "disagreement").get()
    assert row.item_id == item.id and row.detail == {"labels": {"negative": 1, "positive": 1}}
    assert row.score == pytest.approx(0.5)


def test_agreeing_annotators_put_nothing_in_the_queue(make_annotators):
    project = factories.make_project(k=2)
    factories.make_items(project, ["a text both will label"])
    for user in make_annotators(project, 2):
        lease = services.item_claim_next(project=project, user=user)
        services.annotation_create(item=lease.item, user=user, value={"label": "positive"})
    assert not _open(project).exists()


def test_a_version_puts_every_suspect_in_the_queue_ranked(noisy_project):
    project, items, truth = noisy_project
    version = build(project)
    noise = version.quality["label_noise"]
    suspects = list(_open(project, "suspect").order_by("-score", "id"))
    assert len(suspects) == noise["suspect_count"] > 0  # all of them, not a top-N
    ranks = [s.detail["rank"] for s in suspects]
    assert ranks == sorted(ranks)  # best score = most suspicious = rank 1
    assert all(s.detail["version"] == version.number for s in suspects)
    flipped = {item.id for i, item in enumerate(items) if i % 10 == 0}
    found = sum(s.item_id in flipped for s in suspects)
    assert found / len(suspects) > 0.3  # flipped labels are over-represented (10% of items)


def test_low_consolidation_confidence_and_disagreement_come_from_the_version(project):
    items = factories.make_items(project, [f"text number {i}" for i in range(6)])
    for item in items[:3]:
        vote(item, "positive", "crowd-a")
        vote(item, "positive", "crowd-b")
    for item in items[3:]:
        vote(item, "positive", "crowd-a")
        vote(item, "negative", "crowd-b")
    build(project, split={"train": 1.0, "val": 0.0, "test": 0.0})
    assert {c.item_id for c in _open(project, "low_confidence")} == {i.id for i in items[3:]}
    assert {c.item_id for c in _open(project, "disagreement")} == {i.id for i in items[3:]}


def test_a_runs_confident_mistakes_go_to_the_queue(project):
    from training.engine import ItemPrediction
    from training.models import TrainingRun
    from training.services import _feed_model_mistakes

    items = factories.make_items(project, ["a", "b", "c"])
    version = build_labelled(project, items)
    run = TrainingRun.objects.create(project=project, version=version)
    predictions = [
        ItemPrediction(item_id=items[0].id, label="positive", predicted="negative", confidence=0.95, split="test"),
        ItemPrediction(item_id=items[1].id, label="positive", predicted="negative", confidence=0.55, split="test"),
        ItemPrediction(item_id=items[2].id, label="positive", predicted="positive", confidence=0.99, split="test"),
    ]
    assert _feed_model_mistakes(run, predictions) == 1
    row = _open(project, "model_mistake").get()
    assert row.item_id == items[0].id and row.detail["run"] == run.id and row.detail["predicted"] == "negative"


def build_labelled(project, items):
    for item in items:
        vote(item, "positive")
    return build(project, split={"train": 1.0, "val": 0.0, "test": 0.0})


def test_two_reviewers_never_hold_the_same_item_and_a_reload_resumes(project, make_reviewers):
    items = factories.make_items(project, ["x one", "x two"])
    for i, item in enumerate(items):
        review_services.review_candidate_add(project_id=project.id, item_id=item.id, kind="suspect",
                                             score=1 - i / 10, detail={})
    r1, r2, r3 = make_reviewers(project, 3)
    first = review_services.review_claim_next(project=project, user=r1)
    second = review_services.review_claim_next(project=project, user=r2)
    assert {first.item_id, second.item_id} == {i.id for i in items}
    assert review_services.review_claim_next(project=project, user=r3) is None
    assert review_services.review_claim_next(project=project, user=r1).item_id == first.item_id  # resumed
    # Prefetch: asking past the held item gives nothing more (r2 holds the other).
    assert review_services.review_claim_next(project=project, user=r1, exclude_ids=[first.item_id]) is None


def test_an_expired_review_lease_is_taken_over(project, make_reviewers):
    (item,) = factories.make_items(project, ["x one"])
    review_services.review_candidate_add(project_id=project.id, item_id=item.id, kind="flagged", score=2, detail={})
    r1, r2 = make_reviewers(project, 2)
    review_services.review_claim_next(project=project, user=r1)
    from django.utils import timezone

    ReviewLease.objects.update(expires_at=timezone.now())
    assert review_services.review_claim_next(project=project, user=r2).item_id == item.id


def test_the_reason_filter_works_one_kind(project, make_reviewers):
    items = factories.make_items(project, ["x one", "x two"])
    review_services.review_candidate_add(project_id=project.id, item_id=items[0].id, kind="flagged", score=2, detail={})
    review_services.review_candidate_add(project_id=project.id, item_id=items[1].id, kind="suspect", score=0.5, detail={})
    (reviewer,) = make_reviewers(project, 1)
    assert review_services.review_claim_next(project=project, user=reviewer, reason="suspect").item_id == items[1].id
    from common.errors import Invalid

    with pytest.raises(Invalid):
        review_services.review_claim_next(project=project, user=reviewer, reason="whim")


def test_a_reviewed_item_leaves_the_queue_and_the_next_versions_suspects(noisy_project, make_reviewers):
    project, items, truth = noisy_project
    build(project)
    (reviewer,) = make_reviewers(project, 1)
    reviewed = set()
    for _ in range(5):
        lease = review_services.review_claim_next(project=project, user=reviewer, reason="suspect")
        review_services.review_create(item=lease.item, reviewer=reviewer, verdict="accept")
        reviewed.add(lease.item_id)
    assert not _open(project).filter(item_id__in=reviewed).exists()
    assert not ReviewLease.objects.filter(item_id__in=reviewed).exists()
    version = build(project)
    suspects = {s["item_id"] for s in version.quality["label_noise"]["suspects"]}
    assert not suspects & reviewed
    assert not _open(project, "suspect").filter(item_id__in=reviewed).exists()
    assert version.quality["label_noise"]["reviewed_left_out"] >= 0
