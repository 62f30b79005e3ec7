"""annotation.imported.annotations_import: external annotations by named sources, counted once."""
from __future__ import annotations

import pytest

from annotation.imported import annotations_import
from annotation.models import Annotation
from tests import factories


@pytest.mark.django_db
def test_it_creates_annotations_by_sources_and_bumps_item_counters(project):
    a, b = factories.make_items(project, ["a", "b"])
    rows = [(a.id, "gold", {"label": "positive"}), (a.id, "rater_1", {"label": "negative"}),
            (b.id, "gold", {"label": "negative"}), (a.id, "gold", {"label": "negative"})]
    assert annotations_import(project=project, rows=rows) == 3
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.annotation_count, b.annotation_count) == (2, 1)
    assert Annotation.objects.get(item=a, source="gold").label == "positive"  # first value for a pair wins
    assert {x.author_key for x in Annotation.objects.filter(item=a)} == {"source:gold", "source:rater_1"}


@pytest.mark.django_db
def test_it_skips_pairs_that_already_exist(project):
    (a,) = factories.make_items(project, ["a"])
    annotations_import(project=project, rows=[(a.id, "gold", {"label": "positive"})])
    assert annotations_import(project=project, rows=[(a.id, "gold", {"label": "negative"})]) == 0
    a.refresh_from_db()
    assert a.annotation_count == 1 and Annotation.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_label_outside_the_project(project):
    (a,) = factories.make_items(project, ["a"])
    with pytest.raises(ValueError, match="not a value of this project's labels"):
        annotations_import(project=project, rows=[(a.id, "gold", {"label": "neutral"})])
