"""Query budgets: lists and detail pages cost the same whatever their size; the hot path is short."""
from __future__ import annotations

import pytest
from django.db import connection

from annotation import selectors
from annotation.models import Annotation
from projects.models import Item
from tests import factories
from tests.labeling_tests.conftest import texts

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_project(make_annotators):
    """Ten items each labelled by three annotators."""
    project = factories.make_project(k=3)
    made = factories.make_items(project, texts(10))
    people = make_annotators(project, 3)
    Annotation.objects.bulk_create(
        Annotation(project=project, item=item, annotator=user, value={"label": "positive"}, label="positive")
        for item in made
        for user in people
    )
    Item.objects.filter(project=project).update(annotation_count=3)  # as the services leave it
    return project, made, people


def test_the_annotation_list_costs_a_fixed_number_of_queries(client_for, busy_project, admin, django_assert_max_num_queries):
    project, _, _ = busy_project
    # role check: none for admins; the project; the page (annotator and item joined).
    with django_assert_max_num_queries(3):
        response = client_for(admin).get(f"/api/v1/projects/{project.id}/annotations?page_size=30")
    assert len(response.json()["results"]) == 30


def test_an_annotators_own_list_costs_a_fixed_number_of_queries(client_for, busy_project, django_assert_max_num_queries):
    project, _, people = busy_project
    with django_assert_max_num_queries(3):
        response = client_for(people[0]).get(f"/api/v1/projects/{project.id}/annotations")
    assert len(response.json()["results"]) == 10


def test_item_detail_costs_a_fixed_number_of_queries(client_for, busy_project, admin, django_assert_max_num_queries):
    project, made, _ = busy_project
    # the item with its project; annotations, reviews, live leases, cleaning history, predictions
    with django_assert_max_num_queries(6):
        response = client_for(admin).get(f"/api/v1/items/{made[0].id}")
    assert len(response.json()["annotations"]) == 3


def test_stats_cost_a_fixed_number_of_queries(client_for, busy_project, admin, django_assert_max_num_queries):
    project, _, _ = busy_project
    with django_assert_max_num_queries(3):
        body = client_for(admin).get(f"/api/v1/projects/{project.id}/stats").json()
    assert body["annotations"] == 30 and body["completed_items"] == 10 and body["label_counts"]["positive"] == 30


def test_next_and_submit_stay_a_handful_of_queries(client_for, project, items, annotator, django_assert_max_num_queries):
    client = client_for(annotator)
    # project with the caller's role; savepoint (BEGIN outside tests), candidate (locked, with the
    # resume guard), guarded lease insert, release (COMMIT)
    with django_assert_max_num_queries(5):
        item_id = client.post(f"/api/v1/projects/{project.id}/next").json()["item"]["id"]
    # item with its project and the caller's role; savepoint; bump + consume lease + insert (one
    # statement on PostgreSQL, three elsewhere); release
    with django_assert_max_num_queries(4 if connection.vendor == "postgresql" else 6):
        response = client.post(f"/api/v1/items/{item_id}/annotations", {"value": {"label": "positive"}}, format="json")
    assert response.status_code == 201


def test_multilabel_stats_count_each_chosen_label():
    project = factories.make_project(task_type="multilabel", labels=("a", "b", "c"))
    made = factories.make_items(project, texts(2))
    for item, labels in zip(made, (["a", "b"], ["b"]), strict=True):
        Annotation.objects.create(project=project, item=item, source="crowd", value={"labels": labels})
    stats = selectors.project_stats(project=project)
    assert stats["label_counts"] == {"a": 1, "b": 2, "c": 0} and stats["annotations"] == 2


def test_span_stats_count_each_span_label():
    project = factories.make_project(task_type="spans", labels=("PER", "ORG"))
    (item,) = factories.make_items(project, ["Ada at IBM"])
    value = {"spans": [{"start": 0, "end": 3, "label": "PER"}, {"start": 7, "end": 10, "label": "ORG"}]}
    Annotation.objects.create(project=project, item=item, source="crowd", value=value)
    assert selectors.project_stats(project=project)["label_counts"] == {"PER": 1, "ORG": 1}

