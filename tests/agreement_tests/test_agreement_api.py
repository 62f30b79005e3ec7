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
