"""Fleiss' kappa reproduces Fleiss (1971) and Wikipedia's worked example; unequal numbers of raters
follow Fleiss, Levin & Paik (2003, ch. 18)."""
from __future__ import annotations

import pytest

from annotation.agreement import agreement_report, fleiss_kappa, fleiss_kappa_per_label, percent_agreement
from tests.agreement_tests.worked_examples import (
    FLEISS_CATEGORY_KAPPAS,
    FLEISS_DIAGNOSES,
    FLEISS_DIAGNOSES_LABELS,
    FLEISS_KAPPA,
    WIKIPEDIA_FLEISS_COUNTS,
    votes_from_counts,
    votes_from_subject_rows,
)


def test_it_reproduces_fleiss_1971_overall_and_category_kappas():
    """Fleiss (1971), Table 1 data, Table 2 values: kappa .430; per diagnosis .245 .245 .520 .471 .566."""
    report = agreement_report(votes_from_subject_rows(FLEISS_DIAGNOSES, FLEISS_DIAGNOSES_LABELS), FLEISS_DIAGNOSES_LABELS)
    assert round(report["fleiss_kappa"], 3) == FLEISS_KAPPA
    per_label = [round(report["per_label"][label]["fleiss_kappa"], 3) for label in FLEISS_DIAGNOSES_LABELS]
    assert per_label == FLEISS_CATEGORY_KAPPAS
    assert report["items_compared"] == 30


def test_it_reproduces_the_wikipedia_worked_example():
    """Wikipedia "Fleiss' kappa": 10 subjects x 14 raters; P-bar = 0.378, kappa = 0.210."""
    assert round(fleiss_kappa(WIKIPEDIA_FLEISS_COUNTS), 3) == 0.210
    assert round(percent_agreement(WIKIPEDIA_FLEISS_COUNTS), 3) == 0.378


def test_the_overall_kappa_is_the_pq_weighted_mean_of_the_category_kappas():
    """Fleiss (1971): kappa = sum_j p_j q_j kappa_j / sum_j p_j q_j."""
    import numpy as np

    counts = np.array(WIKIPEDIA_FLEISS_COUNTS)
    p = counts.sum(axis=0) / counts.sum()
    weights = p * (1 - p)
    assert np.dot(weights, fleiss_kappa_per_label(counts)) / weights.sum() == pytest.approx(fleiss_kappa(counts))


def test_it_handles_unequal_numbers_of_raters_per_item():
    """Four items rated by 2, 2, 3 and 2 raters: m_bar = 2.25, p = (6/9, 3/9); each label's numerator is
    sum x(m - x)/m = 1/2 and its denominator N (m_bar - 1) p q = 4 * 1.25 * 2/9 = 10/9, so
    kappa = 1 - 1 / (20/9) = 0.55 (Fleiss, Levin & Paik 2003)."""
    counts = [[2, 0], [1, 1], [3, 0], [0, 2]]
    assert fleiss_kappa(counts) == pytest.approx(0.55)
    assert fleiss_kappa_per_label(counts) == pytest.approx([0.55, 0.55])


def test_items_with_a_single_rating_do_not_count():
    assert fleiss_kappa([[2, 0], [1, 1], [3, 0], [0, 2], [1, 0], [0, 1]]) == pytest.approx(0.55)


def test_the_counts_of_anonymous_raters_give_the_same_report():
    labels = ["a", "b", "c", "d", "e"]
    report = agreement_report(votes_from_counts(WIKIPEDIA_FLEISS_COUNTS, labels), labels)
    assert round(report["fleiss_kappa"], 3) == 0.210
