"""POST/GET /projects/{id}/versions, GET /versions/{id}, GET /versions/{id}/diff: allow and deny per role."""
from __future__ import annotations

import pytest

from annotation.review_services import review_create
from tests import factories
from tests.versions_tests.conftest import SPLIT, build, labeled_items

BODY = {"name": "first", "consolidation": "majority", "split": SPLIT, "seed": 3}


def _url(project) -> str:
    return f"/api/v1/projects/{project.id}/versions"


def _labeled_build(project):
    """A built version of ``project`` once two of its items are labeled (an unlabeled project has nothing
    to version: 409 empty_version)."""
    labeled_items(project, 2)
    return build(project)


@pytest.mark.parametrize("persona", ["admin", "manager"])
def test_managers_and_admins_build_versions(request, client_for, project, persona, django_capture_on_commit_callbacks):
    user = request.getfixturevalue(persona)
    labeled_items(project, 2)
    with django_capture_on_commit_callbacks(execute=False) as dispatched:
        response = client_for(user).post(_url(project), BODY, format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["number"] == 1 and body["progress"] == {"done": 0, "total": 0}
    assert (body["name"], body["consolidation"], body["seed"], body["split"]) == ("first", "majority", 3, SPLIT)
    assert {"id", "error", "created_at", "finished_at", "content_hash", "counts", "quality"} <= set(body)
    assert len(dispatched) == 1  # the build task, on commit


@pytest.mark.parametrize("persona", ["reviewer", "annotator"])
def test_reviewers_and_annotators_cannot_build_versions(request, client_for, project, persona):
    response = client_for(request.getfixturevalue(persona)).post(_url(project), BODY, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_outsider_cannot_see_the_project_to_build(client_for, project, outsider):
    assert client_for(outsider).post(_url(project), BODY, format="json").status_code == 404


def test_anonymous_cannot_build(client_for, project):
    assert client_for().post(_url(project), BODY, format="json").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "split": {"train": 0.8, "val": 0.1, "test": 0.2}}, "split"),
        ({**BODY, "split": {"train": 0.8, "val": 0.2}}, "split"),
        ({**BODY, "split": {"train": 1.5, "val": 0.0, "test": -0.5}}, "split"),
        ({**BODY, "consolidation": "median"}, "consolidation"),
        ({**BODY, "seed": "abc"}, "seed"),
    ],
)
def test_it_rejects_a_bad_build_request(client_for, project, manager, body, field):
    response = client_for(manager).post(_url(project), body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error


def test_it_refuses_to_version_a_spans_project_without_answers(client_for, manager):
    """Span projects are versioned (issue 8); one without any answer has nothing to version."""
    project = factories.make_project(task_type="spans")
    factories.make_member(project, manager, "manager")
    factories.make_items(project, ["nobody marked me"])
    response = client_for(manager).post(_url(project), BODY, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "empty_version"


@pytest.mark.parametrize("persona", ["admin", "manager", "reviewer"])
def test_managers_and_reviewers_list_versions_newest_first(request, client_for, project, persona):
    labeled_items(project, 6)
    versions = [build(project) for _ in range(3)]
    response = client_for(request.getfixturevalue(persona)).get(_url(project), {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert [v["number"] for v in body["results"]] == [3, 2]
    assert body["results"][0]["counts"] == versions[2].counts
    assert "suspects" not in body["results"][0]["quality"]["label_noise"]
    rest = client_for(request.getfixturevalue(persona)).get(body["next"]).json()
    assert [v["number"] for v in rest["results"]] == [1] and rest["next"] is None


def test_annotator_cannot_list_versions(client_for, project, annotator):
    assert client_for(annotator).get(_url(project)).status_code == 403


def test_outsider_cannot_list_versions(client_for, project, outsider):
    assert client_for(outsider).get(_url(project)).status_code == 404


def test_anonymous_cannot_list_versions(client_for, project):
    assert client_for().get(_url(project)).status_code == 401


def test_the_version_list_costs_a_fixed_number_of_queries(client_for, project, manager, django_assert_max_num_queries):
    labeled_items(project, 4)
    for _ in range(2):
        build(project)
    with django_assert_max_num_queries(3):
        small = client_for(manager).get(_url(project))
    for _ in range(4):
        build(project)
    with django_assert_max_num_queries(3):
        large = client_for(manager).get(_url(project))
    assert (len(small.json()["results"]), len(large.json()["results"])) == (2, 6)


@pytest.mark.parametrize("persona", ["admin", "manager", "reviewer"])
def test_managers_and_reviewers_read_a_version(request, client_for, project, persona):
    labeled_items(project, 10)
    version = build(project, name="v-one")
    response = client_for(request.getfixturevalue(persona)).get(f"/api/v1/versions/{version.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded" and body["name"] == "v-one"
    assert body["content_hash"] == version.content_hash and sum(body["counts"].values()) == 10
    assert body["progress"] == {"done": 10, "total": 10}
    assert "suspects" in body["quality"]["label_noise"]


def test_annotator_cannot_read_a_version(client_for, project, annotator):
    version = _labeled_build(project)
    assert client_for(annotator).get(f"/api/v1/versions/{version.id}").status_code == 403


def test_outsider_cannot_read_a_version(client_for, project, outsider):
    version = _labeled_build(project)
    response = client_for(outsider).get(f"/api/v1/versions/{version.id}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_anonymous_cannot_read_a_version(client_for, project):
    assert client_for().get(f"/api/v1/versions/{_labeled_build(project).id}").status_code == 401


def test_a_missing_version_is_404(client_for, admin):
    assert client_for(admin).get("/api/v1/versions/999999").status_code == 404


# ------------------------------------------------------------------------------------------- diff


def _diff(client, version, against):
    return client.get(f"/api/v1/versions/{version.id}/diff", {"against": against})


@pytest.mark.parametrize("persona", ["admin", "manager", "reviewer"])
def test_managers_and_reviewers_diff_versions(request, client_for, project, manager, persona):
    items = labeled_items(project, 10)
    old = build(project)
    review_create(item=items[0], reviewer=manager, verdict="correct", value={"label": "negative"})
    new = build(project)
    response = _diff(client_for(request.getfixturevalue(persona)), new, old.id)
    assert response.status_code == 200
    body = response.json()
    assert (body["added"], body["removed"], body["relabeled"], body["unchanged"]) == (0, 0, 1, 9)
    assert body["items"]["relabeled"] == [
        {"item_id": items[0].id, "text": items[0].text, "old_label": "positive", "new_label": "negative",
         "cause": "review", "cause_detail": {"cause": "review", "by": "manager", "verdict": "correct"}}
    ]
    assert body["causes"] == {"review": 1, "annotations": 0, "cleaning": 0, "import": 0, "consolidation": 0}


def test_annotator_cannot_diff_versions(client_for, project, annotator):
    version = _labeled_build(project)
    assert _diff(client_for(annotator), version, version.id).status_code == 403


def test_outsider_cannot_diff_versions(client_for, project, outsider):
    version = _labeled_build(project)
    assert _diff(client_for(outsider), version, version.id).status_code == 404


def test_anonymous_cannot_diff_versions(client_for, project):
    version = _labeled_build(project)
    assert _diff(client_for(), version, version.id).status_code == 401


@pytest.mark.parametrize("against", [None, "abc"])
def test_a_diff_needs_a_version_to_compare_with(client_for, project, manager, against):
    version = _labeled_build(project)
    response = client_for(manager).get(f"/api/v1/versions/{version.id}/diff", {} if against is None else {"against": against})
    assert response.status_code == 400 and "against" in response.json()["error"]["fields"]


def test_a_diff_against_another_projects_version_is_refused(client_for, project, admin):
    other = factories.make_project(name="other")
    response = _diff(client_for(admin), _labeled_build(project), _labeled_build(other).id)
    assert response.status_code == 400


def test_a_diff_against_a_version_you_cannot_see_is_404(client_for, project, manager):
    other = factories.make_project(name="other")
    assert _diff(client_for(manager), _labeled_build(project), _labeled_build(other).id).status_code == 404


def test_a_diff_with_an_unbuilt_version_is_409(client_for, project, manager):
    from curation.services import version_create

    built = _labeled_build(project)
    queued = version_create(project=project, split=SPLIT)
    response = _diff(client_for(manager), built, queued.id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_built"
