"""Bulk insert of one chunk of items, returning which texts were new.

PostgreSQL: the chunk, encoded for COPY by the reader thread (``copy_payload``), goes in by the one
bulk-insert recipe (``common.bulk.StagedInsert``: COPY into a staging table, an anti-join INSERT that
returns the new rows, ON CONFLICT only when a concurrent import raced us). New items are inserted with their annotation counter
already set, so a labelled import never UPDATEs them. Measured on this machine (2 shared cores, load
2.5-4, one 100k-row statement, best of 3): heap and primary key 0.35 s, the unique index 0.3 s (0.5 s
with ON CONFLICT), the queue index 0.1 s, the import_job index 0.15 s, the project and import_job
foreign-key checks 0.3 s and 0.4 s (at commit: Django's constraints are deferred); the single-column
project index, which the unique and queue indexes made redundant, is gone (0.05 s). Elsewhere (SQLite,
whose writers are serialised by the IMMEDIATE transaction) the existing hashes are read first and only
new rows are bulk-created. ORM ``bulk_create`` cannot say which rows ``ignore_conflicts`` skipped.

SQLite (the embedded default): one ``executemany`` of a plain INSERT with ``ON CONFLICT DO NOTHING`` on
the unique (project, content_hash) index, its rows built by the reader thread (``sqlite_rows``), then
the new rows read back by id: the chunk's transaction is IMMEDIATE, so it holds SQLite's one write
lock from its start and every row with an id above the largest id seen at its start is this chunk's.
Profiled on 100k rows (issue 13): the ORM's ``bulk_create`` spent ~80% of the import building model
instances and preparing ten field values each, in the thread that holds the write lock, and the
look-up of existing hashes another ~8%; SQLite's own work was ~7%.
"""
from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.bulk import StagedInsert, copy_text, sqlite_insert_ids
from projects.models import Item

_UNIQUE = "item_unique_content_per_project"

# SQLite's default cap on bound variables is 32766; stay well under it for IN lists.
_IN_BATCH = 5000


def existing_items(*, project_id: int, hashes: list[str]) -> dict[str, tuple[int, int | None]]:
    """content_hash → (item id, import_job id) for the hashes already in the project."""
    found: dict[str, tuple[int, int | None]] = {}
    for start in range(0, len(hashes), _IN_BATCH):
        batch = hashes[start : start + _IN_BATCH]
        rows = Item.objects.filter(project_id=project_id, content_hash__in=batch).values_list(
            "content_hash", "id", "import_job_id"
        )
        found.update({h: (item_id, job_id) for h, item_id, job_id in rows})
    return found


def items_insert_new(
    *,
    project_id: int,
    job_id: int,
    entries: dict[str, tuple[str, dict, dict]],
    counts: Mapping[str, int] | None = None,
    payload: bytes | list | None = None,
) -> dict[str, int]:
    """Insert the entries (content_hash → (text, meta, hidden)) whose hash is not in the project yet, in the
    dict's order, each with ``annotation_count`` = ``counts.get(hash, 0)`` (the annotations the caller
    is about to add to it in the same transaction). Returns content_hash → id for the rows inserted.
    ``payload`` is ``copy_payload(entries, counts)`` for PostgreSQL, ``sqlite_rows(entries, counts)`` for
    SQLite, computed ahead (both are pure).
    Call inside a transaction."""
    if not entries:
        return {}
    if connection.vendor == "postgresql":
        if payload is None:
            payload = copy_payload(entries, counts)
        with transaction.atomic():  # the staging temp table is emptied ON COMMIT: never autocommit here
            return _insert_postgres(project_id=project_id, job_id=job_id, payload=payload)
    if connection.vendor == "sqlite":
        with transaction.atomic():  # the write lock held from the first read of the largest id
            return _insert_sqlite(project_id=project_id, job_id=job_id,
                                  rows=payload if payload is not None else sqlite_rows(entries, counts))
    return _insert_orm(project_id=project_id, job_id=job_id, entries=entries, counts=counts or {})


_dumps_ascii = json.JSONEncoder().encode  # what Django's JSONField stores: json.dumps' defaults


def sqlite_rows(entries: dict[str, tuple[str, dict, dict]], counts: Mapping[str, int] | None = None) -> list[tuple]:
    """The chunk as SQLite INSERT parameters (text, meta, hidden, content_hash, annotation_count), in
    the dict's order. Pure: the import's reader thread builds them ahead."""
    counts = counts or {}
    return [
        (text, _dumps_ascii(meta) if meta else "{}", _dumps_ascii(hidden) if hidden else "{}", digest,
         counts.get(digest, 0))
        for digest, (text, meta, hidden) in entries.items()
    ]


@functools.cache
def _sqlite_insert() -> str:
    table = connection.ops.quote_name(Item._meta.db_table)
    return (
        f"INSERT INTO {table} (text, raw_text, meta, hidden, content_hash, annotation_count, project_id, "
        "excluded_reason, import_job_id, created_at) "
        "VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?8) ON CONFLICT (project_id, content_hash) DO NOTHING"
    )


def _insert_sqlite(*, project_id: int, job_id: int, rows: list[tuple[Any, ...]]) -> dict[str, int]:
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    constant = (project_id, job_id, now)
    # Reading the new ids back by "id > before AND project_id = ..." let the planner walk the project's
    # index, every item of the project per chunk (23% of an import's time at 500-row chunks).
    inserted = sqlite_insert_ids(table=connection.ops.quote_name(Item._meta.db_table), insert=_sqlite_insert(),
                                 rows=[row + constant for row in rows], key=3, key_column="content_hash")
    return {digest: item_id for item_id, digest in inserted}


_encode_json = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per row as json.dumps


def _copy_json(value: dict) -> str:
    """A JSON object as a COPY text-format value."""
    if not value:
        return "{}"
    encoded = _encode_json(value)
    if "\\u0000" in encoded:  # jsonb refuses NUL; in a meta value it is noise, dropped
        encoded = _encode_json(_without_nul(value))
    if "\\" in encoded:  # JSON escapes; JSON text holds no raw tab, newline or CR
        encoded = encoded.replace("\\", "\\\\")
    return encoded


def copy_payload(entries: dict[str, tuple[str, dict, dict]], counts: Mapping[str, int] | None = None) -> bytes:
    """The chunk as COPY text-format rows (position, content_hash, text, meta, hidden, annotation_count).
    Pure: the import's reader thread builds it while the database works on the chunk before."""
    counts = counts or {}
    lines = []
    add = lines.append
    for position, (digest, (text, meta, hidden)) in enumerate(entries.items()):
        add(
            f"{position}\t{digest}\t{copy_text(text)}\t{_copy_json(meta)}\t{_copy_json(hidden)}\t"
            f"{counts.get(digest, 0)}\n"
        )
    return "".join(lines).encode()


def _insert_postgres(*, project_id: int, job_id: int, payload: bytes) -> dict[str, int]:
    return dict(_items_recipe().run(payload=payload, params=[project_id, job_id, timezone.now()],
                                    absent_params=[project_id]))


@functools.cache
def _items_recipe() -> StagedInsert:
    table = connection.ops.quote_name(Item._meta.db_table)
    return StagedInsert(
        staging="dm_import_items",
        staging_columns="position int, content_hash text, text text, meta jsonb, hidden jsonb, annotation_count int",
        insert=(
            f"INSERT INTO {table} (project_id, text, raw_text, meta, hidden, content_hash, excluded_reason, "
            "annotation_count, import_job_id, created_at) "
            "SELECT %s, text, text, meta, hidden, content_hash, '', annotation_count, %s, %s "
            "FROM dm_import_items AS chunk "
        ),
        absent=f"SELECT 1 FROM {table} AS item WHERE item.project_id = %s AND item.content_hash = chunk.content_hash",
        conflict="(project_id, content_hash) DO NOTHING",
        constraint=_UNIQUE,
        returning="content_hash, id",
    )


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


SQLITE_IMPORT_CACHE_KB = 64 * 1024
# Once the WAL passes this size after an import's commit, the import's checkpoint thread copies it into
# the database; everyone else's connections checkpoint only past SQLITE_WAL_AUTOCHECKPOINT_PAGES (settings).
SQLITE_IMPORT_CHECKPOINT_BYTES = 16 * 1024 * 1024
# An import's transaction on SQLite takes chunk after chunk (of DATAMOAT_SQLITE_IMPORT_CHUNK_ROWS) up to
# this many rows while nobody else waits to write: few commits when alone (each rewrites the random-keyed
# unique index's pages), a free lock within one chunk's insert when an annotator submits. Measured on
# 100k rows, SQLite alone: one transaction per 500 rows 22.9k rows/s, per 2,000 39.5k, per 8,000 47.3k.
SQLITE_IMPORT_TRANSACTION_ROWS = 8000


class SqliteBulkWrites:
    """An import's connection on SQLite for the length of the import (``with SqliteBulkWrites() as bulk``;
    on other databases it does nothing):

    - a page cache of SQLITE_IMPORT_CACHE_KB: SQLite's default is 2 MB, while the unique (project,
      content_hash) index of 100k items is several times that and its keys (hashes) arrive in random
      order, so most inserts would read and write index pages back and forth through the OS;
    - the bulk side of the write gate (``common.sqlite_gate``): before each chunk, waiting writers go first;
    - the WAL checkpointed on the import's behalf (``after_chunk``) by a thread of its own with a
      connection of its own, beside the inserts (SQLite lets a checkpoint run while a writer appends):
      with SQLite's default (a checkpoint by whichever commit finds the WAL past 1,000 pages), an
      annotator's submit after an import chunk paid for copying the chunk's pages into the database;
      done by the import's own connection between chunks, it cost the import 7% of its time.
    """

    def __init__(self):
        self.active = connection.vendor == "sqlite"
        # Chunks the reader may prepare ahead: on SQLite a transaction takes the ready ones.
        self.prefetch_depth = SQLITE_IMPORT_TRANSACTION_ROWS // settings.IMPORT_CHUNK_ROWS + 1 if self.active else 2

    def __enter__(self) -> SqliteBulkWrites:
        if self.active:
            connection.ensure_connection()
            self.wal = f"{connection.settings_dict['NAME']}-wal"
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KB}")
                cursor.execute("PRAGMA wal_autocheckpoint = 0")
            connection.bulk_writer = True
            self.checkpointer = _Checkpointer(str(connection.settings_dict["NAME"]))
            if not connection.is_in_memory_db():
                self.checkpointer.start()
        return self

    def join_next(self, prepared, rows: int) -> bool:
        """Whether the import's transaction in progress, holding ``rows`` rows so far, should take the
        next prepared chunk too (SQLite only): it is ready (the write lock is never held waiting for
        the reader), the transaction is under SQLITE_IMPORT_TRANSACTION_ROWS, and no other writer waits."""
        return (self.active and rows + settings.IMPORT_CHUNK_ROWS <= SQLITE_IMPORT_TRANSACTION_ROWS
                and prepared.ready() and not connection.writers_waiting())

    def after_chunk(self) -> None:
        """Checkpoint (PASSIVE: never waits for readers or writers) once the WAL has grown past
        SQLITE_IMPORT_CHECKPOINT_BYTES. Call between chunks, outside any transaction."""
        if not self.active:
            return
        try:
            size = os.path.getsize(self.wal)
        except OSError:
            return
        if size > SQLITE_IMPORT_CHECKPOINT_BYTES:
            self.checkpointer.wanted.set()

    def __exit__(self, *exc) -> None:
        if not self.active:
            return
        self.checkpointer.stop()
        connection.bulk_writer = False
        if connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -2000")
                cursor.execute(f"PRAGMA wal_autocheckpoint = {settings.SQLITE_WAL_AUTOCHECKPOINT_PAGES}")


class _Checkpointer(threading.Thread):
    """PASSIVE checkpoints of one SQLite file on request (``wanted``), from a connection of its own. A
    checkpoint that fails (the file went away, a busy lock) is skipped: the next one, or SQLite's own
    autocheckpoint, copies those pages."""

    def __init__(self, path: str):
        super().__init__(name="import-checkpoint", daemon=True)
        self.path = path
        self.wanted = threading.Event()
        self.stopping = False

    def run(self) -> None:
        try:
            db = sqlite3.connect(self.path, timeout=1, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            while True:
                self.wanted.wait()
                if self.stopping:
                    return
                self.wanted.clear()
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    pass
        finally:
            db.close()

    def stop(self) -> None:
        self.stopping = True
        self.wanted.set()
        if self.is_alive():
            self.join()


def relax_durability() -> None:
    """Let the current transaction commit without waiting for its WAL flush (PostgreSQL only).

    Safe for import chunks: re-running an import inserts nothing twice, and the job's final
    ``job_succeed`` commits durably, which flushes every earlier chunk's WAL with it. Measured here:
    about 25% more rows/s when the disk is busy."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _insert_orm(
    *, project_id: int, job_id: int, entries: dict[str, tuple[str, dict, dict]], counts: Mapping[str, int]
) -> dict[str, int]:
    known = existing_items(project_id=project_id, hashes=list(entries))
    items = [
        Item(
            project_id=project_id,
            text=text,
            raw_text=text,
            meta=meta,
            hidden=hidden,
            content_hash=digest,
            annotation_count=counts.get(digest, 0),
            import_job_id=job_id,
        )
        for digest, (text, meta, hidden) in entries.items()
        if digest not in known
    ]
    Item.objects.bulk_create(items, batch_size=1000)
    return {item.content_hash: item.id for item in items}
