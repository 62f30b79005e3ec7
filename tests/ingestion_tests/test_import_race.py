"""An import racing another writer of the same text (PostgreSQL): the fast insert path (anti-join,
plain INSERT) meets the unique index, and the chunk falls back to ON CONFLICT without losing a row."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection, connections

from common.models import JobStatus
from ingestion.models import ImportJob
from ingestion.services import import_create, import_execute
from projects.models import Item
from projects.services import content_hash


def _raw_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params)


def _wait_until_blocked(watcher: psycopg.Connection, thread: threading.Thread, pid: int) -> None:
    """Poll, pausing 10 ms in the database between checks, until the import's backend ``pid`` waits on
    a lock (or the import ended), for at most 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = watcher.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
        if (row and row[0] == "Lock") or not thread.is_alive():
            return
        watcher.execute("SELECT pg_sleep(0.01)")
    raise AssertionError("the import never waited on the other transaction")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("requires_postgres")
@pytest.mark.parametrize("label_field", [None, "label"])
def test_a_text_another_transaction_commits_mid_chunk_is_a_duplicate_not_an_error(project, write, label_field):
    path = write("a.csv", "text,label\nshared,positive\nown,negative\n")
    job = import_create(project=project, file=path, label_field=label_field, dispatch=False)
    other, watcher = _raw_connection(), _raw_connection()
    watcher.autocommit = True
    try:
        other.execute(
            "INSERT INTO projects_item (project_id, text, raw_text, meta, content_hash, excluded_reason, "
            "annotation_count, created_at) VALUES (%s, 'shared', 'shared', '{}', %s, '', 0, now())",
            [project.id, content_hash("shared")],
        )

        backend: list[int] = []
        connected = threading.Event()

        def run() -> None:
            try:
                with connection.cursor() as cursor:  # this thread's own connection, the import's
                    cursor.execute("SELECT pg_backend_pid()")
                    backend.append(cursor.fetchone()[0])
                connected.set()
                import_execute(job_id=job.id)
            finally:
                connected.set()
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        assert connected.wait(timeout=30) and backend, "the import thread did not connect"
        _wait_until_blocked(watcher, thread, backend[0])
        other.commit()  # the import's plain INSERT now meets the committed "shared"
        thread.join(timeout=60)
    finally:
        other.close()
        watcher.close()

    job = ImportJob.objects.get(id=job.id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert (job.created_count, job.duplicate_count) == (1, 1)
    assert Item.objects.filter(project=project).count() == 2
    shared, own = Item.objects.get(text="shared"), Item.objects.get(text="own")
    assert shared.import_job_id is None and own.import_job_id == job.id
    if label_field:
        # the label of the racing text still lands on the existing item, counted once
        assert job.annotation_count == 2
        assert (shared.annotation_count, own.annotation_count) == (1, 1)
