"""Inter-annotator agreement: percent agreement, Cohen's kappa per pair, Fleiss' kappa (overall and per
label) and Krippendorff's alpha (nominal, ordinal, interval, ratio; missing values allowed).

Pure: numpy and scikit-learn only; no Django. Input is a stream of votes ``(item_key, annotator_key, label)``
(``annotation.consolidation.Vote``). ``agreement_report(votes, labels)`` is what the API serves.

Where each figure comes from, and why
-------------------------------------
* ``cohen_kappa`` (one pair of aligned label sequences) is scikit-learn's ``cohen_kappa_score``, including
  its linear and quadratic weights. The report needs kappa for *every* annotator pair, though: with 50
  annotators that is 1,225 pairs, and ``cohen_kappa_score`` costs ~1.1 ms a call (input validation and a
  confusion matrix per call), i.e. 1.3 s or more before even gathering each pair's aligned labels.
  ``pairwise_cohen_kappa`` computes all pairs at once from per-pair marginals with ``np.bincount`` (the
  same formula, ``1 - sum(w*O)/sum(w*E)``, and the same undefined case): ~0.07 s for the 2M pair
  observations of 1M annotations. Property tests hold it equal to scikit-learn on random data.
* ``fleiss_kappa`` is ours because statsmodels' ``fleiss_kappa`` assumes every item has the same number
  of raters (it asserts ``table.sum() == n_items * max(raters)`` and fails otherwise), which crowd and
  overlap-k data rarely satisfy, and it has no category-wise kappa. We use Fleiss, Levin & Paik (2003, *Statistical Methods for Rates and
  Proportions*, 3rd ed., ch. 18) for unequal numbers of ratings per subject: over the items with
  ``m_i >= 2`` ratings, ``p_j = sum_i x_ij / sum_i m_i``, ``m_bar = mean(m_i)``,
  ``kappa_j = 1 - sum_i x_ij (m_i - x_ij) / m_i / (N (m_bar - 1) p_j q_j)`` and the overall kappa pools the
  numerators and denominators over j. With a constant number of raters this *is* Fleiss (1971), overall
  and per category (tests: Fleiss' Table 1 gives 0.430; Wikipedia's 10x14 example 0.210), and equals
  statsmodels on random constant-m tables (property test).
* ``krippendorff_alpha`` is ours, vectorised from the coincidence matrix (Krippendorff 2011): one
  ``(N x V)^T (N x V)`` product, so memory is O(N*V) and time is linear. The ``krippendorff`` package
  (0.9) gets the same values (property test), but on the benchmark's 1M annotations (200k items, 50
  annotators, 5 labels) it wants a 50 x 200k float reliability matrix (80 MB) and then takes 0.4-1.3 s
  and 131 MB more (it builds N x V x V arrays); fed value counts it takes 0.1-0.2 s and 123 MB. Ours
  takes 0.02-0.04 s and 19 MB on the same counts (measured here, 2 shared CPUs; bench_agreement.py
  prints both). It also answers NaN or raises where we answer None.
* ``percent_agreement``: the mean over items with >= 2 ratings of the share of agreeing rating pairs
  within the item (Fleiss' P-bar); for two raters, the share of items they agree on.

Undefined is None, never 0 or 1: no item with two ratings, a single label used throughout (no variation),
or a pair that shares no item. Votes whose label is None or "" (no single label: multilabel or span
tasks) are skipped; labels not in ``labels`` are kept, appended after them in sorted order (so nothing
is silently dropped); a second vote by the same annotator on the same item replaces the first.
"""
from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS = (None, "linear", "quadratic")


@dataclass(frozen=True)
class RatingTable:
    """Votes as integer codes, sorted by (item, rater), at most one vote per (item, rater).

    ``item[i]``, ``rater[i]`` and ``label[i]`` index ``items``, ``raters`` and ``labels``."""

    item: np.ndarray  # (n,) int64, non-decreasing
    rater: np.ndarray  # (n,) int64, increasing within an item
    label: np.ndarray  # (n,) int64
    items: list[Hashable]
    raters: list[Hashable]
    labels: list[str]

    @cached_property
    def counts(self) -> np.ndarray:
        """(N items, V labels) value counts: how many raters gave label v to item u."""
        v = len(self.labels)
        flat = np.bincount(self.item * v + self.label, minlength=len(self.items) * v)
        return flat.reshape(len(self.items), v)


def rating_table(votes: Iterable[tuple[Hashable, Hashable, str]], labels: Sequence[str]) -> RatingTable:
    """Encode votes (see the module docstring for skipped, unknown and repeated votes)."""
    rows = [v for v in votes if v[2] is not None and v[2] != ""]
    known = list(dict.fromkeys(labels))
    extra = sorted({v[2] for v in rows} - set(known))
    all_labels = known + extra
    label_index = {label: i for i, label in enumerate(all_labels)}
    # Dict-based factorising: ~0.25 s for 1M votes, faster than np.unique on object arrays.
    item_index: dict = {}
    rater_index: dict = {}
    n = len(rows)
    item = np.fromiter((item_index.setdefault(v[0], len(item_index)) for v in rows), np.int64, n)
    rater = np.fromiter((rater_index.setdefault(v[1], len(rater_index)) for v in rows), np.int64, n)
    label = np.fromiter((label_index[v[2]] for v in rows), np.int64, n)
    if n:
        key = item * len(rater_index) + rater
        order = np.argsort(key, kind="stable")
        key = key[order]
        last = np.append(key[1:] != key[:-1], True)  # keep the last vote of each (item, rater)
        order = order[last]
        item, rater, label = item[order], rater[order], label[order]
    return RatingTable(item, rater, label, list(item_index), list(rater_index), all_labels)


def _pairable(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    counts = np.asarray(counts, dtype=np.float64)
    m = counts.sum(axis=1)
    keep = m >= 2
    return counts[keep], m[keep]


def percent_agreement(counts: np.ndarray) -> float | None:
    """Mean over items with >= 2 ratings of the share of agreeing rating pairs; None without such items."""
    c, m = _pairable(counts)
    if not len(m):
        return None
    return float(np.mean((c * (c - 1)).sum(axis=1) / (m * (m - 1))))


def _fleiss_terms(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    c, m = _pairable(counts)
    if not len(m):
        return None
    p = c.sum(axis=0) / m.sum()
    numerator = (c * (m[:, None] - c) / m[:, None]).sum(axis=0)  # (V,)
    denominator = len(m) * (m.mean() - 1) * p * (1 - p)  # (V,)
    return numerator, denominator


def fleiss_kappa(counts: np.ndarray) -> float | None:
    """Fleiss' kappa from (items x labels) counts; unequal raters per item per Fleiss, Levin & Paik (2003).

    >>> round(fleiss_kappa([[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0],
    ...     [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0],
    ...     [0, 2, 2, 3, 7]]), 3)
    0.21
    """
    terms = _fleiss_terms(counts)
    if terms is None or terms[1].sum() <= 0:
        return None
    return float(1 - terms[0].sum() / terms[1].sum())


def fleiss_kappa_per_label(counts: np.ndarray) -> list[float | None]:
    """Category-wise kappa (Fleiss 1971, eq. 11): None for a label nobody or everybody used."""
    terms = _fleiss_terms(counts)
    if terms is None:
        return [None] * np.shape(counts)[1]
    return [None if d <= 0 else float(1 - n / d) for n, d in zip(terms[0], terms[1], strict=True)]


def _distances(level: str, n_v: np.ndarray, values: np.ndarray | None) -> np.ndarray:
    """(V x V) squared difference function delta^2 of Krippendorff (2011)."""
    v = len(n_v)
    if level == "nominal":
        return 1.0 - np.eye(v)
    if level == "ordinal":
        # delta_ck = (sum_{g=c..k} n_g - (n_c + n_k) / 2)^2, from the cumulative sums of the margins.
        cs = np.cumsum(n_v)
        lo, hi = np.minimum.outer(np.arange(v), np.arange(v)), np.maximum.outer(np.arange(v), np.arange(v))
        between = cs[hi] - cs[lo] + n_v[lo]
        return (between - (n_v[:, None] + n_v[None, :]) / 2) ** 2
    x = np.arange(v, dtype=np.float64) if values is None else np.asarray(values, dtype=np.float64)
    if len(x) != v:
        raise ValueError(f"values has {len(x)} entries for {v} labels")
    diff = np.subtract.outer(x, x)
    if level == "interval":
        return diff**2
    total = np.add.outer(x, x)
    return np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2


def coincidences(counts: np.ndarray) -> np.ndarray:
    """(V x V) coincidence matrix o_ck = sum_u (n_uc n_uk - [c=k] n_uc) / (m_u - 1) over units with m_u >= 2."""
    c, m = _pairable(counts)
    weighted = c / (m - 1)[:, None]
    o = weighted.T @ c
    o[np.diag_indices_from(o)] -= weighted.sum(axis=0)
    return o


def krippendorff_alpha(counts: np.ndarray, *, level: str = "nominal", values: Sequence[float] | None = None) -> float | None:
    """Krippendorff's alpha from (units x values) counts, missing values simply absent from the counts.

    ``level``: nominal, ordinal, interval or ratio. Columns are the values in their order; ``values``
    gives their numbers for interval (default 0..V-1) and ratio (required: ratios depend on the origin).
    None when no unit has two values or all pairable values are equal (no variation).

    >>> round(krippendorff_alpha([[1, 1], [0, 2], [1, 1], [2, 0], [2, 0], [1, 1], [2, 0], [2, 0], [1, 1], [2, 0]]), 3)
    0.095
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    if level == "ratio" and values is None:
        raise ValueError("ratio alpha needs the numeric values of the labels")
    o = coincidences(counts)
    n_v = o.sum(axis=1)
    n = n_v.sum()
    if n < 2:
        return None
    delta = _distances(level, n_v, None if values is None else np.asarray(values, dtype=np.float64))
    expected = (np.outer(n_v, n_v) * delta).sum()
    if expected <= 0:
        return None
    return float(1 - (n - 1) * (o * delta).sum() / expected)


def _weight_matrix(v: int, weights: str | None) -> np.ndarray:
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}")
    grid = np.subtract.outer(np.arange(v), np.arange(v)).astype(np.float64)
    if weights is None:
        return (grid != 0).astype(np.float64)
    return np.abs(grid) if weights == "linear" else grid**2


def cohen_kappa(y1: Sequence[str], y2: Sequence[str], *, labels: Sequence[str], weights: str | None = None) -> float | None:
    """Cohen's kappa of two aligned label sequences (scikit-learn), None where undefined."""
    if len(y1) == 0:
        return None
    # Imported here: the report path does not need scikit-learn, and the web process then starts
    # without loading it (seconds of CPU per gunicorn worker).
    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import cohen_kappa_score

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # undefined is answered with None
        value = cohen_kappa_score(list(y1), list(y2), labels=list(labels), weights=weights, replace_undefined_by=np.nan)
    return None if np.isnan(value) else float(value)


def _pairs(table: RatingTable) -> tuple[np.ndarray, np.ndarray]:
    """Indices (ia, ib) of every pair of ratings of the same item, rater[ia] < rater[ib]."""
    m = np.bincount(table.item, minlength=len(table.items))
    starts = np.concatenate(([0], np.cumsum(m)[:-1]))
    ia, ib = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for size in np.unique(m[m >= 2]):
        # Items of one size form an (items x size) block of rating indices; triu gives the pairs.
        block = starts[m == size][:, None] + np.arange(size)
        upper_a, upper_b = np.triu_indices(size, 1)
        ia.append(block[:, upper_a].ravel())
        ib.append(block[:, upper_b].ravel())
    return np.concatenate(ia), np.concatenate(ib)


def pairwise_cohen_kappa(table: RatingTable, *, weights: str | None = None) -> list[dict]:
    """Cohen's kappa for every pair of raters sharing at least one item, over the items they share.

    Rows ``{"a", "b", "kappa", "n"}`` (rater keys, kappa None where undefined), most shared items first.
    Same formula as ``cohen_kappa_score``: ``1 - sum(w * O) / sum(w * E)``, E from the pair's marginals."""
    ia, ib = _pairs(table)
    if not len(ia):
        return []
    v = len(table.labels)
    r = len(table.raters)
    pair_key = table.rater[ia] * r + table.rater[ib]
    if r * r <= 1 << 22:
        # Few raters: index the dense r x r grid, then compact (a sort of 2M keys costs ~0.2 s more).
        dense = np.bincount(pair_key, minlength=r * r)
        keys = np.flatnonzero(dense)
        slot = np.zeros(r * r, np.int64)
        slot[keys] = np.arange(len(keys))
        pair = slot[pair_key]
    else:
        keys, pair = np.unique(pair_key, return_inverse=True)
    p = len(keys)
    la, lb = table.label[ia], table.label[ib]
    w = _weight_matrix(v, weights)
    n = np.bincount(pair, minlength=p).astype(np.float64)
    observed = np.bincount(pair, weights=w[la, lb], minlength=p)
    rows_a = np.bincount(pair * v + la, minlength=p * v).reshape(p, v).astype(np.float64)
    rows_b = np.bincount(pair * v + lb, minlength=p * v).reshape(p, v).astype(np.float64)
    # sum(w * E) * n is an integer sum, so comparing it with 0 is exact, as in scikit-learn.
    expected_n = ((rows_a @ w) * rows_b).sum(axis=1)
    defined = expected_n > 0
    kappa = np.full(p, np.nan)
    kappa[defined] = 1 - observed[defined] * n[defined] / expected_n[defined]
    a, b = np.divmod(keys, r)
    order = np.lexsort((b, a, -n))
    return [
        {
            "a": table.raters[a[i]],
            "b": table.raters[b[i]],
            "kappa": float(kappa[i]) if defined[i] else None,
            "n": int(n[i]),
        }
        for i in order
    ]


def agreement_with_others(table: RatingTable) -> dict[Hashable, tuple[float | None, int]]:
    """Per rater: (mean share of the OTHER raters' votes on an item that equal theirs, items compared).

    A leave-one-out figure: the rater's own vote never counts for them. Items only they rated are not
    compared; a rater with none gets (None, 0)."""
    counts = table.counts
    m = counts.sum(axis=1)[table.item]
    same = counts[table.item, table.label] - 1
    compared = m >= 2
    share = np.divide(same, m - 1, out=np.zeros(len(m)), where=compared)
    r = len(table.raters)
    n = np.bincount(table.rater[compared], minlength=r)
    total = np.bincount(table.rater[compared], weights=share[compared], minlength=r)
    return {key: (float(total[i] / n[i]) if n[i] else None, int(n[i])) for i, key in enumerate(table.raters)}


def agreement_with_reference(table: RatingTable, reference: Mapping[Hashable, str], *, min_votes: int = 2) -> dict[Hashable, tuple[float | None, int]]:
    """Per rater: (share of their items whose reference label, e.g. the consolidated one, equals theirs,
    items compared). Only items with at least ``min_votes`` votes and a reference label are compared."""
    index = {label: i for i, label in enumerate(table.labels)}
    ref = np.fromiter((index.get(reference.get(key), -1) for key in table.items), np.int64, len(table.items))
    m = table.counts.sum(axis=1)
    compared = (ref[table.item] >= 0) & (m[table.item] >= min_votes)
    r = len(table.raters)
    n = np.bincount(table.rater[compared], minlength=r)
    hits = np.bincount(table.rater[compared & (ref[table.item] == table.label)], minlength=r)
    return {key: (float(hits[i] / n[i]) if n[i] else None, int(n[i])) for i, key in enumerate(table.raters)}


class NonNumericLabels(ValueError):
    """Ratio alpha was asked of labels that are not all numbers (``labels`` names the offenders)."""

    def __init__(self, labels: Sequence[str]):
        self.labels = list(labels)
        shown = ", ".join(repr(label) for label in self.labels[:5]) + (", ..." if len(self.labels) > 5 else "")
        super().__init__(f"ratio alpha needs numeric labels; not numeric: {shown}")


def label_values(labels: Sequence[str], level: str) -> list[float] | None:
    """The scale values of ``labels`` at ``level``: None for nominal, ordinal and interval (the labels'
    order is the scale: positions 0..V-1), the labels read as finite numbers for ratio (a ratio needs a
    true zero, which positions do not have). NonNumericLabels when some label is not a finite number."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    if level != "ratio":
        return None
    values, bad = [], []
    for label in labels:
        try:
            value = float(label)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value):
            bad.append(label)
        values.append(value)
    if bad:
        raise NonNumericLabels(bad)
    return values


def table_report(table: RatingTable, *, level: str = "nominal", weights: str | None = None) -> dict:
    """``agreement_report`` of an encoded table (lets a caller encode once and reuse the table)."""
    values = label_values(table.labels, level)  # first: a bad level or non-numeric labels cost nothing
    _weight_matrix(len(table.labels), weights)  # validates weights even when no pair shares an item
    counts = table.counts
    m = counts.sum(axis=1)
    per_fleiss = fleiss_kappa_per_label(counts)
    total = int(m.sum())
    per_label = {}
    for j, label in enumerate(table.labels):
        # Label-vs-rest alpha: how reliably annotators tell this label from the others.
        binary = np.stack([counts[:, j], m - counts[:, j]], axis=1)
        per_label[label] = {
            "ratings": int(counts[:, j].sum()),
            "share": float(counts[:, j].sum() / total) if total else None,
            "fleiss_kappa": per_fleiss[j],
            "krippendorff_alpha": krippendorff_alpha(binary),
        }
    return {
        "items_compared": int((m >= 2).sum()),
        "ratings": total,
        "annotator_count": len(table.raters),
        "percent_agreement": percent_agreement(counts),
        "fleiss_kappa": fleiss_kappa(counts),
        "krippendorff_alpha": krippendorff_alpha(counts, level=level, values=values),
        "krippendorff_level": level,
        "cohen_kappa": pairwise_cohen_kappa(table, weights=weights),
        "cohen_kappa_weights": weights or "none",
        "per_label": per_label,
    }


def agreement_report(
    votes: Iterable[tuple[Hashable, Hashable, str]],
    labels: Sequence[str],
    *,
    level: str = "nominal",
    weights: str | None = None,
) -> dict:
    """All agreement figures for a project's votes (INTERFACES.md), None wherever undefined.

    ``{"items_compared", "ratings", "annotator_count", "percent_agreement", "fleiss_kappa", "krippendorff_alpha",
    "krippendorff_level", "cohen_kappa": [{"a", "b", "kappa", "n"}], "cohen_kappa_weights", "per_label":
    {label: {"ratings", "share", "fleiss_kappa", "krippendorff_alpha"}}}``.

    ``level`` is the level of measurement of ``krippendorff_alpha`` only (``label_values``: ordinal and
    interval place the labels at 0..V-1 in their order, labels outside ``labels`` after them; ratio
    needs numeric labels, else NonNumericLabels). ``weights`` (None, "linear", "quadratic") weighs the
    pairwise Cohen kappas by the distance between label positions; echoed as ``cohen_kappa_weights``
    ("none" for None). Fleiss' kappa, percent agreement and the per-label figures are nominal always."""
    return table_report(rating_table(votes, labels), level=level, weights=weights)
