"""GET /api/v1/projects/{id}/agreement: figures, display names, roles, constant queries."""
from __future__ import annotations

import pytest

from accounts.roles import Role
from annotation.agreement import agreement_report
from tests import factories
from tests.agreement_tests.labelled import VOTES, add_annotations


def url(project) -> str:
    return f"/api/v1/projects/{project.id}/agreement"


def test_manager_sees_the_figures_of_the_pure_report(client_for, labelled, manager):
    project, _, _ = labelled
    response = client_for(manager).get(url(project))
    assert response.status_code == 200
    body = response.json()
    expected = agreement_report([(i, a, label) for i, a, label, _ in VOTES], project.labels)
    for key in ("items_compared", "ratings", "percent_agreement", "fleiss_kappa", "krippendorff_alpha"):
        assert body[key] == pytest.approx(expected[key]), key
    assert body["items_compared"] == 3
    assert {(p["a"], p["b"], p["n"]) for p in body["cohen_kappa"]} == {
        ("ann1", "ann2", 3), ("ann1", "crowd", 2), ("ann2", "crowd", 2)
    }
    assert body["per_label"]["positive"]["ratings"] == 5


def test_it_gives_per_annotator_figures_with_display_names(client_for, labelled, manager):
    """ann1 labelled 4 items (lead times 1, 2, 4, 8 s → median 3 s); the majority label of items 0..2 is
    positive, negative (ann1 + crowd) and positive (a 1-1 tie goes to the first project label), so ann1
    agrees with the consensus on 3 of 3 compared items, ann2 on 1 of 3, crowd on 2 of 2."""
    project, _, users = labelled
    body = client_for(manager).get(url(project)).json()
    by_name = {a["annotator"]: a for a in body["annotators"]}
    assert [a["annotator"] for a in body["annotators"]] == ["ann1", "ann2", "crowd"]
    assert by_name["ann1"] == {
        "annotator": "ann1",
        "key": f"user:{users['ann1'].id}",
        "items": 4,
        "median_lead_time_ms": 3000.0,
        "agreement_with_consensus": 1.0,
        "agreement_with_others": pytest.approx((1 + 0.5 + 0) / 3),
        "items_compared": 3,
    }
    assert by_name["ann2"]["agreement_with_consensus"] == pytest.approx(1 / 3)
    assert by_name["crowd"]["key"] == "source:crowd"
    assert by_name["crowd"]["median_lead_time_ms"] is None
    assert by_name["crowd"]["agreement_with_consensus"] == 1.0


def test_a_project_without_annotations_reports_nulls(client_for, project, manager):
    body = client_for(manager).get(url(project)).json()
    assert body["items_compared"] == 0
    assert body["percent_agreement"] is None
    assert body["fleiss_kappa"] is None and body["krippendorff_alpha"] is None
    assert body["cohen_kappa"] == [] and body["annotators"] == []
    assert body["per_label"]["positive"]["fleiss_kappa"] is None


def test_reviewer_sees_the_agreement(client_for, labelled, reviewer):
    assert client_for(reviewer).get(url(labelled[0])).status_code == 200


def test_admin_sees_the_agreement(client_for, labelled, admin):
    assert client_for(admin).get(url(labelled[0])).status_code == 200


def test_annotator_cannot_see_the_agreement(client_for, labelled, annotator):
    response = client_for(annotator).get(url(labelled[0]))
    assert response.status_code == 403
    assert response.json()["error"]["code"]


def test_outsider_cannot_see_the_agreement(client_for, labelled, outsider):
    assert client_for(outsider).get(url(labelled[0])).status_code == 404


def test_anonymous_cannot_see_the_agreement(client_for, labelled):
    assert client_for(None).get(url(labelled[0])).status_code == 401


def test_a_missing_project_is_404(client_for, admin):
    assert client_for(admin).get("/api/v1/projects/999999/agreement").status_code == 404


def test_it_costs_the_same_queries_however_many_annotators(client_for, labelled, manager, django_assert_max_num_queries):
    project, items, _ = labelled
    more = {f"extra{i}": factories.make_member(project, factories.make_user(f"extra{i}"), Role.ANNOTATOR) for i in range(8)}
    add_annotations(
        project, items, more,
        [(i, name, "negative", 500) for name in more for i in range(4)] + [(i, f"crowd{j}", "positive", None) for j in range(5) for i in range(4)],
    )
    # project, role, the streamed annotations, the usernames.
    with django_assert_max_num_queries(4):
        body = client_for(manager).get(url(project)).json()
    assert len(body["annotators"]) == 16


# --- levels of measurement and kappa weights -----------------------------------------------------------


def _ordered_project(labels, votes):
    """A project with ``labels`` (in that order) and two annotators' ``votes``: [(item, a's, b's)]."""
    project = factories.make_project(labels=labels)
    items = factories.make_items(project, [f"rated text {i}" for i in range(len(votes))])
    users = {name: factories.make_member(project, factories.make_user(), Role.ANNOTATOR) for name in ("a", "b")}
    add_annotations(project, items, users, [(i, name, v[n], None) for i, v in enumerate(votes) for n, name in enumerate("ab")])
    return project


# "high" first: the scale is the project's label order, not the alphabet nor the labels' meaning.
ORDERED = ("high", "mid", "low")
# Every disagreement is a near miss, so each level and weighting gives a different figure (nominal
# 0.400, ordinal 0.700, interval 0.688; kappa 0.364, linear 0.512, quadratic 0.667), and an alphabetical
# scale would give others again.
ORDERED_VOTES = [("high", "mid"), ("mid", "low"), ("low", "low"), ("high", "high"), ("mid", "mid"), ("low", "mid"), ("high", "high")]


def _package_alpha(votes, labels, level, values):
    """The krippendorff package on the raters x items matrix: an independent oracle."""
    import krippendorff

    position = dict(zip(labels, values, strict=True))
    matrix = [[position[v[n]] for v in votes] for n in range(2)]
    return krippendorff.alpha(reliability_data=matrix, value_domain=values, level_of_measurement=level)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval"])
def test_it_computes_alpha_at_the_asked_level_on_the_label_order(client_for, manager, level):
    project = _ordered_project(ORDERED, ORDERED_VOTES)
    factories.make_member(project, manager, Role.MANAGER)
    body = client_for(manager).get(url(project), {"level": level}).json()
    assert body["krippendorff_level"] == level
    assert body["krippendorff_alpha"] == pytest.approx(_package_alpha(ORDERED_VOTES, ORDERED, level, [0, 1, 2]))


def test_ratio_reads_numeric_labels_as_numbers(client_for, manager):
    labels, votes = ("1", "2", "8"), [("1", "2"), ("2", "2"), ("8", "8"), ("1", "1"), ("2", "8")]
    project = _ordered_project(labels, votes)
    factories.make_member(project, manager, Role.MANAGER)
    body = client_for(manager).get(url(project), {"level": "ratio"}).json()
    assert body["krippendorff_level"] == "ratio"
    assert body["krippendorff_alpha"] == pytest.approx(_package_alpha(votes, labels, "ratio", [1, 2, 8]))


def test_ratio_with_words_for_labels_is_a_400(client_for, labelled, manager):
    response = client_for(manager).get(url(labelled[0]), {"level": "ratio"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "non_numeric_labels" and "level" in error["fields"]
    assert "numeric" in error["message"] and "positive" in error["message"]


@pytest.mark.parametrize("weights", ["none", "linear", "quadratic"])
def test_it_weighs_the_pairwise_kappas(client_for, manager, weights):
    from sklearn.metrics import cohen_kappa_score

    project = _ordered_project(ORDERED, ORDERED_VOTES)
    factories.make_member(project, manager, Role.MANAGER)
    body = client_for(manager).get(url(project), {"weights": weights}).json()
    assert body["cohen_kappa_weights"] == weights
    [pair] = body["cohen_kappa"]
    expected = cohen_kappa_score(
        [v[0] for v in ORDERED_VOTES], [v[1] for v in ORDERED_VOTES], labels=list(ORDERED),
        weights=None if weights == "none" else weights,
    )
    assert pair["kappa"] == pytest.approx(expected)


def test_the_defaults_are_nominal_and_unweighted(client_for, labelled, manager):
    body = client_for(manager).get(url(labelled[0])).json()
    assert (body["krippendorff_level"], body["cohen_kappa_weights"]) == ("nominal", "none")


@pytest.mark.parametrize(("param", "value"), [("level", "cardinal"), ("weights", "cubic"), ("level", "NOMINAL")])
def test_an_unknown_level_or_weighting_is_a_400_naming_it(client_for, labelled, manager, param, value):
    response = client_for(manager).get(url(labelled[0]), {param: value})
    assert response.status_code == 400
    error = response.json()["error"]
    assert list(error["fields"]) == [param] and param in error["message"]
