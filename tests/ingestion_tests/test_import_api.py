"""The import endpoints: 202 with the job object, role checks, 413/415 envelopes, keyset list."""
from __future__ import annotations

import io

import pytest
from django.test import override_settings

from ingestion.models import ImportJob
from ingestion.services import import_create, import_execute
from projects.models import Item
from tests import factories


def upload(client, project_id, content: bytes = b"text\nhello\nworld\n", name="reviews.csv", **fields):
    file = io.BytesIO(content)
    file.name = name
    return client.post(f"/api/v1/projects/{project_id}/imports", {"file": file, **fields}, format="multipart")


@pytest.mark.django_db
def test_manager_uploads_a_file_and_gets_202_with_the_job_dispatched_on_commit(
    project, manager, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client_for(manager), project.id, label_field="label")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == {"done": 0, "total": 0}
    assert body["project"] == project.id and body["format"] == "csv" and body["file_name"] == "reviews.csv"
    assert body["options"] == {"text_field": "text", "label_field": "label", "annotator_field": None, "hidden_fields": []}
    assert {k: body[k] for k in ("created", "duplicates", "annotations", "skipped_rows", "errors")} == {
        "created": 0, "duplicates": 0, "annotations": 0, "skipped_rows": 0, "errors": []
    }
    assert set(body) >= {"id", "error", "created_at", "finished_at"}
    assert len(callbacks) == 1  # the Celery task, sent only once the job row is committed


@pytest.mark.django_db
def test_admin_uploads_and_then_reads_the_finished_job(project, admin, client_for, write):
    client = client_for(admin)
    job_id = upload(client, project.id, content=b"text,label\na,\na,\n\n,x\n", name="x.csv").json()["id"]
    import_execute(job_id=job_id)
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert body["status"] == "succeeded" and body["progress"] == {"done": 3, "total": 3}
    assert (body["created"], body["duplicates"], body["skipped_rows"]) == (1, 1, 1)
    assert body["errors"] == [{"row": 3, "message": "The text is empty."}]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["annotator", "reviewer"])
def test_annotators_and_reviewers_cannot_import(project, client_for, request, persona):
    response = upload(client_for(request.getfixturevalue(persona)), project.id)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_outsider_cannot_import_and_sees_404(project, outsider, client_for):
    assert upload(client_for(outsider), project.id).status_code == 404


@pytest.mark.django_db
def test_anonymous_cannot_import(project, client_for):
    response = upload(client_for(None), project.id)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.django_db
def test_an_unknown_format_is_415_with_the_envelope(project, manager, client_for):
    response = upload(client_for(manager), project.id, name="book.xlsx")
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "unsupported_format" and "xlsx" in error["message"] and "format" in error["fields"]
    response = upload(client_for(manager), project.id, format="yaml")
    assert response.status_code == 415


@pytest.mark.django_db
@override_settings(DATAMOAT_MAX_UPLOAD_BYTES=10)
def test_a_file_over_the_limit_is_413_with_the_envelope(project, manager, client_for):
    response = upload(client_for(manager), project.id, content=b"text\n" + b"x" * 20 + b"\n")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


@pytest.mark.django_db
def test_a_request_without_a_file_is_400(project, manager, client_for):
    response = client_for(manager).post(f"/api/v1/projects/{project.id}/imports", {"format": "csv"}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"file": ["Required."]}


@pytest.mark.django_db
def test_the_format_field_overrides_the_file_name(project, manager, client_for):
    response = upload(client_for(manager), project.id, content=b'{"text": "a", "label": ["positive"]}\n',
                      name="export.jsonl", format="doccano")
    assert response.status_code == 202 and response.json()["format"] == "doccano"


def _jobs(project, n, write):
    path = write("a.txt", "x\n")
    return [import_create(project=project, file=path, dispatch=False) for _ in range(n)]


@pytest.mark.django_db
def test_manager_lists_imports_newest_first_by_keyset_in_constant_queries(
    project, manager, client_for, write, django_assert_max_num_queries
):
    jobs = _jobs(project, 5, write)
    client = client_for(manager)
    with django_assert_max_num_queries(3):
        first = client.get(f"/api/v1/projects/{project.id}/imports?page_size=3").json()
    assert [j["id"] for j in first["results"]] == [j.id for j in reversed(jobs)][:3]
    second = client.get(first["next"]).json()
    assert [j["id"] for j in second["results"]] == [jobs[1].id, jobs[0].id] and second["next"] is None


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "expected"), [("admin", 200), ("manager", 200), ("reviewer", 403),
                                                   ("annotator", 403), ("outsider", 404)])
def test_who_may_list_and_read_imports(project, client_for, request, write, persona, expected):
    (job,) = _jobs(project, 1, write)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(f"/api/v1/projects/{project.id}/imports").status_code == expected
    assert client.get(f"/api/v1/imports/{job.id}").status_code == expected


@pytest.mark.django_db
def test_anonymous_cannot_list_or_read_imports(project, client_for, write):
    (job,) = _jobs(project, 1, write)
    assert client_for(None).get(f"/api/v1/projects/{project.id}/imports").status_code == 401
    assert client_for(None).get(f"/api/v1/imports/{job.id}").status_code == 401


@pytest.mark.django_db
def test_an_import_of_another_project_is_404_for_its_non_members(project, manager, client_for, write):
    other = factories.make_project(name="other")
    (job,) = _jobs(other, 1, write)
    assert client_for(manager).get(f"/api/v1/imports/{job.id}").status_code == 404
    assert client_for(manager).get("/api/v1/imports/999999").status_code == 404


@pytest.mark.django_db
def test_manager_retries_a_failed_import_and_cannot_retry_a_finished_one(
    project, manager, client_for, write, django_capture_on_commit_callbacks
):
    job = import_create(project=project, file=write("a.csv", "body\nx\n"), dispatch=False)
    import_execute(job_id=job.id)  # no text column: failed
    client = client_for(manager)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(f"/api/v1/imports/{job.id}/retry")
    assert response.status_code == 202 and response.json()["status"] == "queued" and len(callbacks) == 1
    assert client.post(f"/api/v1/imports/{job.id}/retry").json()["error"]["code"] == "not_failed"


@pytest.mark.django_db
def test_manager_cancels_a_queued_import_and_annotator_cannot(project, manager, annotator, client_for, write):
    (job,) = _jobs(project, 1, write)
    assert client_for(annotator).post(f"/api/v1/imports/{job.id}/cancel").status_code == 403
    response = client_for(manager).post(f"/api/v1/imports/{job.id}/cancel")
    assert response.status_code == 202 and response.json()["status"] == "cancelled"
    assert client_for(manager).post(f"/api/v1/imports/{job.id}/cancel").status_code == 409
    assert Item.objects.count() == 0
