"""Span agreement: span F1 (exact and overlap) on a hand case, BIO tags per token for spaced and CJK
text, and the token-level figures against the krippendorff package and scikit-learn."""
from __future__ import annotations

import doctest

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

import annotation.span_agreement
from annotation.span_agreement import overlap_matches, span_agreement, span_f1, tag_tokens, token_tags, tokenize

TEXT = "Barack Obama visited New York City yesterday ."


def at(word: str, label: str) -> tuple[int, int, str]:
    start = TEXT.index(word)
    return start, start + len(word), label


# a marks the full name and the city; b only the surname, the same city, and a date a did not mark.
A = [at("Barack Obama", "PER"), at("New York City", "LOC")]
B = [at("Obama", "PER"), at("New York City", "LOC"), at("yesterday", "DATE")]
LABELS = ["PER", "LOC", "DATE"]


def test_span_f1_by_hand_exact_and_overlap():
    """PER: no exact match, one overlap (F1 0 and 2*1/2 = 1); LOC: the same span (1 and 1); DATE: b's
    only (0 and 0). Pooled: exact 2*1/5 = 0.4, overlap 2*2/5 = 0.8."""
    found = span_f1([(1, "a", A), (1, "b", B)], LABELS)
    assert found["per_label"] == {
        "PER": {"exact_f1": 0.0, "overlap_f1": 1.0, "spans": 2},
        "LOC": {"exact_f1": 1.0, "overlap_f1": 1.0, "spans": 2},
        "DATE": {"exact_f1": 0.0, "overlap_f1": 0.0, "spans": 1},
    }
    assert (found["exact_f1"], found["overlap_f1"], found["spans"]) == (pytest.approx(0.4), pytest.approx(0.8), 5)
    assert found["pairs"] == [{"a": "a", "b": "b", "n": 1, "exact_f1": pytest.approx(0.4),
                               "overlap_f1": pytest.approx(0.8), "spans": 5}]


def test_span_f1_is_the_same_either_way_round():
    assert span_f1([(1, "b", B), (1, "a", A)], LABELS)["per_label"] == span_f1([(1, "a", A), (1, "b", B)], LABELS)["per_label"]


def test_overlap_matching_is_one_to_one():
    """A long span over two short ones matches one of them: F1 = 2*1/3, not 1."""
    assert overlap_matches([(0, 10, "X")], [(0, 3, "X"), (5, 8, "X")]) == 1
    assert span_f1([(1, "a", [(0, 10, "X")]), (1, "b", [(0, 3, "X"), (5, 8, "X")])], ["X"])["overlap_f1"] == pytest.approx(2 / 3)
    # The same characters under another label do not match.
    assert overlap_matches([(0, 10, "X")], [(0, 10, "Y")]) == 0


def test_f1_is_undefined_without_spans_and_without_two_annotators():
    nobody = span_f1([(1, "a", []), (1, "b", [])], LABELS)
    assert nobody["exact_f1"] is None and nobody["overlap_f1"] is None and nobody["items_compared"] == 1
    alone = span_f1([(1, "a", A)], LABELS)
    assert alone["exact_f1"] is None and alone["items_compared"] == 0 and alone["pairs"] == []


def test_pooled_f1_sums_over_items_and_pairs():
    """Item 1 as above; item 2: a and b mark nothing, c marks one span; pairs (a, c) and (b, c) share
    only item 2: 0 of 1 span each. Pooled exact: 2*1 / (5 + 1 + 1)."""
    votes = [(1, "a", A), (1, "b", B), (2, "a", []), (2, "b", []), (2, "c", [(0, 6, "PER")])]
    found = span_f1(votes, LABELS)
    assert found["exact_f1"] == pytest.approx(2 / 7)
    assert [(p["a"], p["b"], p["n"]) for p in found["pairs"]] == [("a", "b", 2), ("a", "c", 1), ("b", "c", 1)]
    assert found["pairs"][1]["exact_f1"] == 0.0


def test_tokens_and_tags_of_spaced_text():
    tokens = tokenize(TEXT)
    assert [TEXT[s:e] for s, e in tokens] == TEXT.split()
    assert tag_tokens(tokens, A) == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-LOC", "O", "O"]
    assert tag_tokens(tokens, B) == ["O", "B-PER", "O", "B-LOC", "I-LOC", "I-LOC", "B-DATE", "O"]


def test_tokens_of_cjk_text_are_characters():
    text = "张三在北京工作。"
    assert [text[s:e] for s, e in tokenize(text)] == list(text)
    assert tag_tokens(tokenize(text), [(0, 2, "PER"), (3, 5, "LOC")]) == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "O", "O"]


def test_a_span_inside_a_word_tags_the_word_and_overlaps_keep_the_first_span():
    tokens = tokenize("New York")
    assert tag_tokens(tokens, [(1, 2, "LOC")]) == ["B-LOC", "O"]
    assert tag_tokens(tokens, [(4, 8, "ORG"), (0, 8, "LOC")]) == ["B-LOC", "I-LOC"]


def test_token_alpha_and_kappa_equal_the_krippendorff_package_and_scikit_learn():
    texts = {1: TEXT, 2: "张三在北京工作。", 3: "Paris is nice"}
    votes = [
        (1, "a", A), (1, "b", B), (1, "c", A),
        (2, "a", [(0, 2, "PER"), (3, 5, "LOC")]), (2, "b", [(3, 5, "LOC")]),
        (3, "b", [(0, 5, "LOC")]), (3, "c", [(0, 5, "PER")]),
    ]
    report = span_agreement(votes, LABELS, texts)
    # The reliability matrix, annotators x (item, token), built from the hand-checked tags.
    rows = token_tags(votes, texts)
    units = list(dict.fromkeys(u for u, _, _ in rows))
    codes = {tag: k for k, tag in enumerate(sorted({t for _, _, t in rows}))}
    matrix = np.full((3, len(units)), np.nan)
    for unit, annotator, tag in rows:
        matrix["abc".index(annotator), units.index(unit)] = codes[tag]
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    assert report["krippendorff_alpha"] == pytest.approx(expected)
    tags = {(u, a): t for u, a, t in rows}
    both = [u for u in units if (u, "a") in tags and (u, "b") in tags]
    kappa_ab = cohen_kappa_score([tags[u, "a"] for u in both], [tags[u, "b"] for u in both])
    pair = next(p for p in report["cohen_kappa"] if {p["a"], p["b"]} == {"a", "b"})
    assert pair["kappa"] == pytest.approx(kappa_ab) and pair["n"] == len(both) == 8 + 8
    assert report["spans"]["tokens_compared"] == 8 + 8 + 3
    assert (report["items_compared"], report["ratings"], report["annotator_count"]) == (3, 7, 3)
    assert report["per_label"]["LOC"]["ratings"] == 6 and report["per_label"]["PER"]["ratings"] == 5


def test_per_label_token_alpha_is_label_against_the_rest():
    texts = {1: TEXT}
    report = span_agreement([(1, "a", A), (1, "b", B)], LABELS, texts)
    loc = np.array([[0, 0, 0, 1, 1, 1, 0, 0]] * 2, dtype=float)  # both tag the same three LOC tokens
    assert report["per_label"]["LOC"]["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=loc, level_of_measurement="nominal")
    )
    per = np.array([[1, 1, 0, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0, 0]], dtype=float)
    assert report["per_label"]["PER"]["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=per, level_of_measurement="nominal")
    )
    assert report["per_label"]["PER"]["exact_f1"] == 0.0 and report["per_label"]["PER"]["overlap_f1"] == 1.0


def test_one_annotator_or_no_variation_leaves_the_figures_null():
    alone = span_agreement([(1, "a", A)], LABELS, {1: TEXT})
    assert alone["krippendorff_alpha"] is None and alone["fleiss_kappa"] is None and alone["cohen_kappa"] == []
    assert alone["spans"]["exact_f1"] is None
    empty = span_agreement([(1, "a", []), (1, "b", [])], LABELS, {1: TEXT})  # every token O: no variation
    assert empty["krippendorff_alpha"] is None and empty["percent_agreement"] == 1.0


def test_the_docstring_examples_hold():
    result = doctest.testmod(annotation.span_agreement)
    assert result.attempted >= 5 and result.failed == 0
