"""Multi-label classification figures: a sigmoid per label, each label's decision threshold picked on val.

``pick_thresholds`` tries 0.05, 0.10, ..., 0.95 per label and keeps the one with the best F1 on val (ties: the
one nearest 0.5; a label absent from val keeps 0.5). ``report`` gives micro/macro F1, per-label precision,
recall, F1, support and threshold, subset accuracy (every label of the item right) and Hamming loss (the share
of wrong decisions), as scikit-learn's f1_score / accuracy_score / hamming_loss compute them on the same 0/1
matrices (zero_division=0); macro averages over every label.

>>> import numpy as np
>>> truth = np.array([[1, 0], [0, 1], [1, 1]])
>>> report(truth, np.array([[0.9, 0.2], [0.4, 0.8], [0.7, 0.3]]), [0.5, 0.5], ["a", "b"])["subset_accuracy"]
0.6666666666666666
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

GRID = np.round(np.arange(0.05, 0.951, 0.05), 2)


def _f1(truth: np.ndarray, decided: np.ndarray) -> tuple[float, float, float]:
    tp = float((truth & decided).sum())
    pred, gold = float(decided.sum()), float(truth.sum())
    precision = tp / pred if pred else 0.0
    recall = tp / gold if gold else 0.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def pick_thresholds(truth: np.ndarray, probabilities: np.ndarray) -> list[float]:
    """A threshold per label (column) maximising that label's F1 on these rows."""
    chosen = []
    for j in range(truth.shape[1]):
        column = truth[:, j].astype(bool)
        if not column.any():
            chosen.append(0.5)
            continue
        scores = [(_f1(column, probabilities[:, j] >= t)[2], -abs(t - 0.5), float(t)) for t in GRID]
        chosen.append(max(scores)[2])
    return chosen


def decide(probabilities: np.ndarray, thresholds: Sequence[float]) -> np.ndarray:
    return probabilities >= np.asarray(thresholds, dtype=np.float32)[None, :]


def report(truth: np.ndarray, probabilities: np.ndarray, thresholds: Sequence[float], labels: Sequence[str]) -> dict:
    truth = truth.astype(bool)
    decided = decide(probabilities, thresholds)
    if not len(truth):
        return {"micro_f1": None, "macro_f1": None, "subset_accuracy": None, "hamming_loss": None, "per_label": {},
                "count": 0, "labels": list(labels)}
    per_label = {}
    for j, label in enumerate(labels):
        precision, recall, f1 = _f1(truth[:, j], decided[:, j])
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": int(truth[:, j].sum()),
                            "threshold": float(thresholds[j])}
    return {
        "micro_f1": _f1(truth.ravel(), decided.ravel())[2],
        "macro_f1": float(np.mean([f["f1"] for f in per_label.values()])),
        "subset_accuracy": float((truth == decided).all(axis=1).mean()),
        "hamming_loss": float((truth != decided).mean()),
        "per_label": per_label,
        "count": int(len(truth)),
        "labels": list(labels),
    }
