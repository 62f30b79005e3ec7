"""``POST /projects/{id}/next`` answers the item's suggestion (the contract client checks the schema),
or null; the project setting takes "uncertainty"."""
from __future__ import annotations

import pytest

from tests import factories
from tests.labeling_tests.conftest import texts

from .conftest import publish_set

pytestmark = pytest.mark.django_db


def test_next_answers_the_suggestion_of_the_latest_run(client_for, project, annotator):
    items = factories.make_items(project, texts(2))
    publish_set(project, 3, {items[0]: 0.74})
    body = client_for(annotator).post(f"/api/v1/projects/{project.id}/next").json()
    assert body["item"]["id"] == items[0].id
    assert body["suggestion"] == {"value": {"label": "positive"}, "confidence": pytest.approx(0.87), "run": 3}


def test_next_answers_null_without_a_suggestion(client_for, project, annotator):
    items = factories.make_items(project, texts(2))
    client = client_for(annotator)
    body = client.post(f"/api/v1/projects/{project.id}/next").json()
    assert body["item"]["id"] == items[0].id and body["suggestion"] is None
    publish_set(project, 3, {items[1]: 0.5})  # another item's suggestion is not this one's
    resumed = client.post(f"/api/v1/projects/{project.id}/next").json()
    assert resumed["item"]["id"] == items[0].id and resumed["suggestion"] is None


def test_a_resumed_item_carries_its_suggestion(client_for, project, annotator):
    items = factories.make_items(project, texts(1))
    client = client_for(annotator)
    client.post(f"/api/v1/projects/{project.id}/next")
    publish_set(project, 4, {items[0]: 0.2})  # published while the item was held
    body = client.post(f"/api/v1/projects/{project.id}/next").json()
    assert body["suggestion"]["run"] == 4 and body["suggestion"]["value"] == {"label": "positive"}


def test_managers_set_the_uncertainty_order(client_for, project, manager):
    body = client_for(manager).patch(f"/api/v1/projects/{project.id}", {"queue_order": "uncertainty"}, format="json")
    assert body.status_code == 200 and body.json()["queue_order"] == "uncertainty"
