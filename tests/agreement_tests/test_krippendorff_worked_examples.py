"""Krippendorff's alpha reproduces the values printed in Krippendorff, K. (2011), "Computing
Krippendorff's Alpha-Reliability" (Annenberg School for Communication, Univ. of Pennsylvania,
https://repository.upenn.edu/asc_papers/43), to the three decimals printed there."""
from __future__ import annotations

import pytest

from annotation.agreement import coincidences, krippendorff_alpha, rating_table
from tests.agreement_tests.worked_examples import (
    BINARY_TWO_OBSERVERS,
    FOUR_OBSERVERS_ALPHA,
    FOUR_OBSERVERS_MISSING,
    NOMINAL_TWO_OBSERVERS,
    votes_from_matrix,
)

VALUES = ["1", "2", "3", "4", "5"]


def test_it_reproduces_the_binary_two_observer_example():
    """Section A: 10 units, two observers; coincidences o00=10, o01=o10=4, o11=2; alpha = 0.095."""
    table = rating_table(votes_from_matrix(BINARY_TWO_OBSERVERS), ["0", "1"])
    assert coincidences(table.counts).tolist() == [[10, 4], [4, 2]]
    assert round(krippendorff_alpha(table.counts), 3) == 0.095


def test_it_reproduces_the_nominal_two_observer_example():
    """Section B: Ben and Gerry, 12 units, values a..e; alpha = 0.692."""
    votes = [(unit, name, v) for name, row in NOMINAL_TWO_OBSERVERS.items() for unit, v in enumerate(row)]
    table = rating_table(votes, list("abcde"))
    assert round(krippendorff_alpha(table.counts), 3) == 0.692


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_it_reproduces_the_four_observer_example_with_missing_data(level):
    """Sections C-F: 4 observers x 12 units with missing values (unit 12 has one value and is not
    pairable); nominal 0.743, ordinal 0.815, interval 0.849, ratio 0.797."""
    table = rating_table(votes_from_matrix(FOUR_OBSERVERS_MISSING), VALUES)
    alpha = krippendorff_alpha(table.counts, level=level, values=[1, 2, 3, 4, 5])
    assert round(alpha, 3) == FOUR_OBSERVERS_ALPHA[level]


def test_only_pairable_values_enter_the_coincidences():
    """Section C: units 1..11 hold 3+4+4+4+4+4+4+4+4+3+2 = 40 pairable values; unit 12's lone value is
    not pairable, so n = 40 and the matrix is symmetric."""
    table = rating_table(votes_from_matrix(FOUR_OBSERVERS_MISSING), VALUES)
    o = coincidences(table.counts)
    assert o.sum() == pytest.approx(40)
    assert (o == o.T).all()


def test_ratio_alpha_needs_numeric_values():
    table = rating_table(votes_from_matrix(FOUR_OBSERVERS_MISSING), VALUES)
    with pytest.raises(ValueError, match="ratio"):
        krippendorff_alpha(table.counts, level="ratio")
