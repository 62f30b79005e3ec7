"""Multi-label agreement: MASI by hand and against nltk's documented numbers, alpha with MASI by hand and
against the krippendorff package, per-label figures against scikit-learn and the krippendorff package."""
from __future__ import annotations

import doctest
import itertools

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

import annotation.multilabel_agreement
from annotation.multilabel_agreement import masi_alpha, masi_distance, multilabel_agreement

LABELS = ["sports", "politics", "business"]

# Three annotators, six news headlines; c skips item 6, and item 5 is "none of these" for a and b.
VOTES = [
    (1, "a", ["sports"]), (1, "b", ["sports"]), (1, "c", ["sports", "business"]),
    (2, "a", ["politics"]), (2, "b", ["politics", "business"]), (2, "c", ["politics"]),
    (3, "a", ["business"]), (3, "b", ["business"]), (3, "c", ["business"]),
    (4, "a", ["politics", "business"]), (4, "b", ["business"]), (4, "c", ["sports"]),
    (5, "a", []), (5, "b", []), (5, "c", ["politics"]),
    (6, "a", ["sports", "politics"]), (6, "b", ["sports"]),
]


def test_masi_by_hand():
    assert masi_distance(set(), set()) == 0.0  # both "none of these": they agree
    assert masi_distance({"a"}, {"a", "b"}) == pytest.approx(1 - 1 / 2 * 2 / 3)  # subset
    assert masi_distance({"a", "b"}, {"b", "c"}) == pytest.approx(1 - 1 / 3 * 1 / 3)  # they intersect
    assert masi_distance({"a"}, {"b"}) == 1.0 and masi_distance(set(), {"a"}) == 1.0


def test_masi_with_nltk_weights_gives_nltks_documented_value():
    """nltk.metrics.distance.masi_distance's doctest: {1, 2} and {1, 2, 3, 4} are 0.665 apart (its
    weights are 0.67 and 0.33)."""
    assert masi_distance({1, 2}, {1, 2, 3, 4}, weights=(0.67, 0.33)) == pytest.approx(0.665)


def test_alpha_with_masi_by_hand():
    """Item 1: {a} and {a, b} (distance 2/3); item 2: {b} twice. Coincidences: o({a},{a,b}) = 1 both
    ways, o({b},{b}) = 2; margins 1, 1, 2; n = 4. D_o = 2 * 2/3 / 4 = 1/3; D_e = (2 * 2/3 + 2*2 * 1 +
    2*2 * 2/3) / (4 * 3) = 2/3; alpha = 1 - D_o / D_e = 0.5."""
    votes = [(1, "x", {"a"}), (1, "y", {"a", "b"}), (2, "x", {"b"}), (2, "y", {"b"})]
    assert masi_alpha(votes) == pytest.approx(0.5)


def test_alpha_with_masi_equals_the_krippendorff_package_with_masi_as_its_metric():
    by_item: dict[int, dict[str, frozenset]] = {}
    for item, annotator, chosen in VOTES:
        by_item.setdefault(item, {})[annotator] = frozenset(chosen)
    values = list(dict.fromkeys(s for per in by_item.values() for s in per.values()))
    matrix = np.full((3, len(by_item)), np.nan)
    for u, per in enumerate(by_item.values()):
        for annotator, chosen in per.items():
            matrix["abc".index(annotator), u] = values.index(chosen)

    def masi_metric(v1, v2, i1, i2, n_v, dtype=np.float64):
        distance = np.vectorize(lambda x, y: masi_distance(values[int(x)], values[int(y)]))
        return distance(v1, v2).astype(dtype)

    expected = krippendorff.alpha(reliability_data=matrix, value_domain=list(range(len(values))),
                                  level_of_measurement=masi_metric)
    assert multilabel_agreement(VOTES, LABELS)["masi_alpha"] == pytest.approx(expected)


def test_per_label_cohen_kappa_equals_scikit_learn_for_every_pair():
    report = multilabel_agreement(VOTES, LABELS)
    sets = {(item, annotator): set(chosen) for item, annotator, chosen in VOTES}
    for label in LABELS:
        rows = {(p["a"], p["b"]): p for p in report["per_label"][label]["cohen_kappa"]}
        assert set(rows) == {("a", "b"), ("a", "c"), ("b", "c")}
        for a, b in itertools.combinations("abc", 2):
            shared = sorted({i for i, x in sets if x == a} & {i for i, x in sets if x == b})
            y1 = [label in sets[i, a] for i in shared]
            y2 = [label in sets[i, b] for i in shared]
            assert rows[a, b]["kappa"] == pytest.approx(cohen_kappa_score(y1, y2)), (label, a, b)
            assert rows[a, b]["n"] == len(shared)
        kappas = [r["kappa"] for r in rows.values()]
        assert report["per_label"][label]["mean_cohen_kappa"] == pytest.approx(np.mean(kappas))


def test_per_label_alpha_equals_the_krippendorff_package_on_the_binary_decisions():
    report = multilabel_agreement(VOTES, LABELS)
    for label in LABELS:
        matrix = np.full((3, 6), np.nan)
        for item, annotator, chosen in VOTES:
            matrix["abc".index(annotator), item - 1] = float(label in chosen)
        expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        assert report["per_label"][label]["krippendorff_alpha"] == pytest.approx(expected), label
    assert report["per_label"]["business"]["ratings"] == 7
    assert report["per_label"]["business"]["share"] == pytest.approx(7 / 17)


def test_top_level_figures_treat_each_label_set_as_one_category():
    report = multilabel_agreement(VOTES, LABELS)
    assert (report["items_compared"], report["ratings"], report["annotator_count"]) == (6, 17, 3)
    # Items where a and b gave the same set: 1, 3, 5 of the 6 they share.
    pair = next(p for p in report["cohen_kappa"] if (p["a"], p["b"]) == ("a", "b"))
    y1 = [str(sorted(c)) for i, a, c in VOTES if a == "a"]
    y2 = [str(sorted(c)) for i, a, c in VOTES if a == "b"]
    assert pair["kappa"] == pytest.approx(cohen_kappa_score(y1, y2))


def test_undefined_stays_null():
    alone = multilabel_agreement([(1, "a", ["sports"])], LABELS)
    assert alone["masi_alpha"] is None and alone["krippendorff_alpha"] is None
    assert alone["per_label"]["sports"]["cohen_kappa"] == [] and alone["per_label"]["sports"]["mean_cohen_kappa"] is None
    same = multilabel_agreement([(i, a, ["sports"]) for i in range(3) for a in "ab"], LABELS)
    assert same["masi_alpha"] is None and same["percent_agreement"] == 1.0
    assert same["per_label"]["sports"]["krippendorff_alpha"] is None  # everybody chose it: no variation
    assert same["per_label"]["politics"]["cohen_kappa"][0]["kappa"] is None


def test_the_docstring_examples_hold():
    result = doctest.testmod(annotation.multilabel_agreement)
    assert result.attempted >= 5 and result.failed == 0
