"""The label-noise estimate finds planted wrong labels and declines when there is too little data."""

from __future__ import annotations

import numpy as np
import pytest

from curation.noise import NoiseReport, estimate_label_noise

VOCAB = {
    "sport": "goal match team striker referee league coach stadium penalty season".split(),
    "money": "bank loan interest rate market stock bond inflation budget credit".split(),
    "food": "recipe oven flour sugar butter garlic simmer salad spice dinner".split(),
}
SHARED = "the a of and today really very new big small".split()


def synthetic(*, per_class: int, flips: int, seed: int) -> tuple[list[str], list[str], list[str], np.ndarray]:
    """(texts, given labels, true labels, flipped indices): each text mixes its class's words with
    common words; ``flips`` items get another class's label."""
    rng = np.random.default_rng(seed)
    texts, truth = [], []
    for label, words in VOCAB.items():
        for _ in range(per_class):
            picked = list(rng.choice(words, 4)) + list(rng.choice(SHARED, 4))
            rng.shuffle(picked)
            texts.append(" ".join(picked))
            truth.append(label)
    given = list(truth)
    flipped = rng.choice(len(texts), flips, replace=False)
    classes = list(VOCAB)
    for i in flipped:
        given[i] = classes[(classes.index(truth[i]) + 1 + rng.integers(2)) % 3]
    return texts, given, truth, flipped


@pytest.fixture(scope="module")
def planted():
    texts, given, _, flipped = synthetic(per_class=40, flips=12, seed=3)
    return texts, given, flipped, estimate_label_noise(texts, given, folds=5, seed=0)


def test_it_ranks_the_flipped_labels_first(planted):
    _, _, flipped, report = planted
    top = {s.index for s in report.suspects[: len(flipped)]}
    assert len(top & set(flipped.tolist())) >= 0.75 * len(flipped)


def test_it_estimates_a_noise_rate_near_the_planted_one(planted):
    texts, _, flipped, report = planted
    assert report.estimated_rate == pytest.approx(len(flipped) / len(texts), abs=0.05)


def test_it_describes_each_suspect(planted):
    _, given, _, report = planted
    assert isinstance(report, NoiseReport) and "cleanlab" in report.method
    for suspect in report.suspects:
        assert suspect.given == given[suspect.index]
        assert suspect.suggested in VOCAB and suspect.suggested != suspect.given
        assert suspect.self_confidence == pytest.approx(report.self_confidence[suspect.index])
    confidences = [s.self_confidence for s in report.suspects]
    assert confidences == sorted(confidences)


def test_it_is_repeatable_for_a_seed(planted):
    texts, given, _, report = planted
    again = estimate_label_noise(texts, given, folds=5, seed=0)
    assert [s.index for s in again.suspects] == [s.index for s in report.suspects]


def test_it_returns_none_when_a_class_is_too_small_for_the_folds():
    texts, given, _, _ = synthetic(per_class=40, flips=0, seed=1)
    rare = [i for i, label in enumerate(given) if label == "food"][:9]  # 9 < 2 per class per fold × 5 folds
    keep = [i for i, label in enumerate(given) if label != "food"] + rare
    assert estimate_label_noise([texts[i] for i in keep], [given[i] for i in keep], folds=5) is None
    assert estimate_label_noise([texts[i] for i in keep], [given[i] for i in keep], folds=4) is not None


def test_it_returns_none_for_a_single_label_or_no_data():
    assert estimate_label_noise(["a b"] * 30, ["x"] * 30) is None
    assert estimate_label_noise([], []) is None


def test_it_rejects_texts_and_labels_of_different_lengths():
    with pytest.raises(ValueError, match="3 texts but 2 labels"):
        estimate_label_noise(["a", "b", "c"], ["x", "y"])


def _estimate_in_child(queue) -> None:
    texts, given, _, _ = synthetic(per_class=20, flips=4, seed=5)
    try:
        report = estimate_label_noise(texts, given, folds=5, seed=0)
        queue.put(("ok", len(report.suspects)))
    except Exception as exc:  # reported to the parent, which fails the test with it
        queue.put(("error", repr(exc)))


def test_it_runs_inside_a_daemonic_worker_process():
    """A Celery prefork worker is daemonic and may not start children (cleanlab's default pool)."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_estimate_in_child, args=(queue,), daemon=True)
    child.start()
    outcome = queue.get(timeout=120)
    child.join(timeout=30)
    assert outcome[0] == "ok", outcome
