"""A real Celery worker (Redis broker, PostgreSQL) is killed with SIGKILL in the middle of a large
import; the reaper then fails the job AND removes every item and annotation it had committed; the
retry, on a fresh worker, imports the whole file exactly once. This is the issue's "half import"
(60,000 of 200,000 rows left behind, a version built on them, a retry counting 140,000 annotations),
driven as it happened: through the API, a worker process, a kill -9.
"""
from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from annotation.models import Annotation
from common.jobs import jobs_reap_stale
from ingestion.models import ImportJob
from projects.models import Item

REPO = Path(__file__).resolve().parents[2]
ROWS = 200_000
CHUNK_ROWS = 1000  # the worker commits a chunk at a time
GATE_ROW = 60_001  # the worker is held in the chunk that inserts this row: 60 chunks are committed
GATE_LOCK = 860_412  # a PostgreSQL advisory lock key of this test's own
DEADLINE_S = 300

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _skip_reason() -> str | None:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "needs a Redis broker: set CELERY_BROKER_URL=redis://... (as `make test` in CI does)"
    if not settings.IS_POSTGRES:
        return "needs PostgreSQL so the worker process shares the test database: set DATABASE_URL=postgres://..."
    return None


def _env() -> dict:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "platform"), str(REPO)]),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"])),
        "DATAMOAT_DATA_DIR": str(settings.DATA_DIR),  # the spooled upload is a shared file
        "DATAMOAT_IMPORT_CHUNK_ROWS": str(CHUNK_ROWS),
    }


@contextmanager
def _worker(log: Path):
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [*celery, "worker", "-Q", "default", "-c", "1", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=_env(), cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _poll(what: str, until, process, log: Path, deadline: float):
    """Poll ``until()`` (a database read) until it returns something true; fail with the worker's log."""
    while True:
        found = until()
        if found:
            return found
        if process is not None and process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} by the deadline:\n{log.read_text()[-4000:]}")
        time.sleep(0.05)  # a poll interval, not a wait for an outcome


@contextmanager
def _gate_at_row(row: int):
    """Hold the worker inside the chunk that inserts data row ``row`` (1-based) until the block ends,
    so what happens next lands mid-file on any machine, however loaded: a trigger on the item insert
    takes an advisory lock that this test's connection holds. Removed on the way out (the test
    database outlives the test)."""
    text = _text(row - 1)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION dm_test_gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF NEW.text = '{text}' THEN PERFORM pg_advisory_xact_lock({GATE_LOCK}); END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER dm_test_gate BEFORE INSERT ON projects_item FOR EACH ROW EXECUTE FUNCTION dm_test_gate()"
        )
        cursor.execute("SELECT pg_advisory_lock(%s)", [GATE_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [GATE_LOCK])
            cursor.execute("DROP TRIGGER IF EXISTS dm_test_gate ON projects_item")
            cursor.execute("DROP FUNCTION IF EXISTS dm_test_gate()")


def _held_at_the_gate() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND NOT granted", [GATE_LOCK]
        )
        return cursor.fetchone()[0] > 0


def _text(i: int) -> str:
    return f"review number {i}: {'great' if i % 2 else 'dull'} film, {i * 7919 % 104729}"


def _big_csv(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label", "row_id"])
    for i in range(rows):
        writer.writerow([_text(i), "positive" if i % 2 else "negative", f"r{i}"])
    return out.getvalue().encode()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_file_leaves_nothing_after_reaping_and_the_retry_imports_the_file_once(
    client_for, admin, tmp_path
):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    subprocess.run([sys.executable, "-m", "celery", "-A", "config", "purge", "-f", "-Q", "default"],
                   env=_env(), cwd=REPO, check=False, capture_output=True, timeout=60)
    deadline = time.monotonic() + DEADLINE_S
    log = tmp_path / "worker.log"
    client = client_for(admin)
    project = client.post("/api/v1/projects", {"name": "Killed import", "task_type": "classification",
                                               "labels": ["positive", "negative"]}, format="json").json()
    upload = SimpleUploadedFile("big.csv", _big_csv(ROWS), content_type="text/csv")
    response = client.post(f"/api/v1/projects/{project['id']}/imports",
                           {"file": upload, "label_field": "label", "hidden_fields": "row_id"}, format="multipart")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    of_job = Item.objects.filter(import_job_id=job_id)

    with _gate_at_row(GATE_ROW), _worker(log) as process:
        # Held mid-file with 60 chunks committed, the worker is killed: no cleanup of any kind runs.
        _poll("the worker at the gate", _held_at_the_gate, process, log, deadline)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    left = of_job.count()
    assert left == 60_000, left  # the half import: 60,000 of 200,000 rows
    assert Annotation.objects.filter(item__import_job_id=job_id).count() == left
    job = ImportJob.objects.get(id=job_id)
    assert job.status == "running"
    refused = client.post(f"/api/v1/projects/{project['id']}/versions", {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "import_in_progress"

    # The reaper (its beat task runs every minute with a 5-minute threshold; here at once).
    assert jobs_reap_stale(stale_after=timedelta(0)) == 1
    job.refresh_from_db()
    assert job.status == "failed" and "stopped reporting" in job.error
    assert of_job.count() == 0 and Item.objects.filter(project_id=project["id"]).count() == 0
    assert Annotation.objects.filter(project_id=project["id"]).count() == 0

    retried = client.post(f"/api/v1/imports/{job_id}/retry")
    assert retried.status_code == 202, retried.content
    with _worker(log) as process:
        _poll("the retry's end", lambda: ImportJob.objects.filter(id=job_id, status__in=["succeeded", "failed"])
              .exists(), process, log, deadline)
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert body["status"] == "succeeded", body
    assert (body["created"], body["duplicates"], body["annotations"], body["skipped_rows"]) == (ROWS, 0, ROWS, 0)
    assert Item.objects.filter(project_id=project["id"]).count() == ROWS
    assert Annotation.objects.filter(project_id=project["id"]).count() == ROWS
    assert ImportJob.objects.get(id=job_id).attempts == 2
    sample = Item.objects.filter(project_id=project["id"]).order_by("id").first()
    assert "row_id" in sample.hidden and "row_id" not in sample.meta


@pytest.mark.django_db(transaction=True)
def test_an_import_cancelled_mid_file_is_undone_by_its_worker(client_for, admin, tmp_path):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    subprocess.run([sys.executable, "-m", "celery", "-A", "config", "purge", "-f", "-Q", "default"],
                   env=_env(), cwd=REPO, check=False, capture_output=True, timeout=60)
    deadline = time.monotonic() + DEADLINE_S
    log = tmp_path / "worker.log"
    client = client_for(admin)
    project = client.post("/api/v1/projects", {"name": "Cancelled import", "task_type": "classification",
                                               "labels": ["positive", "negative"]}, format="json").json()
    upload = SimpleUploadedFile("big.csv", _big_csv(ROWS), content_type="text/csv")
    job_id = client.post(f"/api/v1/projects/{project['id']}/imports", {"file": upload, "label_field": "label"},
                         format="multipart").json()["id"]
    of_job = Item.objects.filter(import_job_id=job_id)

    with _worker(log) as process:
        with _gate_at_row(GATE_ROW):
            _poll("the worker at the gate", _held_at_the_gate, process, log, deadline)
            assert of_job.count() == 60_000
            cancelled = client.post(f"/api/v1/imports/{job_id}/cancel")
            assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
        # Let go: the worker's chunk in flight finds the job cancelled and rolls back; the worker undoes
        # what the job had committed and clears its heartbeat.
        _poll("the worker's undo", lambda: ImportJob.objects.filter(id=job_id, heartbeat_at__isnull=True).exists(),
              process, log, deadline)
        assert process.poll() is None  # alive, and free for the next task
    body = client.get(f"/api/v1/imports/{job_id}").json()
    assert body["status"] == "cancelled" and (body["created"], body["annotations"]) == (0, 0)
    assert of_job.count() == 0 and Annotation.objects.filter(project_id=project["id"]).count() == 0
    assert body["progress"]["done"] < ROWS
