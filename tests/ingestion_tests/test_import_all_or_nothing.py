"""An import is all or nothing whatever stops it: reaped (its worker killed), cancelled while it runs,
or overtaken by another attempt. A version build waits for a project's unfinished import. (A real
worker killed with SIGKILL mid-file, and one cancelled mid-file: tests/worker_tests/
test_import_worker_killed.py.)"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from annotation.models import Annotation
from common.jobs import jobs_reap_stale
from common.models import JobStatus
from ingestion.models import ImportJob
from ingestion.services import import_cancel, import_create, import_execute, import_undo_cancelled
from projects.models import Item
from tests import factories

SPLIT = {"train": 0.8, "val": 0.1, "test": 0.1}
CSV = "text,label\na,positive\nb,negative\nc,positive\nd,negative\n"


def _as_if_running(job: ImportJob, *, heartbeat_age: timedelta | None) -> None:
    """The job mid-file: running, its items in, beating its heart ``heartbeat_age`` ago (None: never)."""
    beat = None if heartbeat_age is None else timezone.now() - heartbeat_age
    ImportJob.objects.filter(id=job.id).update(status=JobStatus.RUNNING, heartbeat_at=beat)


@pytest.mark.django_db
def test_the_reaper_leaves_an_import_that_beats_its_heart_alone(project, write):
    job = import_create(project=project, file=write("a.csv", CSV), label_field="label", dispatch=False)
    import_execute(job_id=job.id)
    _as_if_running(job, heartbeat_age=timedelta(seconds=1))
    assert jobs_reap_stale() == 0
    assert Item.objects.count() == 4 and Annotation.objects.count() == 4


@pytest.mark.django_db
def test_the_reaper_undoes_a_stale_import_in_the_transaction_that_fails_it(project, write):
    job = import_create(project=project, file=write("a.csv", CSV), label_field="label", dispatch=False)
    import_execute(job_id=job.id)
    _as_if_running(job, heartbeat_age=timedelta(hours=1))
    assert jobs_reap_stale() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "stopped reporting" in job.error
    assert Item.objects.count() == 0 and Annotation.objects.count() == 0


@pytest.mark.django_db
def test_a_running_import_cancelled_as_its_worker_died_is_undone_by_the_reaper_once(
    project, manager, client_for, write
):
    other = import_create(project=project, file=write("b.txt", "kept\n"), dispatch=False)
    import_execute(job_id=other.id)
    job = import_create(project=project, file=write("a.csv", CSV), label_field="label", dispatch=False)
    import_execute(job_id=job.id)
    _as_if_running(job, heartbeat_age=timedelta(seconds=1))

    response = client_for(manager).post(f"/api/v1/imports/{job.id}/cancel")
    assert response.status_code == 202 and response.json()["status"] == "cancelled"
    assert Item.objects.count() == 5  # a live worker undoes at its next chunk; this one is dead

    assert jobs_reap_stale(stale_after=timedelta(0)) == 0  # nothing failed: the cancelled job is undone
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and job.heartbeat_at is None
    assert (job.created_count, job.annotation_count) == (0, 0)
    assert list(Item.objects.values_list("text", flat=True)) == ["kept"] and Annotation.objects.count() == 0
    assert import_undo_cancelled(job=job) is False  # once


@pytest.mark.django_db
def test_the_reaper_leaves_an_import_cancelled_while_queued_alone(project, write):
    queued = import_create(project=project, file=write("a.txt", "x\n"), dispatch=False)
    import_cancel(job=queued)
    # An item that names the job: undoing the job by mistake would delete it.
    (item,) = factories.make_items(project, ["named after the job"])
    Item.objects.filter(id=item.id).update(import_job_id=queued.id)
    assert jobs_reap_stale(stale_after=timedelta(0)) == 0
    assert Item.objects.filter(id=item.id).exists()


def _overtake_at(text: str) -> None:
    """A trigger: inserting ``text`` bumps every import's attempt number, as a retry that claimed the job
    meanwhile would (in the same transaction, so it only shows the chunk that it is no longer its)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION dm_test_overtake() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.text = '{text}' THEN UPDATE ingestion_importjob SET attempts = attempts + 1; END IF; "
                "RETURN NEW; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER dm_test_overtake AFTER INSERT ON projects_item FOR EACH ROW "
                "EXECUTE FUNCTION dm_test_overtake()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER dm_test_overtake AFTER INSERT ON projects_item WHEN NEW.text = '{text}' "
                "BEGIN UPDATE ingestion_importjob SET attempts = attempts + 1; END"
            )


@pytest.mark.django_db
@override_settings(IMPORT_CHUNK_ROWS=2)
def test_a_chunk_of_an_attempt_that_no_longer_owns_the_job_is_rolled_back(project, write, monkeypatch):
    monkeypatch.setattr("ingestion.inserts.SQLITE_IMPORT_TRANSACTION_ROWS", 2)  # one chunk per transaction
    job = import_create(project=project, file=write("a.csv", CSV), label_field="label", dispatch=False)
    _overtake_at("c")  # the second chunk
    import_execute(job_id=job.id)
    job.refresh_from_db()
    # The first chunk committed while the attempt owned the job; the second never did, and the worker
    # stopped: the job is left to whoever owns it now (here: nobody, a test).
    assert sorted(Item.objects.values_list("text", flat=True)) == ["a", "b"]
    assert Annotation.objects.count() == 2
    assert job.status == JobStatus.RUNNING and job.progress_done == 2


@pytest.mark.django_db
@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_a_version_build_refuses_a_project_with_an_unfinished_import(project, manager, client_for, write, status):
    finished = import_create(project=project, file=write("a.csv", CSV), label_field="label", dispatch=False)
    import_execute(job_id=finished.id)
    unfinished = import_create(project=project, file=write("b.txt", "more\n"), dispatch=False)
    ImportJob.objects.filter(id=unfinished.id).update(status=status)

    response = client_for(manager).post(f"/api/v1/projects/{project.id}/versions", {"split": SPLIT}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "import_in_progress" and f"#{unfinished.id}" in error["message"]

    ImportJob.objects.filter(id=unfinished.id).update(status=JobStatus.FAILED)
    response = client_for(manager).post(f"/api/v1/projects/{project.id}/versions", {"split": SPLIT}, format="json")
    assert response.status_code == 202, response.json()
