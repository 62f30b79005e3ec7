"""Dawid–Skene EM behaves as EM must: proper posteriors, a non-decreasing objective, a real stopping rule."""

from __future__ import annotations

import numpy as np
import pytest

from annotation.consolidation import dawid_skene, majority_vote
from tests.consolidation_tests import patient_data as paper
from tests.consolidation_tests.crowd import generate_crowd


@pytest.fixture(scope="module")
def crowd():
    return generate_crowd(items=600, labels=4, good=12, spammers=6, votes_per_item=5, seed=7)


def test_it_gives_posteriors_that_sum_to_one(crowd):
    result = dawid_skene(crowd.votes, crowd.labels)
    for consensus in result.consensus.values():
        assert sum(consensus.posterior.values()) == pytest.approx(1.0)
        assert consensus.confidence == max(consensus.posterior.values())
        assert consensus.posterior[consensus.label] == consensus.confidence


def test_it_gives_confusion_rows_and_priors_that_sum_to_one(crowd):
    result = dawid_skene(crowd.votes, crowd.labels)
    assert result.priors.sum() == pytest.approx(1.0)
    for matrix in result.confusion.values():
        np.testing.assert_allclose(matrix.sum(axis=1), 1.0)


def test_its_objective_never_decreases_across_iterations(crowd):
    result = dawid_skene(crowd.votes, crowd.labels, tol=1e-12, max_iter=500)
    steps = np.diff(result.history)
    assert len(steps) > 5
    assert (steps >= -1e-9 * abs(result.history[-1])).all(), steps.min()


def test_it_converges_to_a_tolerance_not_a_round_count(crowd):
    loose = dawid_skene(crowd.votes, crowd.labels, tol=1e-3)
    tight = dawid_skene(crowd.votes, crowd.labels, tol=1e-10)
    assert loose.converged and tight.converged
    assert tight.iterations > loose.iterations
    assert abs(tight.history[-1] - tight.history[-2]) < 1e-10 * len(crowd.votes)


def test_it_reports_not_converged_when_max_iter_stops_it(crowd):
    result = dawid_skene(crowd.votes, crowd.labels, tol=1e-12, max_iter=3)
    assert result.iterations == 3
    assert not result.converged


def test_it_beats_majority_vote_on_a_crowd_with_spammers(crowd):
    ds = dawid_skene(crowd.votes, crowd.labels).consensus
    mv = majority_vote(crowd.votes, crowd.labels)
    ds_accuracy = np.mean([ds[i].label == t for i, t in crowd.truth.items()])
    mv_accuracy = np.mean([mv[i].label == t for i, t in crowd.truth.items()])
    assert ds_accuracy >= mv_accuracy + 0.05, (ds_accuracy, mv_accuracy)


def test_it_finds_the_spammers_in_their_confusion_matrices(crowd):
    confusion = dawid_skene(crowd.votes, crowd.labels).confusion
    diagonal = {a: float(np.mean(np.diag(m))) for a, m in confusion.items()}
    spam = [diagonal[a] for a in crowd.spammers]
    good = [diagonal[a] for a in crowd.annotators if a not in crowd.spammers]
    assert max(spam) < min(good)


def test_it_accepts_any_hashable_keys_and_keeps_them():
    votes = [((1, "x"), ("source", "gold"), "a"), ((1, "x"), "user:3", "a"), (2, "user:3", "b")]
    result = dawid_skene(votes, ["a", "b"])
    assert set(result.consensus) == {(1, "x"), 2}
    assert set(result.confusion) == {("source", "gold"), "user:3"}


def test_it_returns_an_empty_result_for_no_votes():
    result = dawid_skene([], ["a", "b"])
    assert result.consensus == {} and result.converged and result.iterations == 0


def test_it_rejects_a_nonsense_tolerance():
    with pytest.raises(ValueError):
        dawid_skene(paper.votes(), paper.LABELS, tol=0)
