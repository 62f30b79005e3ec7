"""Metrics accumulate a confusion matrix, then compute; checked against known values and scikit-learn."""
import doctest

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from training.engine import metrics
from training.engine.metrics import ConfusionCounts


def test_its_doctest_holds():
    result = doctest.testmod(metrics)
    assert result.attempted > 0 and result.failed == 0


def test_it_computes_macro_f1_of_a_known_confusion_matrix():
    # rows = true, columns = predicted. a: P=5/7 R=5/6; b: P=3/4 R=3/4; c: P=1/1 R=1/2.
    matrix = np.array([[5, 1, 0], [1, 3, 0], [1, 0, 1]])
    counts = ConfusionCounts(3)
    targets, predicted = np.nonzero(matrix)
    for t, p in zip(targets, predicted, strict=True):
        counts.update(predicted=[p] * matrix[t, p], target=[t] * matrix[t, p])
    report = counts.compute(["a", "b", "c"])
    f1 = [2 * p * r / (p + r) for p, r in [(5 / 7, 5 / 6), (3 / 4, 3 / 4), (1, 1 / 2)]]
    assert report["confusion_matrix"] == matrix.tolist()
    assert report["accuracy"] == pytest.approx(9 / 12)
    assert report["macro_f1"] == pytest.approx(sum(f1) / 3)
    assert report["per_class"]["c"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2})


def test_it_agrees_with_scikit_learn_batch_by_batch():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n_labels = int(rng.integers(2, 6))
        target = rng.integers(0, n_labels, 200)
        predicted = np.where(rng.random(200) < 0.6, target, rng.integers(0, n_labels, 200))
        counts = ConfusionCounts(n_labels)
        for start in range(0, 200, 32):
            counts.update(predicted=predicted[start : start + 32], target=target[start : start + 32])
        report = counts.compute([f"l{i}" for i in range(n_labels)])
        assert report["accuracy"] == pytest.approx(accuracy_score(target, predicted))
        assert report["macro_f1"] == pytest.approx(f1_score(target, predicted, average="macro", zero_division=0))
        p, r, f, s = precision_recall_fscore_support(target, predicted, labels=range(n_labels), zero_division=0)
        for i in range(n_labels):
            got = report["per_class"][f"l{i}"]
            assert (got["precision"], got["recall"], got["f1"], got["support"]) == pytest.approx((p[i], r[i], f[i], s[i]))


def test_it_reports_none_for_an_empty_split_and_zero_for_a_class_never_predicted():
    assert ConfusionCounts(2).compute(["a", "b"])["accuracy"] is None
    assert ConfusionCounts(2).compute(["a", "b"])["macro_f1"] is None
    counts = ConfusionCounts(2)
    counts.update(predicted=[0, 0], target=[0, 1])
    report = counts.compute(["a", "b"])
    assert report["per_class"]["b"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0) / 2)


def test_a_class_absent_from_the_split_is_undefined_not_zero():
    counts = ConfusionCounts(3)
    counts.update(predicted=[0, 1, 1], target=[0, 1, 0])
    report = counts.compute(["neg", "pos", "neutral"])
    assert report["per_class"]["neutral"] == {"precision": None, "recall": None, "f1": None, "support": 0}
    assert report["per_class"]["neg"]["recall"] == 0.5
