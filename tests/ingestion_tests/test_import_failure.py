"""An import that fails part-way keeps nothing: its own items, and the labels it added to items that
were already in the project, are undone with the counters; a retry then runs as a clean run would.
Also: rows that cannot be stored (a lone surrogate) are skipped rows, and a job that cannot be created
leaves no spooled file behind."""
from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test import override_settings

import ingestion.services as import_services
from accounts.models import User
from annotation.imported import annotations_import
from annotation.models import Annotation
from common.models import JobStatus
from ingestion.models import ImportedAnnotation, ImportJob
from ingestion.readers import survey
from ingestion.services import import_create, import_execute, import_retry
from projects.models import Item
from tests import factories

# Rows in chunks of two: "shared" (already in the project) and "a" commit in the first chunk, the
# third row fails the second chunk.
CSV = "text,label,rater\nshared,positive,r1\na,negative,r1\nboom,positive,r1\nz,negative,r2\n"


def _refuse_text_boom() -> None:
    """A real database error on inserting the item 'boom' (a trigger), on either backend."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION dm_test_boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.text = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER dm_test_boom BEFORE INSERT ON projects_item FOR EACH ROW EXECUTE FUNCTION dm_test_boom()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER dm_test_boom BEFORE INSERT ON projects_item WHEN NEW.text = 'boom' "
                "BEGIN SELECT RAISE(ABORT, 'boom'); END"
            )


def _allow_text_boom() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER dm_test_boom" + (" ON projects_item" if connection.vendor == "postgresql" else ""))


def _state(project):
    items = {i.text: (i.annotation_count, i.import_job_id is not None) for i in Item.objects.filter(project=project)}
    annotations = sorted(Annotation.objects.filter(project=project).values_list("item__text", "source", "label"))
    return items, annotations


def _project_with_a_labelled_text():
    project = factories.make_project()
    (shared,) = factories.make_items(project, ["shared"])
    annotations_import(project=project, rows=[(shared.id, "vader", {"label": "negative"})])
    return project


OPTIONS = [{"label_field": "label"}, {"label_field": "label", "annotator_field": "rater"}]


@pytest.mark.django_db
@override_settings(IMPORT_CHUNK_ROWS=2)
@pytest.mark.parametrize("options", OPTIONS, ids=["label_field", "annotator_field"])
def test_a_database_error_mid_import_undoes_its_items_and_its_labels_on_existing_items(write, options):
    project = _project_with_a_labelled_text()
    before = _state(project)
    path = write("a.csv", CSV)
    _refuse_text_boom()
    job = import_create(project=project, file=path, dispatch=False, **options)
    import_execute(job_id=job.id)
    job.refresh_from_db()

    assert job.status == JobStatus.FAILED
    assert "unexpected error" in job.error and "Nothing of it was kept" in job.error
    assert _state(project) == before  # "shared" keeps only its own label, counted once
    assert (job.created_count, job.annotation_count) == (0, 0)
    assert not ImportedAnnotation.objects.exists()

    _allow_text_boom()
    import_retry(job=job, dispatch=False)
    import_execute(job_id=job.id)
    job.refresh_from_db()
    clean = factories.make_project(name="clean")
    (shared,) = factories.make_items(clean, ["shared"])
    annotations_import(project=clean, rows=[(shared.id, "vader", {"label": "negative"})])
    reference = import_create(project=clean, file=path, dispatch=False, **options)
    import_execute(job_id=reference.id)
    reference.refresh_from_db()

    assert job.status == reference.status == JobStatus.SUCCEEDED
    assert _state(project) == _state(clean)
    assert _state(project)[0]["shared"] == (2, False)
    counters = ("created_count", "duplicate_count", "annotation_count", "skipped_rows")
    assert [getattr(job, c) for c in counters] == [getattr(reference, c) for c in counters]
    assert not ImportedAnnotation.objects.exists()  # nothing left to undo once it succeeded


@pytest.mark.django_db
@override_settings(IMPORT_CHUNK_ROWS=2)
def test_a_reader_error_the_survey_missed_undoes_its_labels_on_existing_items(write_jsonl, monkeypatch):
    project = _project_with_a_labelled_text()
    before = _state(project)

    def survey_then_the_file_changes(path, **kwargs):
        total = survey(path, **kwargs)
        with open(path, "ab") as handle:  # the spooled file changes after the validation pass
            handle.write('{"text": "caf\xe9", "label": "positive"}\n'.encode("latin-1"))
        return total

    monkeypatch.setattr(import_services, "survey", survey_then_the_file_changes)
    # Lines are decoded one by one, so the bad bytes are met after two chunks are stored.
    rows = [("shared", "positive"), ("a", "negative"), ("b", "positive"), ("z", "negative")]
    path = write_jsonl("a.jsonl", [{"text": text, "label": label} for text, label in rows])
    job = import_create(project=project, file=path, label_field="label", dispatch=False)
    import_execute(job_id=job.id)
    job.refresh_from_db()

    assert job.status == JobStatus.FAILED
    assert "not valid UTF-8" in job.error and "Nothing of this import was kept" in job.error
    assert _state(project) == before
    assert not ImportedAnnotation.objects.exists()


@pytest.mark.django_db
def test_a_text_or_value_that_cannot_be_utf8_is_a_skipped_row_and_the_rest_imports(project, write):
    path = write(
        "a.jsonl",
        '{"text": "good"}\n{"text": "bad \\ud800"}\n{"text": "fine", "source": "x\\udc00"}\n{"text": "also good"}\n',
    )
    job = import_create(project=project, file=path, dispatch=False)
    import_execute(job_id=job.id)
    job.refresh_from_db()

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.created_count, job.skipped_rows) == (2, 2)
    assert [e["row"] for e in job.row_errors] == [2, 3]
    assert "cannot be stored as UTF-8" in job.row_errors[0]["message"]
    assert sorted(Item.objects.values_list("text", flat=True)) == ["also good", "good"]


@pytest.mark.django_db
def test_a_job_that_cannot_be_created_leaves_no_spooled_file(project, write, settings, tmp_path):
    settings.UPLOAD_DIR = tmp_path / "uploads"
    unsaved = User(username="ghost")  # refusing it is the database layer's job, before any row exists
    with pytest.raises(ValueError):
        import_create(project=project, file=write("a.txt", "x\n"), created_by=unsaved, dispatch=False)
    assert ImportJob.objects.count() == 0
    assert os.listdir(settings.UPLOAD_DIR / f"project-{project.id}") == []
