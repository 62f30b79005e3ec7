"""An import racing another writer of the same text (PostgreSQL): the fast insert path (anti-join,
plain INSERT) meets the unique index, and the chunk falls back to ON CONFLICT without losing a row."""
from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection, connections

from common.models import JobStatus
from ingestion.models import ImportJob
from ingestion.services import import_create, import_run
from projects.models import Item
from projects.services import content_hash


def _raw_connection() -> psycopg.Connection:
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params)


def _wait_until_blocked(watcher: psycopg.Connection, thread: threading.Thread) -> None:
    """Poll (with queries, not sleeps) until a backend of this database waits on a row lock."""
    for _ in range(100_000):
        (waiting,) = watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if waiting or not thread.is_alive():
            return
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

        def run() -> None:
            try:
                import_run(job_id=job.id)
            finally:
                connections.close_all()

        thread = threading.Thread(target=run)
        thread.start()
        _wait_until_blocked(watcher, thread)
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
