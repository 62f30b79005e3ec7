"""Majority vote: most votes win, ties go to the project's label order, confidence is the vote share."""

from __future__ import annotations

import pytest

from annotation.consolidation import Consensus, consolidate, majority_vote


def test_it_picks_the_label_with_most_votes():
    votes = [("a", "u1", "pos"), ("a", "u2", "neg"), ("a", "u3", "neg")]
    assert majority_vote(votes, ["pos", "neg"])["a"] == Consensus(label="neg", confidence=pytest.approx(2 / 3), votes=3)


def test_it_breaks_a_tie_by_the_project_label_order():
    votes = [("a", "u1", "neg"), ("a", "u2", "pos")]
    assert majority_vote(votes, ["pos", "neg"])["a"].label == "pos"
    assert majority_vote(votes, ["neg", "pos"])["a"].label == "neg"


def test_it_breaks_a_three_way_tie_by_label_order_not_vote_order():
    votes = [(1, "u1", "c"), (1, "u2", "b"), (1, "u3", "a"), (1, "u4", "d"), (1, "u5", "d")]
    # d leads; without u5 the first three are tied and the label order decides.
    assert majority_vote(votes, ["a", "b", "c", "d"])[1].label == "d"
    assert majority_vote(votes[:3], ["c", "b", "a", "d"])[1] == Consensus("c", pytest.approx(1 / 3), 3)


def test_it_reports_the_share_of_votes_as_confidence_and_no_posterior():
    result = majority_vote([(1, "u1", "x"), (2, "u1", "x"), (2, "u2", "x"), (2, "u3", "y"), (2, "u4", "x")], ["x", "y"])
    assert result[1] == Consensus("x", 1.0, 1)
    assert result[2].confidence == pytest.approx(0.75)
    assert result[2].posterior is None


def test_it_returns_nothing_for_no_votes():
    assert majority_vote([], ["x"]) == {}


def test_it_rejects_a_label_outside_the_project_labels():
    with pytest.raises(ValueError, match="'maybe'"):
        majority_vote([(1, "u1", "yes"), (1, "u2", "maybe")], ["yes", "no"])


def test_it_rejects_repeated_labels():
    with pytest.raises(ValueError, match="distinct"):
        majority_vote([], ["yes", "yes"])


def test_consolidate_dispatches_by_method():
    votes = [(1, "u1", "x"), (1, "u2", "y"), (2, "u1", "y"), (2, "u2", "y")]
    assert consolidate(votes, ["x", "y"]) == majority_vote(votes, ["x", "y"])
    assert consolidate(iter(votes), ["x", "y"], "dawid_skene")[2].posterior is not None
    with pytest.raises(ValueError, match="unknown consolidation method"):
        consolidate(votes, ["x", "y"], "median")


def test_it_rejects_a_vote_that_is_not_a_triple():
    with pytest.raises(ValueError, match="item_key, annotator_key, label"):
        majority_vote([(1, "u1", "yes"), (2, "yes")], ["yes", "no"])


def test_its_docstring_example_holds():
    import doctest

    import annotation.consolidation

    assert doctest.testmod(annotation.consolidation).failed == 0
