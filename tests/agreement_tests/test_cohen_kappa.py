"""Cohen's kappa per annotator pair: a published example, weights, and the single-pair wrapper."""
from __future__ import annotations

import pytest

from annotation.agreement import cohen_kappa, pairwise_cohen_kappa, rating_table


def _two_raters(a, b):
    return [(i, "A", x) for i, x in enumerate(a)] + [(i, "B", y) for i, y in enumerate(b)]


def test_it_reproduces_the_wikipedia_grant_example():
    """Wikipedia "Cohen's kappa": 50 proposals; both yes 20, A yes/B no 5, A no/B yes 10, both no 15;
    p_o = 0.7, p_e = 0.5, kappa = 0.4."""
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b, labels=["yes", "no"]) == pytest.approx(0.4)
    [row] = pairwise_cohen_kappa(rating_table(_two_raters(a, b), ["yes", "no"]))
    assert row == {"a": "A", "b": "B", "kappa": pytest.approx(0.4), "n": 50}


@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_weights_credit_near_misses_on_ordered_labels(weights):
    labels = ["1", "2", "3", "4"]
    a = ["1", "2", "3", "4", "2", "3"]
    b = ["2", "2", "3", "3", "1", "4"]
    table = rating_table(_two_raters(a, b), labels)
    [row] = pairwise_cohen_kappa(table, weights=weights)
    assert row["kappa"] == pytest.approx(cohen_kappa(a, b, labels=labels, weights=weights))
    assert row["kappa"] > cohen_kappa(a, b, labels=labels)


def test_a_pair_that_never_varies_is_undefined():
    """Both always say "yes": p_e = 1, kappa = 0/0, reported as None (not 1)."""
    a = b = ["yes"] * 5
    assert cohen_kappa(a, b, labels=["yes", "no"]) is None
    [row] = pairwise_cohen_kappa(rating_table(_two_raters(a, b), ["yes", "no"]))
    assert row["kappa"] is None and row["n"] == 5


def test_pairs_only_cover_the_items_both_rated():
    votes = [(1, "A", "x"), (1, "B", "x"), (2, "A", "y"), (2, "B", "y"), (3, "A", "x"), (4, "C", "y"), (3, "C", "x")]
    rows = pairwise_cohen_kappa(rating_table(votes, ["x", "y"]))
    assert [(r["a"], r["b"], r["n"]) for r in rows] == [("A", "B", 2), ("A", "C", 1)]
    assert rows[0]["kappa"] == pytest.approx(1.0)
    assert rows[1]["kappa"] is None


def test_no_shared_items_means_no_pairs():
    assert pairwise_cohen_kappa(rating_table([(1, "A", "x"), (2, "B", "y")], ["x", "y"])) == []
    assert cohen_kappa([], [], labels=["x"]) is None
