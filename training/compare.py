"""Paired comparison of two runs on the same items with the same labels. Pure numpy (no Django).

Both runs' stored predictions are re-scored against one set of labels (the ruler's latest revision),
so what differs is the models, not the exam. The difference is ``b - a`` (b is usually the newer run):

- accuracy and macro-F1 of each (macro over the labels that occur in the truth or in either run's
  predictions; a label with no support and no prediction is left out, as scikit-learn does with
  ``labels=None``);
- a 95% paired bootstrap interval of each difference (``interval_95`` is the accuracy's,
  ``macro_f1_interval_95`` the macro-F1's): the same resampled items score both runs,
  ``resamples`` times, percentile interval (Efron & Tibshirani 1993, ch. 13);
- McNemar's exact test on the discordant items (a right / b wrong against a wrong / b right): the
  two-sided binomial p-value with p = 1/2, the same figure as statsmodels'
  ``mcnemar(table, exact=True)``;
- per-class F1 of each and their delta, and the items each run got right that the other got wrong.

    >>> r = compare(["x", "y", "x", "y"], ["x", "x", "x", "y"], ["x", "y", "x", "y"], resamples=200)
    >>> (r["a"]["accuracy"], r["b"]["accuracy"], r["difference"]["accuracy"], r["mcnemar_p"])
    (0.75, 1.0, 0.25, 1.0)
"""
from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np

BOOTSTRAP_RESAMPLES = 2000


def _confusion_counts(truth: np.ndarray, pred: np.ndarray, n_labels: int, weights: np.ndarray):
    """Per-label true positives, predicted counts and true counts, for each row of ``weights``
    (resamples × items: how often each item was drawn). Shapes: (resamples, labels)."""
    hit = (truth == pred)
    tp = np.stack([weights @ ((truth == k) & hit) for k in range(n_labels)], axis=1)
    predicted = np.stack([weights @ (pred == k) for k in range(n_labels)], axis=1)
    actual = np.stack([weights @ (truth == k) for k in range(n_labels)], axis=1)
    return tp, predicted, actual


def _macro_f1(tp, predicted, actual) -> np.ndarray:
    """Macro-F1 per row over the labels with support or predictions in that row; 0 where none."""
    denominator = predicted + actual
    present = denominator > 0
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp, dtype=float), where=present)
    counted = present.sum(axis=1)
    return np.divide(f1.sum(axis=1), counted, out=np.zeros(len(f1)), where=counted > 0)


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value: 2 · P(X <= min) for X ~ Binomial(a_only + b_only, 1/2), at most 1.

    >>> round(mcnemar_exact(1, 9), 4)
    0.0215
    """
    n = a_only + b_only
    if n == 0:
        return 1.0
    tail = sum(comb(n, i) for i in range(min(a_only, b_only) + 1)) / 2**n
    return min(1.0, 2 * tail)


def compare(
    truth: Sequence[str],
    a_pred: Sequence[str],
    b_pred: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = 0,
) -> dict:
    """The comparison of predictions ``a_pred`` and ``b_pred`` of the same items against ``truth``;
    see the module docstring. ``labels`` orders the per-class table (default: sorted)."""
    n = len(truth)
    if not (len(a_pred) == len(b_pred) == n):
        raise ValueError("truth and both predictions must have one entry per item")
    names = list(labels) if labels is not None else []
    names += sorted(set(truth) | set(a_pred) | set(b_pred) - set(names))
    index = {name: i for i, name in enumerate(names)}
    y, pa, pb = (np.array([index[v] for v in seq], dtype=np.int64) for seq in (truth, a_pred, b_pred))
    if n == 0:
        empty = {"accuracy": None, "macro_f1": None}
        return {"items": 0, "a": empty, "b": empty,
                "difference": {**empty, "interval_95": None, "macro_f1_interval_95": None},
                "mcnemar_p": None, "per_class": {}, "fixed": [], "broken": []}

    ones = np.ones((1, n))
    scores = {}
    for name, pred in (("a", pa), ("b", pb)):
        tp, predicted, actual = _confusion_counts(y, pred, len(names), ones)
        scores[name] = {"accuracy": float((y == pred).mean()), "macro_f1": float(_macro_f1(tp, predicted, actual)[0]),
                        "_per_class": _per_class_f1(tp[0], predicted[0], actual[0])}

    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).astype(float)  # (resamples, items)
    acc_a, acc_b = weights @ (y == pa) / n, weights @ (y == pb) / n
    f1_a = _macro_f1(*_confusion_counts(y, pa, len(names), weights))
    f1_b = _macro_f1(*_confusion_counts(y, pb, len(names), weights))
    right_a, right_b = y == pa, y == pb
    per_class = {
        name: {
            "support": int((y == k).sum()),
            "a_f1": scores["a"]["_per_class"][k],
            "b_f1": scores["b"]["_per_class"][k],
            "delta": None if scores["a"]["_per_class"][k] is None or scores["b"]["_per_class"][k] is None
            else scores["b"]["_per_class"][k] - scores["a"]["_per_class"][k],
        }
        for k, name in enumerate(names)
    }
    return {
        "items": n,
        "a": {k: v for k, v in scores["a"].items() if not k.startswith("_")},
        "b": {k: v for k, v in scores["b"].items() if not k.startswith("_")},
        "difference": {
            "accuracy": scores["b"]["accuracy"] - scores["a"]["accuracy"],
            "macro_f1": scores["b"]["macro_f1"] - scores["a"]["macro_f1"],
            "interval_95": _interval(acc_b - acc_a),  # of the accuracy difference
            "macro_f1_interval_95": _interval(f1_b - f1_a),
        },
        "mcnemar_p": mcnemar_exact(int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())),
        "per_class": per_class,
        "fixed": np.flatnonzero(~right_a & right_b).tolist(),  # positions: b right, a wrong
        "broken": np.flatnonzero(right_a & ~right_b).tolist(),  # positions: a right, b wrong
    }


def _per_class_f1(tp, predicted, actual) -> list[float | None]:
    out = []
    for t, p, a in zip(tp.tolist(), predicted.tolist(), actual.tolist(), strict=True):
        out.append(None if p + a == 0 else 2 * t / (p + a))
    return out


def _interval(samples: np.ndarray) -> list[float]:
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return [float(lo), float(hi)]
