"""agreement_report: the shape of INTERFACES.md, None wherever a figure is undefined, nothing dropped."""
from __future__ import annotations

import pytest

from annotation.agreement import (
    NonNumericLabels,
    agreement_report,
    agreement_with_others,
    agreement_with_reference,
    cohen_kappa,
    krippendorff_alpha,
    rating_table,
)

LABELS = ["pos", "neg", "neutral"]


def test_it_reports_every_figure_for_ordinary_votes():
    votes = [
        (1, "user:1", "pos"), (1, "user:2", "pos"), (1, "source:crowd", "pos"),
        (2, "user:1", "neg"), (2, "user:2", "pos"), (2, "source:crowd", "neg"),
        (3, "user:1", "neutral"), (3, "user:2", "neutral"),
        (4, "user:1", "pos"),
    ]
    report = agreement_report(votes, LABELS)
    assert report["items_compared"] == 3
    assert report["ratings"] == 9 and report["annotator_count"] == 3
    assert report["percent_agreement"] == pytest.approx((1 + 1 / 3 + 1) / 3)
    assert report["fleiss_kappa"] is not None and report["krippendorff_alpha"] is not None
    assert {(r["a"], r["b"], r["n"]) for r in report["cohen_kappa"]} == {
        ("user:1", "user:2", 3), ("user:1", "source:crowd", 2), ("user:2", "source:crowd", 2)
    }
    assert list(report["per_label"]) == LABELS
    assert report["per_label"]["pos"]["ratings"] == 5


def test_no_votes_means_every_figure_is_undefined():
    report = agreement_report([], LABELS)
    assert report["items_compared"] == 0
    assert report["percent_agreement"] is None
    assert report["fleiss_kappa"] is None and report["krippendorff_alpha"] is None
    assert report["cohen_kappa"] == []
    assert all(v["fleiss_kappa"] is None and v["share"] is None for v in report["per_label"].values())


def test_single_ratings_are_not_compared():
    report = agreement_report([(1, "a", "pos"), (2, "b", "neg")], LABELS)
    assert report["items_compared"] == 0
    assert report["percent_agreement"] is None and report["fleiss_kappa"] is None


def test_unanimity_on_one_label_is_undefined_not_perfect():
    """Everyone always says "pos": observed agreement is 100 % but chance agreement is too, so kappa and
    alpha are 0/0: None (the API's null), never 1."""
    votes = [(i, r, "pos") for i in range(5) for r in ("a", "b", "c")]
    report = agreement_report(votes, LABELS)
    assert report["percent_agreement"] == 1.0
    assert report["fleiss_kappa"] is None
    assert report["krippendorff_alpha"] is None
    assert report["cohen_kappa"][0]["kappa"] is None
    assert report["per_label"]["pos"]["fleiss_kappa"] is None
    assert report["per_label"]["neg"]["fleiss_kappa"] is None


def test_labels_outside_the_project_are_kept_after_its_labels():
    report = agreement_report([(1, "a", "pos"), (1, "b", "spam"), (2, "a", "ham")], LABELS)
    assert list(report["per_label"]) == LABELS + ["ham", "spam"]
    assert report["per_label"]["spam"]["ratings"] == 1


def test_votes_without_a_single_label_are_skipped():
    report = agreement_report([(1, "a", ""), (1, "b", None), (1, "c", "pos")], LABELS)
    assert report["ratings"] == 1


def test_a_repeated_vote_replaces_the_earlier_one():
    table = rating_table([(1, "a", "pos"), (1, "b", "neg"), (1, "a", "neg")], LABELS)
    assert table.counts.tolist() == [[0, 2, 0]]


def test_ratio_needs_numeric_labels():
    with pytest.raises(NonNumericLabels, match="'neg'") as raised:
        agreement_report([(1, "a", "1"), (1, "b", "neg")], ["1", "2"], level="ratio")
    assert raised.value.labels == ["neg"]
    with pytest.raises(NonNumericLabels):
        agreement_report([(1, "a", "1"), (1, "b", "2")], ["1", "2", "nan"], level="ratio")
    report = agreement_report([(1, "a", "1"), (1, "b", "2"), (2, "a", "3"), (2, "b", "3")], ["1", "2", "3"], level="ratio")
    assert report["krippendorff_level"] == "ratio" and report["krippendorff_alpha"] is not None


@pytest.mark.parametrize("level", ["ordinal", "interval"])
def test_ordered_levels_place_the_labels_at_their_positions(level):
    """pos/neg/neutral at 0, 1, 2: a pos-neg disagreement is a near miss, so the alpha beats nominal."""
    votes = [(1, "a", "pos"), (1, "b", "neg"), (2, "a", "neutral"), (2, "b", "neutral"), (3, "a", "pos"), (3, "b", "pos")]
    table = rating_table(votes, LABELS)
    report = agreement_report(votes, LABELS, level=level)
    assert report["krippendorff_alpha"] == pytest.approx(krippendorff_alpha(table.counts, level=level, values=[0, 1, 2]))
    assert report["krippendorff_alpha"] > agreement_report(votes, LABELS)["krippendorff_alpha"]


def test_it_weighs_the_pairwise_kappas_and_echoes_the_weights():
    votes = [(1, "a", "pos"), (1, "b", "neg"), (2, "a", "neutral"), (2, "b", "neutral"), (3, "a", "pos"), (3, "b", "pos")]
    assert agreement_report(votes, LABELS)["cohen_kappa_weights"] == "none"
    report = agreement_report(votes, LABELS, weights="quadratic")
    assert report["cohen_kappa_weights"] == "quadratic"
    expected = cohen_kappa(["pos", "neutral", "pos"], ["neg", "neutral", "pos"], labels=LABELS, weights="quadratic")
    assert report["cohen_kappa"][0]["kappa"] == pytest.approx(expected)


def test_an_unknown_level_or_weighting_is_refused_even_without_votes():
    with pytest.raises(ValueError, match="level"):
        agreement_report([], LABELS, level="cardinal")
    with pytest.raises(ValueError, match="weights"):
        agreement_report([], LABELS, weights="cubic")


def test_agreement_with_others_leaves_the_annotator_out():
    """Item 1: a, b say pos, c says neg. a agrees with 1 of the 2 others, c with none. Item 2: only a."""
    table = rating_table([(1, "a", "pos"), (1, "b", "pos"), (1, "c", "neg"), (2, "a", "neg")], LABELS)
    figures = agreement_with_others(table)
    assert figures["a"] == (pytest.approx(0.5), 1)
    assert figures["c"] == (0.0, 1)


def test_agreement_with_a_reference_counts_items_with_two_votes_or_more():
    votes = [(1, "a", "pos"), (1, "b", "neg"), (2, "a", "neg"), (2, "b", "neg"), (3, "a", "pos")]
    figures = agreement_with_reference(rating_table(votes, LABELS), {1: "pos", 2: "neg", 3: "pos"})
    assert figures == {"a": (1.0, 2), "b": (0.5, 2)}
    assert agreement_with_reference(rating_table(votes, LABELS), {}) == {"a": (None, 0), "b": (None, 0)}
