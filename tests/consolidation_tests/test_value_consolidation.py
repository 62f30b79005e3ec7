"""Consolidation of label sets and spans: strict majorities, the documented ties, per-label Dawid–Skene
(the existing binary EM per label), confidence, and consolidated spans that do not overlap."""
from __future__ import annotations

import doctest
import itertools

import pytest

import annotation.value_consolidation
from annotation.consolidation import dawid_skene
from annotation.value_consolidation import consolidate_label_sets, consolidate_spans

LABELS = ["sports", "politics", "business"]


def test_a_label_chosen_by_more_than_half_is_kept():
    found = consolidate_label_sets(
        [(1, "a", ["sports", "business"]), (1, "b", ["business"]), (1, "c", ["sports", "politics"])], LABELS
    )[1]
    assert found.labels == ["sports", "business"]  # 2 of 3 each; politics 1 of 3
    assert found.votes == 3
    assert found.per_label == pytest.approx({"sports": 2 / 3, "politics": 1 / 3, "business": 2 / 3})
    assert found.confidence == pytest.approx(2 / 3)


def test_a_label_chosen_by_exactly_half_is_not_kept():
    found = consolidate_label_sets(
        [(1, "a", ["sports"]), (1, "b", ["sports", "politics"]), (1, "c", ["politics"]), (1, "d", ["sports"])],
        LABELS,
    )[1]
    assert found.labels == ["sports"]  # sports 3 of 4; politics 2 of 4: a tie, not kept
    assert found.confidence == pytest.approx(0.5)


def test_none_of_these_is_an_answer_that_wins_like_any_other():
    found = consolidate_label_sets([(1, "a", []), (1, "b", []), (1, "c", ["sports"])], LABELS)[1]
    assert found.labels == [] and found.confidence == pytest.approx(2 / 3)


def test_the_latest_vote_of_an_annotator_counts():
    found = consolidate_label_sets([(1, "a", ["sports"]), (1, "a", ["politics"])], LABELS)[1]
    assert found.labels == ["politics"] and found.votes == 1


def test_per_label_dawid_skene_is_the_binary_em_of_each_label():
    votes = [
        (item, annotator, chosen)
        for item, row in enumerate([
            {"a": ["sports"], "b": ["sports"], "c": ["politics"]},
            {"a": ["politics"], "b": ["politics", "business"], "c": ["politics"]},
            {"a": ["business"], "b": ["business"], "c": []},
            {"a": ["sports", "business"], "b": ["sports"], "c": ["sports"]},
            {"a": [], "b": ["business"], "c": ["politics"]},
        ])
        for annotator, chosen in row.items()
    ]
    found = consolidate_label_sets(votes, LABELS, "dawid_skene")
    for label in LABELS:
        binary = [(i, a, "yes" if label in c else "no") for i, a, c in votes]
        expected = dawid_skene(binary, ("no", "yes")).consensus
        for item in range(5):
            assert found[item].per_label[label] == pytest.approx(expected[item].posterior["yes"])
            assert (label in found[item].labels) == (expected[item].label == "yes")


def test_dawid_skene_follows_the_reliable_annotators():
    """a and b always agree with each other; c says the opposite on every item. On the last item c and
    a third-party d outvote b alone (2 to 1): majority keeps d and c's label, Dawid–Skene trusts b,
    whose record is perfect, over c, whose record is always wrong."""
    votes = []
    for item in range(8):
        chosen = ["sports"] if item % 2 else []
        votes += [(item, "a", chosen), (item, "b", chosen), (item, "c", [] if chosen else ["sports"])]
    votes += [(8, "b", []), (8, "c", ["sports"]), (8, "d", ["sports"])]
    assert consolidate_label_sets(votes, LABELS)[8].labels == ["sports"]
    assert consolidate_label_sets(votes, LABELS, "dawid_skene")[8].labels == []


def test_an_unknown_label_or_method_is_an_error():
    with pytest.raises(ValueError, match="weather"):
        consolidate_label_sets([(1, "a", ["weather"])], LABELS)
    with pytest.raises(ValueError, match="unknown consolidation method"):
        consolidate_label_sets([], LABELS, "median")
    with pytest.raises(ValueError, match="FOOD"):
        consolidate_spans([(1, "a", [(0, 3, "FOOD")])], ["PER"])


PER, LOC = (0, 12, "PER"), (21, 34, "LOC")


def test_a_span_marked_by_more_than_half_is_kept_exactly():
    found = consolidate_spans(
        [(1, "a", [PER, LOC]), (1, "b", [PER, (21, 29, "LOC")]), (1, "c", [{"start": 0, "end": 12, "label": "PER"}])],
        ["PER", "LOC"],
    )[1]
    # PER 3 of 3; LOC 1 of 3 and its shorter variant 1 of 3: neither kept (matching is exact).
    assert found.spans == [{"start": 0, "end": 12, "label": "PER"}]
    assert found.support == pytest.approx({PER: 1.0, LOC: 1 / 3, (21, 29, "LOC"): 1 / 3})
    assert found.confidence == pytest.approx(2 / 3)


def test_a_span_marked_by_exactly_half_is_not_kept():
    two = consolidate_spans([(1, "a", [PER]), (1, "b", [])], ["PER"])[1]
    assert two.spans == [] and two.confidence == 0.5
    four = consolidate_spans([(1, "a", [PER]), (1, "b", [PER]), (1, "c", []), (1, "d", [(0, 6, "PER")])], ["PER"])[1]
    assert four.spans == []  # PER 2 of 4: a tie


def test_an_item_nobody_marked_has_no_span_and_full_confidence():
    found = consolidate_spans([(1, "a", []), (1, "b", [])], ["PER"])[1]
    assert found.spans == [] and found.confidence == 1.0 and found.votes == 2


def test_majority_spans_do_not_overlap_when_no_annotator_overlaps():
    """Every combination of three annotators each marking non-overlapping spans from a small pool."""
    pool = [(0, 4, "X"), (2, 6, "X"), (5, 9, "X"), (0, 9, "X"), (7, 9, "X")]
    choices = [c for r in range(3) for c in itertools.combinations(pool, r)
               if all(a[1] <= b[0] for a, b in itertools.pairwise(sorted(c)))]
    for trio in itertools.product(choices, repeat=3):
        kept = consolidate_spans([(1, n, spans) for n, spans in enumerate(trio)], ["X"])[1].spans
        for a, b in itertools.pairwise(kept):
            assert a["end"] <= b["start"], trio


def test_span_dawid_skene_keeps_a_reliable_annotators_span_over_an_unreliable_pair():
    """a marks the true spans; b and c add a false span to every item. On the last item b and c also
    both mark a span a did not: majority keeps it, Dawid–Skene does not."""
    votes = []
    for item in range(10):
        true = [(0, 4, "PER")]
        votes += [(item, "a", true), (item, "b", true + [(6, 9, "PER")] if item % 2 else true),
                  (item, "c", true + [(6, 9, "PER")] if item % 2 == 0 else true)]
    votes += [(10, "a", []), (10, "b", [(6, 9, "PER")]), (10, "c", [(6, 9, "PER")])]
    assert consolidate_spans(votes, ["PER"])[10].spans == [{"start": 6, "end": 9, "label": "PER"}]
    found = consolidate_spans(votes, ["PER"], "dawid_skene")
    assert found[10].spans == [] and found[0].spans == [{"start": 0, "end": 4, "label": "PER"}]


def test_the_docstring_examples_hold():
    result = doctest.testmod(annotation.value_consolidation)
    assert result.attempted >= 3 and result.failed == 0
