"""The quality report stored with every version."""
from __future__ import annotations

import pytest

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


def _clean(project, steps):
    from cleaning import services as cleaning_services

    run = cleaning_services.cleaning_run_create(project=project, steps=steps, created_by=None)
    cleaning_services.cleaning_run_execute(run_id=run.id)
    run.refresh_from_db()
    return run


def test_it_reports_duplicates_and_pii_from_cleaning_by_step(project):
    words = "plot cast score pacing ending dialogue camera music story actors script humour sets light".split()
    texts = [f"{words[i % 14]} {words[(i * 5 + 3) % 14]} {words[(i * 3 + 7) % 14]} of film {i}: {'great' if i % 2 == 0 else 'awful'}"
             for i in range(16)]
    texts += [
        texts[0].upper(),  # exact duplicate once case-folded
        "  " + texts[1],  # exact duplicate once whitespace is collapsed
        texts[2] + " x",  # near duplicate of texts[2]
        "meh",  # too short
        "mail me at someone@example.com or at other@example.org",
        "call +44 20 7946 0958 now, a fine film",
    ]
    items = factories.make_items(project, texts)
    votes(items, ["positive" if i % 2 == 0 else "negative" for i in range(len(items))])
    _clean(project, [{"op": "exact_dedup"}, {"op": "near_dedup"}, {"op": "min_length", "min": 5}, {"op": "redact_pii"}])
    reverted = _clean(project, [{"op": "redact_pii"}])  # finds nothing new; reverted below: never counted
    from cleaning import services as cleaning_services

    revert = cleaning_services.cleaning_run_revert(run=reverted, created_by=None)
    cleaning_services.cleaning_revert_execute(revert_id=revert.id)
    Item.objects.filter(id=items[5].id).update(excluded_reason="excluded by hand")  # no step wrote it

    cleaning = build(project).quality["cleaning"]
    assert (cleaning["items_total"], cleaning["excluded"]) == (22, 5)
    assert cleaning["excluded_by_step"] == {"exact_dedup": 2, "min_length": 1, "near_dedup": 1}
    assert (cleaning["duplicates"], cleaning["near_duplicates"]) == (2, 1)
    assert cleaning["duplicate_rate"] == pytest.approx(2 / 22)
    assert cleaning["near_duplicate_rate"] == pytest.approx(1 / 22)
    assert cleaning["pii"] == {"total": 3, "items": 2, "by_type": {"email": 2, "phone": 1}}


def test_a_reverted_cleaning_run_no_longer_counts(project):
    items = labeled_items(project, 12)
    Item.objects.filter(id=items[1].id).update(text=items[0].text)
    run = _clean(project, [{"op": "exact_dedup"}])
    assert build(project).quality["cleaning"]["duplicates"] == 1
    from cleaning import services as cleaning_services

    revert = cleaning_services.cleaning_run_revert(run=run, created_by=None)
    cleaning_services.cleaning_revert_execute(revert_id=revert.id)
    assert build(project).quality["cleaning"]["duplicates"] == 0


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
