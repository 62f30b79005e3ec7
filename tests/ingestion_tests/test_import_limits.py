"""Each import limit through the service and the API, with its setting: what the upload shows is 413
(nothing spooled, no job); what only reading shows fails the job in the survey pass, nothing stored;
a text or a row over the character limit is a skipped row with its number, and the rest imports."""
from __future__ import annotations

import io
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import override_settings

from common.models import JobStatus
from ingestion.models import ImportJob
from ingestion.services import import_create, import_execute
from projects.models import Item


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    """This test's own upload folder, so "nothing spooled" means this test's upload."""
    settings.UPLOAD_DIR = tmp_path / "uploads"


def run_import(project, path, **options):
    job = import_create(project=project, file=path, dispatch=False, **options)
    import_execute(job_id=job.id)
    job.refresh_from_db()
    return job


@pytest.mark.django_db
@override_settings(DATAMOAT_IMPORT_MAX_TEXT_CHARS=20)
def test_a_text_over_the_limit_is_a_skipped_row_and_the_rest_imports(project, write):
    job = run_import(project, write("a.csv", "text\nshort one\n" + "x" * 21 + "\nanother short\n"))
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.created_count, job.skipped_rows) == (2, 1)
    assert job.row_errors == [
        {"row": 2, "message": "The text is 21 characters long; the limit is 20 (DATAMOAT_IMPORT_MAX_TEXT_CHARS)."}
    ]
    assert sorted(Item.objects.values_list("text", flat=True)) == ["another short", "short one"]


@pytest.mark.django_db
@override_settings(DATAMOAT_IMPORT_MAX_DEPTH=3)
def test_a_record_nested_deeper_than_the_limit_is_a_skipped_row(project, write_jsonl):
    path = write_jsonl("a.jsonl", [{"text": "a", "m": {"k": [1]}}, {"text": "b", "m": {"k": [[1]]}}])
    job = run_import(project, path)
    assert (job.created_count, job.skipped_rows) == (1, 1)
    assert job.row_errors[0] == {"row": 2, "message": "The field 'm' nests deeper than 3 levels (DATAMOAT_IMPORT_MAX_DEPTH)."}


@pytest.mark.django_db
@override_settings(DATAMOAT_IMPORT_MAX_ROWS=3, IMPORT_CHUNK_ROWS=1)
def test_more_rows_than_the_limit_fail_the_job_before_anything_is_stored(project, write):
    job = run_import(project, write("a.txt", "a\nb\nc\nd\n"))
    assert job.status == JobStatus.FAILED
    assert job.error == (
        "The file holds more than 3 rows, the limit of one import (DATAMOAT_IMPORT_MAX_ROWS); split it into parts."
    )
    assert Item.objects.count() == 0 and job.progress_done == 0


@pytest.mark.django_db
@override_settings(DATAMOAT_IMPORT_MAX_ROWS=3)
def test_a_parquet_footer_over_the_row_limit_is_413_at_upload(project, manager, client_for, write_parquet, settings):
    path = write_parquet("a.parquet", {"text": ["a", "b", "c", "d"]})
    response = _upload(client_for(manager), project.id, path)
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    assert "DATAMOAT_IMPORT_MAX_ROWS" in response.json()["error"]["message"]
    assert ImportJob.objects.count() == 0 and _spooled(settings, project) == []


@pytest.mark.django_db
@override_settings(DATAMOAT_IMPORT_MAX_DECODED_BYTES=100)
def test_a_text_file_over_the_decoded_bytes_limit_is_413_at_upload(project, manager, client_for, write, settings):
    response = _upload(client_for(manager), project.id, write("a.txt", "x\n" * 51))
    assert response.status_code == 413
    assert "DATAMOAT_IMPORT_MAX_DECODED_BYTES" in response.json()["error"]["message"]
    assert ImportJob.objects.count() == 0 and _spooled(settings, project) == []


@pytest.mark.django_db
def test_a_few_kb_of_parquet_holding_one_huge_text_is_413_at_upload(project, manager, client_for, tmp_path, settings):
    """The issue's bomb was one 300 MB text in 10 KB of zstd; 30 MB in 1 KB here (the same rule, a
    tenth of the test's time). It never becomes an item: the footer shows its column decompresses to
    more than one row may hold, before a page of it is read."""
    path = tmp_path / "bomb.parquet"
    pq.write_table(pa.table({"text": pa.array(["b" * (30 * 1024 * 1024)])}), path, compression="zstd")
    assert os.path.getsize(path) < 5_000
    response = _upload(client_for(manager), project.id, path)
    assert response.status_code == 413, response.json()
    assert "decompresses to 31,45" in response.json()["error"]["message"]
    assert ImportJob.objects.count() == 0 and Item.objects.count() == 0 and _spooled(settings, project) == []


@pytest.mark.django_db
@override_settings(DATAMOAT_IMPORT_MAX_DECODED_BYTES=200_000)
def test_a_parquet_file_that_decodes_past_the_limit_fails_its_job_with_nothing_stored(project, tmp_path):
    """Dictionary-encoded: every row names one 1000-byte value, so the footer cannot tell (its pages
    are small); the survey sizes each batch in Arrow and stops the import before any row is stored."""
    path = tmp_path / "bomb.parquet"
    column = pa.DictionaryArray.from_arrays(pa.array([0] * 1000, pa.int32()), pa.array(["a" * 1000]))
    pq.write_table(pa.table({"text": column}), path, compression="zstd")
    job = run_import(project, path)
    assert job.status == JobStatus.FAILED
    assert "over the limit of 200,000 bytes" in job.error and "DATAMOAT_IMPORT_MAX_DECODED_BYTES" in job.error
    assert Item.objects.count() == 0


@pytest.mark.django_db
@override_settings(DATAMOAT_IMPORT_MAX_TEXT_CHARS=100)
def test_parquet_rows_past_what_a_row_may_hold_are_skipped_rows(project, tmp_path):
    path = tmp_path / "rows.parquet"
    big = "a" * (12 * 100 + 65536 + 1)  # past Limits.row_bytes: refused before it is decoded
    column = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int32()), pa.array(["fine", big]))
    pq.write_table(pa.table({"text": column}), path)
    job = run_import(project, path)
    assert job.status == JobStatus.SUCCEEDED and (job.created_count, job.duplicate_count, job.skipped_rows) == (1, 1, 1)
    assert job.row_errors[0]["row"] == 2 and "decodes to 66,737 bytes" in job.row_errors[0]["message"]


def _upload(client, project_id, path):
    file = io.BytesIO(open(path, "rb").read())
    file.name = os.path.basename(path)
    return client.post(f"/api/v1/projects/{project_id}/imports", {"file": file}, format="multipart")


def _spooled(settings, project) -> list[str]:
    folder = settings.UPLOAD_DIR / f"project-{project.id}"
    return os.listdir(folder) if folder.exists() else []
