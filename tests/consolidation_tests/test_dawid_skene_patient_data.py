"""Dawid–Skene reproduces the published estimates on the paper's own patient data (Dawid & Skene 1979)."""

from __future__ import annotations

import numpy as np
import pytest

from annotation.consolidation import dawid_skene
from tests.consolidation_tests import patient_data as paper


@pytest.fixture(scope="module", params=[0.0, 0.01], ids=["plain-ML", "default-smoothing"])
def smoothing(request):
    return request.param


@pytest.fixture(scope="module")
def result(smoothing):
    return dawid_skene(paper.votes(), paper.LABELS, smoothing=smoothing)


def test_it_estimates_the_published_class_probabilities(result):
    assert result.priors == pytest.approx(paper.PRIORS, abs=0.005)


def test_it_assigns_every_patient_the_published_class(result):
    assert [int(result.consensus[p].label) for p in range(1, 46)] == paper.CLASSES


def test_it_reproduces_the_published_uncertain_patients(result):
    for patient, published in paper.UNCERTAIN.items():
        posterior = result.consensus[patient].posterior
        for label, probability in published.items():
            assert posterior[label] == pytest.approx(probability, abs=0.006), (patient, label)


def test_it_reproduces_the_published_error_rates(result, smoothing):
    # Plain ML matches the printed two decimals; the default pseudo-count (0.01 per cell) moves the rare
    # classes' rows (class 4 has three patients) by up to 0.01.
    atol = 0.006 if smoothing == 0 else 0.011
    np.testing.assert_allclose(result.confusion["clinician 1"], paper.CLINICIAN_1, atol=atol)
    np.testing.assert_allclose(result.confusion["clinician 3"], paper.CLINICIAN_3, atol=atol)


def test_it_counts_clinician_ones_three_ratings_as_votes(result):
    assert {c.votes for c in result.consensus.values()} == {7}


def test_it_converges_on_the_patient_data(result):
    assert result.converged
    assert result.iterations < 100
