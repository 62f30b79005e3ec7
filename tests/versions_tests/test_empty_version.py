"""A version of a project with no labeled item is refused (409 empty_version) before anything is queued:
it would "succeed" with nothing in it."""
from __future__ import annotations

import pytest

from annotation.review_services import review_create
from common.errors import Conflict
from curation.models import DatasetVersion
from curation.services import version_create
from projects.models import Item
from tests import factories
from tests.versions_tests.conftest import SPLIT, build, labeled_items, vote

pytestmark = pytest.mark.django_db


def _post(client, project):
    return client.post(f"/api/v1/projects/{project.id}/versions", {"split": SPLIT}, format="json")


def test_building_an_unlabeled_project_is_a_409_and_queues_nothing(
    client_for, project, manager, django_capture_on_commit_callbacks
):
    factories.make_items(project, ["nobody has labeled this", "nor this"])
    with django_capture_on_commit_callbacks(execute=False) as dispatched:
        response = _post(client_for(manager), project)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "empty_version"
    assert error["message"].startswith("Nothing to version: no item of this project has a label yet")
    assert not DatasetVersion.objects.filter(project=project).exists() and not dispatched


def test_an_empty_project_is_refused_too(project):
    with pytest.raises(Conflict) as refused:
        version_create(project=project, split=SPLIT)
    assert refused.value.code == "empty_version"


def test_labels_on_excluded_items_only_do_not_count(project):
    items = labeled_items(project, 3)
    Item.objects.filter(id__in=[i.id for i in items]).update(excluded_reason="min_length: too short")
    with pytest.raises(Conflict, match="Nothing to version"):
        version_create(project=project, split=SPLIT)


def test_votes_for_labels_the_project_no_longer_has_do_not_count(project):
    (item,) = factories.make_items(project, ["an old vote"])
    vote(item, "neutral")  # a label the project does not have (any more)
    with pytest.raises(Conflict, match="Nothing to version"):
        version_create(project=project, split=SPLIT)


def test_one_labeled_item_is_enough(client_for, project, manager):
    factories.make_items(project, ["unlabeled"])
    (item,) = factories.make_items(project, ["labeled"])
    vote(item, "positive")
    response = _post(client_for(manager), project)
    assert response.status_code == 202 and response.json()["number"] == 1


def test_a_reviewers_correction_is_a_label(project, reviewer):
    (item,) = factories.make_items(project, ["nobody voted, a reviewer decided"])
    review_create(item=item, reviewer=reviewer, verdict="correct", value={"label": "negative"})
    version = build(project)
    assert version.status == "succeeded" and sum(version.counts.values()) == 1
