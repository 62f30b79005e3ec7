"""The chunk insert hands back the ids of exactly the items it created (on SQLite read back as "every id
above the largest before the chunk", under the chunk's write lock): labels land on their own items, an
item of another project inserted meanwhile is never taken for the import's, and values round-trip."""
from __future__ import annotations

import pytest
from django.test import override_settings

from annotation.models import Annotation
from common.models import JobStatus
from ingestion.services import import_create, import_execute
from projects.models import Item
from tests import factories


def run_import(project, path, **options):
    job = import_create(project=project, file=path, dispatch=False, **options)
    import_execute(job_id=job.id)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
@override_settings(IMPORT_CHUNK_ROWS=2)
def test_labels_land_on_their_own_items_across_chunks(project, write):
    factories.make_items(project, ["kept before"])
    factories.make_items(factories.make_project(), ["another project's text"])
    rows = [("één", "positive"), ("two", "negative"), ("kept before", "negative"), ("vier ✓", "positive"),
            ("two", "negative"), ("five", "negative")]
    path = write("a.csv", "text,label,note\n" + "".join(f"{t},{lab},n{i}\n" for i, (t, lab) in enumerate(rows)))
    job = run_import(project, path, label_field="label", label_source="gold")

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.created_count, job.duplicate_count, job.annotation_count) == (4, 2, 5)
    items = list(Item.objects.filter(import_job_id=job.id).order_by("id"))
    assert [(i.text, i.meta, i.annotation_count) for i in items] == [
        ("één", {"note": "n0"}, 1), ("two", {"note": "n1"}, 1), ("vier ✓", {"note": "n3"}, 1), ("five", {"note": "n5"}, 1),
    ]
    labels = dict(Annotation.objects.filter(item__project=project).values_list("item__text", "label"))
    assert labels == {"één": "positive", "two": "negative", "kept before": "negative", "vier ✓": "positive",
                      "five": "negative"}
    assert Item.objects.get(text="another project's text").annotation_count == 0


@pytest.mark.django_db
@override_settings(IMPORT_CHUNK_ROWS=2)
def test_a_second_project_importing_the_same_texts_gets_items_of_its_own(project, write):
    path = write("a.csv", "text\nalpha\nbeta\ngamma\n")
    first = run_import(project, path)
    other = factories.make_project()
    second = run_import(other, path)
    assert (first.created_count, second.created_count) == (3, 3)
    assert set(Item.objects.filter(import_job_id=second.id).values_list("project_id", flat=True)) == {other.id}
