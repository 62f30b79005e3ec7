"""agreement_report: the shape of INTERFACES.md, None wherever a figure is undefined, nothing dropped."""
from __future__ import annotations

import pytest

from annotation.agreement import agreement_report, agreement_with_others, agreement_with_reference, rating_table

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


def test_numeric_levels_need_numeric_labels():
    with pytest.raises(ValueError, match="numeric"):
        agreement_report([(1, "a", "pos"), (1, "b", "neg")], LABELS, level="interval")
    report = agreement_report([(1, "a", "1"), (1, "b", "2"), (2, "a", "3"), (2, "b", "3")], ["1", "2", "3"], level="ratio")
    assert report["krippendorff_level"] == "ratio" and report["krippendorff_alpha"] is not None


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
