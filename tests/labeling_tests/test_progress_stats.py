"""An annotator's own progress in the stats answer: ``mine: {annotations, today, remaining}``."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from accounts.roles import Role
from annotation import services
from annotation.models import Annotation
from projects.models import Item
from tests import factories
from tests.labeling_tests.conftest import texts

pytestmark = pytest.mark.django_db


def _label(item, user, label: str = "positive") -> Annotation:
    """A user's annotation, with the item's counter moved as the services move it."""
    Item.objects.filter(id=item.id).update(annotation_count=F("annotation_count") + 1)
    return Annotation.objects.create(project_id=item.project_id, item=item, annotator=user, value={"label": label},
                                     label=label)


@pytest.fixture
def team(make_annotators):
    """k = 2, ten items, item 9 excluded: two annotators fill items 0-3 to k; ``ann`` labels 4-6 (item
    4 yesterday) and skips item 7; item 8 is untouched."""
    project = factories.make_project(k=2)
    made = factories.make_items(project, texts(10))
    Item.objects.filter(id=made[9].id).update(excluded_reason="too short")
    ann, other, third = make_annotators(project, 3)
    for user in (other, third):
        for item in made[:4]:
            _label(item, user)
    mine = [_label(item, ann, "negative") for item in made[4:7]]
    Annotation.objects.filter(id=mine[0].id).update(created_at=timezone.now() - timedelta(days=1, hours=1))
    services.item_skip(item=made[7], user=ann)
    return project, made, ann, other


def test_mine_counts_the_callers_annotations_today_and_what_is_left_for_them(client_for, team):
    project, made, ann, other = team
    body = client_for(ann).get(f"/api/v1/projects/{project.id}/stats").json()
    # Left for ann: items 0-3 are full, 4-6 theirs, 7 skipped, 9 excluded: only item 8.
    assert body["mine"] == {"annotations": 3, "today": 2, "remaining": 1}
    # For the other annotator: 4-8 are under k and not theirs (ann's items have one vote of two).
    assert client_for(other).get(f"/api/v1/projects/{project.id}/stats").json()["mine"] == {
        "annotations": 4, "today": 4, "remaining": 5,
    }


def test_an_edit_neither_adds_an_annotation_nor_frees_an_item(client_for, team):
    project, made, ann, _ = team
    latest = Annotation.objects.filter(annotator=ann).order_by("-id").first()
    latest.item.project = project
    services.annotation_revise(annotation=latest, editor=ann, role=Role.ANNOTATOR, value={"label": "positive"})
    assert client_for(ann).get(f"/api/v1/projects/{project.id}/stats").json()["mine"] == {
        "annotations": 3, "today": 2, "remaining": 1,
    }


def test_a_manager_who_labels_nothing_sees_the_whole_open_pool(client_for, team, manager):
    project, made, _, _ = team
    factories.make_member(project, manager, Role.MANAGER)
    body = client_for(manager).get(f"/api/v1/projects/{project.id}/stats").json()
    assert body["mine"] == {"annotations": 0, "today": 0, "remaining": 5}  # items 4-8
    assert body["annotations"] == 11  # project-wide for managers


def test_the_stats_with_mine_stay_three_queries(client_for, team, django_assert_max_num_queries):
    project, _, ann, _ = team
    # the project with the caller's role; the item figures (remaining included); the grouped annotations
    with django_assert_max_num_queries(3):
        body = client_for(ann).get(f"/api/v1/projects/{project.id}/stats").json()
    assert body["mine"]["remaining"] == 1
