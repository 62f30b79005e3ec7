"""Classification metrics that accumulate a confusion matrix batch by batch, then compute.

Our own 40 lines rather than scikit-learn's functions, because those need every prediction at once
and we want counts that add up per batch (and across processes, for a later DDP run: one all-reduce
of an L×L matrix); the tests check every figure against scikit-learn on random inputs.

Conventions (those of scikit-learn's ``precision_recall_fscore_support`` with ``zero_division=0``,
against which the tests check us): a class never predicted has precision 0, a class with no support
has recall 0; a class absent from the split and never predicted has None for all three (undefined,
"n/a" in the UI). Macro-F1 averages F1 over the classes that occur in the targets or the predictions
(scikit-learn's default label set); accuracy and macro-F1 are None for an empty split.

>>> counts = ConfusionCounts(2)
>>> counts.update(predicted=[0, 1, 1, 0], target=[0, 1, 0, 0])
>>> report = counts.compute(["neg", "pos"])
>>> report["accuracy"], round(report["macro_f1"], 4)
(0.75, 0.7333)
>>> report["confusion_matrix"]
[[2, 1], [0, 1]]
>>> report["per_class"]["pos"]
{'precision': 0.5, 'recall': 1.0, 'f1': 0.6666666666666666, 'support': 1}
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else 0.0


class ConfusionCounts:
    """Counts ``matrix[target, predicted]`` (rows: true label, columns: predicted label)."""

    def __init__(self, num_labels: int):
        self.matrix = np.zeros((num_labels, num_labels), dtype=np.int64)

    def update(self, *, predicted: Sequence[int] | np.ndarray, target: Sequence[int] | np.ndarray) -> None:
        predicted = np.asarray(predicted, dtype=np.int64)
        target = np.asarray(target, dtype=np.int64)
        n = self.matrix.shape[0]
        # One bincount over flattened (target, predicted) pairs: no Python loop per example.
        self.matrix += np.bincount(target * n + predicted, minlength=n * n).reshape(n, n)

    def compute(self, labels: Sequence[str]) -> dict:
        """``{accuracy, macro_f1, per_class: {label: {precision, recall, f1, support}}, confusion_matrix, labels}``."""
        matrix = self.matrix
        total = int(matrix.sum())
        true_positive = np.diag(matrix)
        support = matrix.sum(axis=1)  # per true label
        predicted = matrix.sum(axis=0)  # per predicted label
        per_class = {}
        f1s = []
        for i, label in enumerate(labels):
            if not support[i] and not predicted[i]:
                # Absent from this split and never predicted: nothing to measure (shown as n/a).
                per_class[label] = {"precision": None, "recall": None, "f1": None, "support": 0}
                continue
            precision = _ratio(true_positive[i], predicted[i])
            recall = _ratio(true_positive[i], support[i])
            f1 = _ratio(2 * precision * recall, precision + recall)
            per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": int(support[i])}
            f1s.append(f1)
        return {
            "accuracy": _ratio(true_positive.sum(), total) if total else None,
            "macro_f1": float(np.mean(f1s)) if f1s else None,
            "per_class": per_class,
            "confusion_matrix": matrix.tolist(),
            "labels": list(labels),
            "count": total,
        }
