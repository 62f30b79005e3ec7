"""Projects and members: who may do what (API.md roles)."""
import pytest

from tests import factories

pytestmark = pytest.mark.django_db

NEW = {"name": "Tweets", "task_type": "classification", "labels": ["pos", "neg"]}


def test_admin_creates_a_project_and_manages_it(client_for, admin):
    response = client_for(admin).post("/api/v1/projects", NEW, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["labels"] == ["pos", "neg"] and body["annotations_per_item"] == 1 and body["role"] == "admin"


@pytest.mark.parametrize("persona", ["manager", "reviewer", "annotator", "outsider"])
def test_non_admins_cannot_create_projects(request, client_for, persona):
    user = request.getfixturevalue(persona)
    assert client_for(user).post("/api/v1/projects", NEW, format="json").status_code == 403


def test_labels_must_be_unique(client_for, admin):
    response = client_for(admin).post("/api/v1/projects", {**NEW, "labels": ["a", "a"]}, format="json")
    assert response.status_code == 400 and "labels" in response.json()["error"]["fields"]


def test_members_see_their_projects_and_outsiders_see_nothing(client_for, project, annotator, outsider):
    factories.make_project(name="someone else's")
    listed = client_for(annotator).get("/api/v1/projects").json()
    assert [p["name"] for p in listed["results"]] == ["Reviews"] and listed["results"][0]["role"] == "annotator"
    assert client_for(outsider).get("/api/v1/projects").json()["results"] == []
    assert client_for(outsider).get(f"/api/v1/projects/{project.id}").status_code == 404


def test_the_project_list_is_keyset_paginated_in_constant_queries(client_for, admin, django_assert_max_num_queries):
    for i in range(7):
        factories.make_project(name=f"p{i}")
    client = client_for(admin)
    with django_assert_max_num_queries(3):
        first = client.get("/api/v1/projects?page_size=5").json()
    assert len(first["results"]) == 5 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    names = [p["name"] for p in first["results"] + second["results"]]
    assert names == [f"p{i}" for i in reversed(range(7))]


@pytest.mark.parametrize("persona,status", [("manager", 200), ("reviewer", 403), ("annotator", 403), ("outsider", 404)])
def test_only_managers_edit_a_project(request, client_for, project, persona, status):
    user = request.getfixturevalue(persona)
    response = client_for(user).patch(f"/api/v1/projects/{project.id}", {"guidelines": "Be kind."}, format="json")
    assert response.status_code == status


@pytest.mark.parametrize("persona,status", [("manager", 201), ("reviewer", 403), ("annotator", 403), ("outsider", 404)])
def test_only_managers_add_members(request, client_for, project, persona, status):
    user = request.getfixturevalue(persona)
    factories.make_user("newcomer")
    response = client_for(user).post(
        f"/api/v1/projects/{project.id}/members", {"username": "newcomer", "role": "annotator"}, format="json"
    )
    assert response.status_code == status


def test_adding_a_member_twice_is_a_conflict(client_for, project, manager, annotator):
    response = client_for(manager).post(
        f"/api/v1/projects/{project.id}/members", {"username": "annotator", "role": "reviewer"}, format="json"
    )
    assert response.status_code == 409


@pytest.mark.parametrize("persona,status", [("manager", 200), ("reviewer", 200), ("annotator", 403), ("outsider", 404)])
def test_items_are_listed_for_managers_and_reviewers(request, client_for, project, persona, status):
    factories.make_items(project, ["alpha", "beta", "gamma"])
    user = request.getfixturevalue(persona)
    response = client_for(user).get(f"/api/v1/projects/{project.id}/items?search=et")
    assert response.status_code == status
    if status == 200:
        assert [i["text"] for i in response.json()["results"]] == ["beta"]


def test_the_item_list_costs_constant_queries(client_for, project, manager, django_assert_max_num_queries):
    factories.make_items(project, [f"text {i}" for i in range(50)])
    with django_assert_max_num_queries(4):
        body = client_for(manager).get(f"/api/v1/projects/{project.id}/items?page_size=20").json()
    assert len(body["results"]) == 20


@pytest.mark.parametrize("persona,status", [("manager", 204), ("reviewer", 403), ("annotator", 403), ("outsider", 404)])
def test_only_managers_delete_a_project(request, client_for, project, persona, status):
    user = request.getfixturevalue(persona)
    assert client_for(user).delete(f"/api/v1/projects/{project.id}").status_code == status


def test_deleting_a_project_takes_its_versions_and_runs_with_it(client_for, project, manager):
    from curation.models import DatasetVersion
    from training.models import TrainingRun

    version = DatasetVersion.objects.create(project=project, number=1, split={"train": 1.0})
    TrainingRun.objects.create(project=project, version=version)
    assert client_for(manager).delete(f"/api/v1/projects/{project.id}").status_code == 204
    assert not DatasetVersion.objects.exists() and not TrainingRun.objects.exists()


@pytest.mark.parametrize("persona,status", [("manager", 200), ("reviewer", 403), ("annotator", 403), ("outsider", 404)])
def test_only_managers_list_members(request, client_for, project, persona, status, django_assert_max_num_queries):
    user = request.getfixturevalue(persona)
    with django_assert_max_num_queries(5):
        response = client_for(user).get(f"/api/v1/projects/{project.id}/members")
    assert response.status_code == status


def test_items_filter_by_label_and_exclusion(client_for, project, manager):
    from annotation.imported import annotations_import
    from projects.models import Item

    alpha, beta, gamma = factories.make_items(project, ["alpha", "beta", "gamma"])
    annotations_import(project=project, rows=[(alpha.id, "gold", {"label": "positive"}),
                                              (beta.id, "gold", {"label": "negative"})])
    Item.objects.filter(id=gamma.id).update(excluded_reason="too short")
    client = client_for(manager)

    def texts(query):
        return [i["text"] for i in client.get(f"/api/v1/projects/{project.id}/items?{query}").json()["results"]]

    assert texts("label=positive") == ["alpha"]
    assert texts("excluded=true") == ["gamma"]
    assert texts("excluded=false") == ["alpha", "beta"]


def test_managers_set_the_queue_order_and_the_review_threshold(client_for, project, manager, annotator):
    url = f"/api/v1/projects/{project.id}"
    body = client_for(manager).patch(url, {"queue_order": "random", "review_threshold": 0.75}, format="json").json()
    assert (body["queue_order"], body["review_threshold"]) == ("random", 0.75)
    project.refresh_from_db()
    assert (project.queue_order, project.review_threshold) == ("random", 0.75)
    bad = client_for(manager).patch(url, {"queue_order": "shortest"}, format="json")
    assert bad.status_code == 400 and "queue_order" in bad.json()["error"]["fields"]
    assert client_for(annotator).patch(url, {"queue_order": "random"}, format="json").status_code == 403
