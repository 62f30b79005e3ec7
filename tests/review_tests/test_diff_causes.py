"""A version diff names the cause of every added, removed and relabeled item."""
from __future__ import annotations

import pytest

from annotation import review_services
from cleaning import services as cleaning_services
from curation.diff import snapshot_diff
from curation.diff_causes import cause_counts, diff_causes
from curation.selectors import version_snapshot_dir
from tests import factories
from tests.review_tests.conftest import build
from tests.versions_tests.conftest import vote, votes

pytestmark = pytest.mark.django_db
ALL_TRAIN = {"train": 1.0, "val": 0.0, "test": 0.0}


def _causes(new, old):
    diff = snapshot_diff(version_snapshot_dir(new), version_snapshot_dir(old))
    return diff_causes(diff, new=new, old=old)


def test_each_change_is_attributed_to_its_cause(project, reviewer):
    texts = ["the plot was thin", "great acting all round", "a slow and dull film", "I loved the score a lot",
             "the plot was thin", "  THE plot was thin"]
    items = factories.make_items(project, texts[:4] + ["a film of no note", "The plot was thin!"])
    for item in items:
        vote(item, "positive", "crowd-a")
    old = build(project, split=ALL_TRAIN)

    review_services.review_create(item=items[0], reviewer=reviewer, verdict="correct", value={"label": "negative"})
    review_services.review_create(item=items[1], reviewer=reviewer, verdict="exclude", reason="off topic")
    vote(items[2], "negative", "crowd-b")
    vote(items[2], "negative", "crowd-c")  # two new votes outvote the old one
    run = cleaning_services.cleaning_run_create(project=project, steps=[{"op": "min_length", "min": 18}], created_by=None)
    cleaning_services.cleaning_run_execute(run_id=run.id)  # excludes "a film of no note" (17 chars)
    fresh = factories.make_items(project, ["a new review, imported later"])
    votes(fresh, ["positive"])
    new = build(project, split=ALL_TRAIN)

    causes = _causes(new, old)
    assert causes[items[0].id] == {"cause": "review", "by": reviewer.username, "verdict": "correct"}
    assert causes[items[1].id] == {"cause": "review", "by": reviewer.username, "verdict": "exclude"}
    assert causes[items[2].id] == {"cause": "annotations"}
    assert causes[items[4].id] == {"cause": "cleaning", "step": "min_length"}
    assert causes[fresh[0].id]["cause"] == "import"
    assert cause_counts(causes) == {"review": 2, "annotations": 1, "cleaning": 1, "import": 1, "consolidation": 0}


def test_a_change_of_method_is_consolidation(project):
    import random

    # Five raters of unequal accuracy (seeded): Dawid-Skene weighs them, majority counts them, and the
    # two part ways on a few items.
    rng, labels = random.Random(0), ["positive", "negative"]
    truth = [rng.choice(labels) for _ in range(30)]
    items = factories.make_items(project, [f"text {i}" for i in range(30)])
    for item, true in zip(items, truth, strict=True):
        for rater, accuracy in {"a": 0.95, "b": 0.55, "c": 0.55, "d": 0.9, "e": 0.5}.items():
            vote(item, true if rng.random() < accuracy else next(x for x in labels if x != true), rater)
    old = build(project, split=ALL_TRAIN, consolidation="majority")
    new = build(project, split=ALL_TRAIN, consolidation="dawid_skene")
    causes = _causes(new, old)
    assert len(causes) == 2
    assert all(c == {"cause": "consolidation", "method": "dawid_skene", "method_changed": True} for c in causes.values())
