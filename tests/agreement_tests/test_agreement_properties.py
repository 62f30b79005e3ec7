"""Property tests: on random inputs our figures equal the reference implementations (scikit-learn's
cohen_kappa_score, statsmodels' fleiss_kappa, the krippendorff package), and undefined cases agree
(their NaN is our None)."""
from __future__ import annotations

import math
import warnings

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

from annotation.agreement import (
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    percent_agreement,
    rating_table,
)

PROPERTY = settings(max_examples=100, deadline=None)


@st.composite
def sparse_votes(draw, max_raters=5, max_items=25, max_labels=4):
    """Votes where each rater rated a random subset of items (missing values)."""
    n_labels = draw(st.integers(2, max_labels))
    n_raters = draw(st.integers(2, max_raters))
    n_items = draw(st.integers(1, max_items))
    cells = draw(
        st.lists(
            st.tuples(st.integers(0, n_items - 1), st.integers(0, n_raters - 1), st.integers(0, n_labels - 1)),
            min_size=1,
            max_size=n_items * n_raters,
            unique_by=lambda c: (c[0], c[1]),
        )
    )
    labels = [f"L{j}" for j in range(n_labels)]
    return [(item, f"r{rater}", labels[label]) for item, rater, label in cells], labels


def _reference_or_none(value: float) -> float | None:
    return None if math.isnan(value) else value


@PROPERTY
@given(sparse_votes(), st.sampled_from([None, "linear", "quadratic"]))
def test_pairwise_kappa_equals_scikit_learn(data, weights):
    votes, labels = data
    table = rating_table(votes, labels)
    by_rater: dict = {}
    for item, rater, label in votes:
        by_rater.setdefault(rater, {})[item] = label
    for row in pairwise_cohen_kappa(table, weights=weights):
        shared = sorted(set(by_rater[row["a"]]) & set(by_rater[row["b"]]))
        assert row["n"] == len(shared) > 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = cohen_kappa_score(
                [by_rater[row["a"]][i] for i in shared],
                [by_rater[row["b"]][i] for i in shared],
                labels=labels,
                weights=weights,
            )
        if math.isnan(expected):
            assert row["kappa"] is None
        else:
            assert row["kappa"] == pytest.approx(expected, abs=1e-9)


@PROPERTY
@given(
    st.integers(2, 8).flatmap(
        lambda m: st.lists(
            st.lists(st.integers(0, m), min_size=2, max_size=5).filter(lambda r: sum(r) <= m), min_size=1, max_size=20
        ).map(lambda rows: (m, rows))
    )
)
def test_fleiss_kappa_equals_statsmodels_with_a_constant_number_of_raters(data):
    m, rows = data
    width = max(len(r) for r in rows)
    # Complete every row to exactly m ratings (statsmodels assumes a constant number of raters).
    table = np.array([r + [0] * (width - len(r)) for r in rows])
    table[:, -1] += m - table.sum(axis=1)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _reference_or_none(statsmodels_fleiss_kappa(table, method="fleiss"))
    ours = fleiss_kappa(table)
    assert (ours is None) == (expected is None)
    if ours is not None:
        assert ours == pytest.approx(expected, abs=1e-9)


@PROPERTY
@given(sparse_votes(max_raters=6, max_items=30, max_labels=5), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_krippendorff_alpha_equals_the_krippendorff_package(data, level):
    votes, labels = data
    table = rating_table(votes, labels)
    values = [j + 1 for j in range(len(labels))]  # ratio needs a true zero: codes 1..V
    matrix = np.full((len(table.raters), len(table.items)), np.nan)
    matrix[table.rater, table.item] = table.label + 1
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = _reference_or_none(
                krippendorff.alpha(reliability_data=matrix, value_domain=values, level_of_measurement=level)
            )
        except (ValueError, ZeroDivisionError):
            expected = None  # the package refuses data with fewer than two values or no pairable unit
    ours = krippendorff_alpha(table.counts, level=level, values=values)
    if expected is None:
        assert ours is None
    else:
        assert ours == pytest.approx(expected, abs=1e-9)


@PROPERTY
@given(sparse_votes(max_raters=2))
def test_percent_agreement_of_two_raters_is_the_share_of_shared_items_they_agree_on(data):
    votes, labels = data
    by_rater: dict = {}
    for item, rater, label in votes:
        by_rater.setdefault(rater, {})[item] = label
    raters = list(by_rater.values())
    shared = set(raters[0]) & set(raters[1]) if len(raters) == 2 else set()
    ours = percent_agreement(rating_table(votes, labels).counts)
    if not shared:
        assert ours is None
    else:
        assert ours == pytest.approx(sum(raters[0][i] == raters[1][i] for i in shared) / len(shared))


@PROPERTY
@given(sparse_votes())
def test_agreement_never_exceeds_one_and_is_one_only_when_every_pair_agrees(data):
    votes, labels = data
    counts = rating_table(votes, labels).counts
    pairable = counts[counts.sum(axis=1) >= 2]
    unanimous = bool(len(pairable)) and ((pairable > 0).sum(axis=1) == 1).all()
    for value in (fleiss_kappa(counts), krippendorff_alpha(counts)):
        assert value is None or value <= 1.0 + 1e-9
        if value is not None:
            assert (value == pytest.approx(1.0)) == unanimous
