"""The quality report stored with every version."""
from __future__ import annotations

import pytest

from cleaning.models import CleaningRun
from curation.selectors import version_snapshot_dir
from curation.snapshot import snapshot_table
from projects.models import Item
from tests import factories
from tests.versions_tests.conftest import build, labeled_items, vader_snippets, vote, votes


def test_it_reports_every_section(project):
    labeled_items(project, 20)
    quality = build(project).quality
    assert set(quality) >= {
        "items", "unlabeled_items", "labels", "annotations_per_item", "agreement", "consolidation",
        "cleaning", "label_noise",
    }
    assert quality["items"]["total"] == 20
    assert quality["items"]["train"] + quality["items"]["val"] + quality["items"]["test"] == 20
    assert quality["label_noise"]["estimated_rate"] is None  # 20 items: too few for a 5-fold estimate
    assert quality["label_noise"]["note"].startswith("n/a")


def test_it_counts_labels_and_their_imbalance(project):
    items = factories.make_items(project, [f"text {i}" for i in range(30)])
    votes(items, ["positive"] * 20 + ["negative"] * 10)
    labels = build(project).quality["labels"]
    assert labels["distribution"] == {"positive": 20, "negative": 10}
    assert labels["imbalance_ratio"] == 2.0
    assert sum(sum(split.values()) for split in labels["by_split"].values()) == 30


def test_an_empty_class_makes_the_imbalance_undefined(project):
    votes(factories.make_items(project, ["a text", "b text"]), ["positive", "positive"])
    labels = build(project).quality["labels"]
    assert labels["imbalance_ratio"] is None
    assert labels["missing_labels"] == ["negative"]


def test_it_describes_annotations_per_item_and_agreement(project):
    items = factories.make_items(project, [f"text {i}" for i in range(6)])
    for k, item in enumerate(items):
        vote(item, "positive", "crowd-a")
        vote(item, "positive" if k < 4 else "negative", "crowd-b")
        if k < 3:
            vote(item, "positive", "crowd-c")
    quality = build(project).quality
    assert quality["annotations_per_item"] == {"mean": 2.5, "min": 2, "max": 3, "histogram": {"2": 3, "3": 3}}
    assert quality["agreement"]["items_compared"] == 6
    assert quality["agreement"]["percent_agreement"] is not None


def test_agreement_is_undefined_with_one_vote_per_item(project):
    labeled_items(project, 10)
    agreement = build(project).quality["agreement"]
    assert agreement["fleiss_kappa"] is None and agreement["krippendorff_alpha"] is None


def test_it_reports_consolidation_confidence(project):
    items = factories.make_items(project, [f"text {i}" for i in range(4)])
    for k, item in enumerate(items):
        vote(item, "positive", "crowd-a")
        vote(item, "negative" if k < 2 else "positive", "crowd-b")
    consolidation = build(project).quality["consolidation"]
    assert consolidation["method"] == "majority"
    assert consolidation["mean"] == pytest.approx(0.75)
    assert consolidation["low_share"] == pytest.approx(0.5)


def test_it_reports_duplicates_and_pii_from_cleaning(project):
    items = labeled_items(project, 20)
    Item.objects.filter(id__in=[items[1].id, items[2].id]).update(excluded_reason=f"duplicate of #{items[0].id}")
    Item.objects.filter(id=items[3].id).update(excluded_reason=f"near-duplicate of #{items[0].id}")
    Item.objects.filter(id=items[4].id).update(excluded_reason="min_length: shorter than 10")
    CleaningRun.objects.create(
        project=project, status="succeeded",
        step_counts=[{"op": "redact_pii", "changed": 3, "excluded": 0, "pii": {"email": 2, "phone": 2}}],
    )
    from django.utils import timezone

    CleaningRun.objects.create(  # reverted: its findings no longer stand
        project=project, status="succeeded", reverted_at=timezone.now(),
        step_counts=[{"op": "redact_pii", "changed": 5, "excluded": 0, "pii": {"email": 5}}],
    )
    cleaning = build(project).quality["cleaning"]
    assert (cleaning["items_total"], cleaning["excluded"]) == (20, 4)
    assert (cleaning["duplicates"], cleaning["near_duplicates"]) == (2, 1)
    assert cleaning["duplicate_rate"] == pytest.approx(0.1)
    assert cleaning["near_duplicate_rate"] == pytest.approx(0.05)
    assert cleaning["pii"] == {"total": 4, "items": 3, "by_type": {"email": 2, "phone": 2}}


def test_it_estimates_label_noise_on_real_reviews(project):
    """VADER movie-review snippets with every tenth label flipped: the suspects are items of the version
    with their given label, and flipped items are over-represented among them."""
    data = vader_snippets(400)
    items = factories.make_items(project, [text for text, _ in data])
    flip = {"positive": "negative", "negative": "positive"}
    given = [flip[label] if k % 10 == 0 else label for k, (_, label) in enumerate(data)]
    votes(items, given)
    flipped = {item.id for k, item in enumerate(items) if k % 10 == 0}
    version = build(project)
    noise = version.quality["label_noise"]
    assert 0 < noise["estimated_rate"] < 1
    suspects = noise["suspects"]
    assert suspects and len(suspects) <= 200
    labels = dict(zip(*(snapshot_table(version_snapshot_dir(version), columns=["item_id", "label"])
                        .column(c).to_pylist() for c in ("item_id", "label")), strict=True))
    assert all(labels[s["item_id"]] == s["given"] != s["suggested"] for s in suspects)
    precision = sum(s["item_id"] in flipped for s in suspects) / len(suspects)
    assert precision > 2 * len(flipped) / len(items), precision
