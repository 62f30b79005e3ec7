"""Agreement on multi-label annotations: per-label Cohen's kappa, Fleiss' kappa and Krippendorff's alpha
on the binary decisions (did the annotator choose the label?), and Krippendorff's alpha over whole
label sets with the MASI distance. Pure (numpy; no Django).

Input is a stream of votes ``(item_key, annotator_key, labels)`` with ``labels`` an iterable of label
names; an empty set is an answer ("none of these") and counts. A second vote by the same annotator on
the same item replaces the first.

MASI (Passonneau 2006, "Measuring agreement on set-valued items (MASI) for semantic and pragmatic
annotation", LREC) is ``J * M``: J the Jaccard index ``|A & B| / |A | B|``, M the monotonicity weight:
1 when the sets are equal, 2/3 when one contains the other, 1/3 when they intersect otherwise, 0 when
disjoint. The distance is ``1 - J * M``, 0 for two equal sets (two empty sets included, where nltk's
``masi_distance`` divides by zero). nltk rounds the weights to 0.67 and 0.33 (its doctest: {1, 2} and
{1, 2, 3, 4} are 0.665 apart); ``masi_distance(..., weights=(0.67, 0.33))`` gives its numbers.

Alpha with a distance (Krippendorff 2011): the values are the distinct label sets, ``o`` their
coincidence matrix (``agreement.coincidences``), ``n_c`` its margins and
``alpha = 1 - (n - 1) * sum(o * d) / sum(n_c n_k d)``; None without pairable values or without
variation (the ``krippendorff`` package agrees, given the same distance as a callable).
"""
from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Sequence

import numpy as np

from annotation.agreement import (
    coincidences,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    percent_agreement,
    rating_table,
)

MASI_WEIGHTS = (2 / 3, 1 / 3)  # Passonneau (2006): subset, other intersection

LabelsVote = tuple[Hashable, Hashable, Iterable[str]]

__all__ = [
    "label_set_key",
    "latest_label_votes",
    "masi_alpha",
    "masi_distance",
    "multilabel_agreement",
]


def masi_distance(a: Iterable, b: Iterable, *, weights: tuple[float, float] = MASI_WEIGHTS) -> float:
    """``1 - Jaccard * monotonicity`` of two sets (module docstring).

    >>> masi_distance({"a", "b"}, {"a", "b"})
    0.0
    >>> round(masi_distance({1, 2}, {1, 2, 3, 4}), 4)
    0.6667
    >>> round(masi_distance({1, 2}, {1, 2, 3, 4}, weights=(0.67, 0.33)), 3)  # nltk's documented value
    0.665
    >>> round(masi_distance({"a", "b"}, {"b", "c"}), 4)  # J = 1/3, M = 1/3
    0.8889
    """
    a, b = set(a), set(b)
    if a == b:
        return 0.0
    common = len(a & b)
    if common == min(len(a), len(b)):
        weight = weights[0]
    elif common:
        weight = weights[1]
    else:
        return 1.0
    return 1.0 - common / len(a | b) * weight


def latest_label_votes(votes: Iterable[LabelsVote]) -> dict[Hashable, dict[Hashable, frozenset[str]]]:
    """item → annotator → label set, first-seen order; a later vote of an annotator on an item wins."""
    out: dict[Hashable, dict[Hashable, frozenset[str]]] = {}
    for item, annotator, labels in votes:
        out.setdefault(item, {})[annotator] = frozenset(labels)
    return out


def label_set_key(labels: Iterable[str], order: Sequence[str] = ()) -> str:
    """A label set as one category name (JSON list in ``order``, unknown labels after them sorted):
    ``'[]'`` for the empty set, so "none of these" is a category like any other."""
    position = {label: i for i, label in enumerate(order)}
    return json.dumps(sorted(labels, key=lambda label: (position.get(label, len(position)), label)),
                      ensure_ascii=False)


def _alpha_with_distance(counts: np.ndarray, delta: np.ndarray) -> float | None:
    o = coincidences(counts)
    n_v = o.sum(axis=1)
    n = n_v.sum()
    if n < 2:
        return None
    expected = (np.outer(n_v, n_v) * delta).sum()
    if expected <= 0:
        return None
    return float(1 - (n - 1) * (o * delta).sum() / expected)


def masi_alpha(votes: Iterable[LabelsVote], *, weights: tuple[float, float] = MASI_WEIGHTS) -> float | None:
    """Krippendorff's alpha over label sets with the MASI distance; None where undefined.

    >>> masi_alpha([(1, "a", {"x"}), (1, "b", {"x"}), (2, "a", {"y"}), (2, "b", {"y"})])
    1.0
    """
    sets = [(item, annotator, frozenset(labels))
            for item, per in latest_label_votes(votes).items() for annotator, labels in per.items()]
    index = {s: str(k) for k, s in enumerate(dict.fromkeys(s for _, _, s in sets))}
    if not index:
        return None
    values = list(index)
    table = rating_table(((i, a, index[s]) for i, a, s in sets), list(index.values()))
    delta = np.array([[masi_distance(values[int(x)], values[int(y)], weights=weights) for y in table.labels]
                      for x in table.labels])
    return _alpha_with_distance(table.counts, delta)


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.mean(known)) if known else None


def multilabel_agreement(votes: Iterable[LabelsVote], labels: Sequence[str]) -> dict:
    """Every multi-label figure, None wherever undefined (module docstring):

    ``{"items_compared", "ratings", "annotator_count", "percent_agreement", "fleiss_kappa",
    "krippendorff_alpha", "cohen_kappa": [{"a", "b", "kappa", "n"}], "masi_alpha", "per_label": {label:
    {"ratings", "share", "fleiss_kappa", "krippendorff_alpha", "cohen_kappa": [{"a", "b", "kappa", "n"}],
    "mean_cohen_kappa"}}}``

    The top-level ``percent_agreement``, ``fleiss_kappa``, ``krippendorff_alpha`` (nominal) and
    ``cohen_kappa`` treat each distinct label set as one category (exact-set agreement); ``masi_alpha``
    gives partial credit for overlapping sets. ``per_label`` is on the binary decisions: ``ratings`` is
    how many annotations chose the label, ``share`` that over all annotations, and the kappas and alpha
    compare chose / did not choose, per pair of annotators (Cohen) and over everyone (Fleiss, alpha);
    ``mean_cohen_kappa`` is the mean of the defined pairwise kappas. Labels in the votes but not in
    ``labels`` come after them, sorted."""
    by_item = latest_label_votes(votes)
    rows = [(item, annotator, chosen) for item, per in by_item.items() for annotator, chosen in per.items()]
    seen = {label for _, _, chosen in rows for label in chosen}
    all_labels = list(dict.fromkeys(labels)) + sorted(seen - set(labels))
    sets = rating_table(((i, a, label_set_key(c, all_labels)) for i, a, c in rows), [])
    counts = sets.counts
    m = counts.sum(axis=1)
    per_label = {}
    for label in all_labels:
        binary = rating_table(((i, a, "yes" if label in c else "no") for i, a, c in rows), ["no", "yes"])
        pairs = pairwise_cohen_kappa(binary)
        chosen = int(binary.counts[:, 1].sum()) if len(rows) else 0
        per_label[label] = {
            "ratings": chosen,
            "share": chosen / len(rows) if rows else None,
            "fleiss_kappa": fleiss_kappa(binary.counts),
            "krippendorff_alpha": krippendorff_alpha(binary.counts),
            "cohen_kappa": pairs,
            "mean_cohen_kappa": _mean(p["kappa"] for p in pairs),
        }
    return {
        "items_compared": int((m >= 2).sum()),
        "ratings": len(rows),
        "annotator_count": len(sets.raters),
        "percent_agreement": percent_agreement(counts),
        "fleiss_kappa": fleiss_kappa(counts),
        "krippendorff_alpha": krippendorff_alpha(counts),
        "cohen_kappa": pairwise_cohen_kappa(sets),
        "masi_alpha": masi_alpha(rows),
        "per_label": per_label,
    }
