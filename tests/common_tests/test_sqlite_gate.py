"""The SQLite write gate (common/sqlite_gate.py) with real file locks, two "connections" in two threads:
an import's chunk holds the bulk side, an annotator's submit waits for that chunk only, and the import
lets a waiting submit go before its next chunk."""
from __future__ import annotations

import threading
import time

import pytest

from common import sqlite_gate
from common.sqlite_gate import WriteGate


def test_a_writer_waits_for_the_bulk_transaction_in_flight_and_goes_as_it_ends(tmp_path):
    bulk, writer = WriteGate(str(tmp_path / "db")), WriteGate(str(tmp_path / "db"))
    bulk.bulk_enter()
    entered = threading.Event()

    def submit():
        writer.writer_enter(timeout_s=10)
        entered.set()

    thread = threading.Thread(target=submit)
    thread.start()
    assert not entered.wait(0.2)  # the chunk is in flight
    assert bulk.writers_waiting()  # ... and the import can see the submit waiting
    bulk.leave()  # the chunk commits
    assert entered.wait(1.0)
    thread.join()
    writer.leave()
    assert not bulk.writers_waiting()
    bulk.close(), writer.close()


def test_the_bulk_writer_lets_a_waiting_writer_go_first(tmp_path, monkeypatch):
    bulk, writer = WriteGate(str(tmp_path / "db")), WriteGate(str(tmp_path / "db"))
    writer.writer_enter(timeout_s=10)  # a submit in its transaction
    order = []

    def next_chunk():
        bulk.bulk_enter()
        order.append("chunk")
        bulk.leave()

    thread = threading.Thread(target=next_chunk)
    thread.start()
    time.sleep(0.1)
    order.append("submit")
    writer.leave()
    thread.join(2)
    assert order == ["submit", "chunk"]
    bulk.close(), writer.close()


def test_the_bulk_writer_waits_for_writers_only_so_long(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_gate, "YIELD_CAP_S", 0.05)
    bulk, writer = WriteGate(str(tmp_path / "db")), WriteGate(str(tmp_path / "db"))
    writer.writer_enter(timeout_s=10)  # a writer that never finishes
    started = time.monotonic()
    bulk.bulk_enter()  # goes anyway after the cap: an import progresses under a steady stream of submits
    assert 0.04 <= time.monotonic() - started < 1
    bulk.close(), writer.close()


def test_a_writer_gives_up_waiting_at_its_timeout(tmp_path):
    bulk, writer = WriteGate(str(tmp_path / "db")), WriteGate(str(tmp_path / "db"))
    bulk.bulk_enter()
    started = time.monotonic()
    writer.writer_enter(timeout_s=0.05)  # then SQLite's own busy timeout decides
    assert 0.04 <= time.monotonic() - started < 1
    bulk.close(), writer.close()


def test_ordinary_writers_go_one_after_another_within_a_millisecond_of_each_other(tmp_path):
    first, second = WriteGate(str(tmp_path / "db")), WriteGate(str(tmp_path / "db"))
    first.writer_enter(timeout_s=10)
    entered = threading.Event()
    thread = threading.Thread(target=lambda: (second.writer_enter(timeout_s=10), entered.set()))
    thread.start()
    assert not entered.wait(0.1)  # the first writer's transaction is open
    released = time.monotonic()
    first.leave()
    assert entered.wait(1.0)
    waited = time.monotonic() - released
    thread.join()
    assert waited < 0.5  # SQLite's busy handler would have slept up to 100 ms steps; the poll is 1 ms
    second.leave()
    first.close(), second.close()


@pytest.fixture
def sqlite_file_alias(tmp_path, django_db_blocker):
    """A file SQLite database on Django's connections with the embedded default's engine and options,
    whatever DATABASE_URL says (each thread gets its own connection to it)."""
    from django.db import connections

    alias = "gate_test"
    connections.settings[alias] = {
        "ENGINE": "common.sqlite_backend", "NAME": str(tmp_path / "gate.sqlite3"), "USER": "", "PASSWORD": "",
        "HOST": "", "PORT": "", "ATOMIC_REQUESTS": False, "AUTOCOMMIT": True, "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False, "TIME_ZONE": None, "TEST": {},
        "OPTIONS": {"timeout": 10, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
    }
    with django_db_blocker.unblock():  # a database of the test's own, not the test database
        with connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE t (n integer)")
        connections[alias].close()
        yield alias
        connections[alias].close()
    del connections.settings[alias]


def test_through_django_an_annotators_write_waits_for_the_import_chunk_only_and_the_import_sees_it(sqlite_file_alias):
    from django.db import connections, transaction

    alias = sqlite_file_alias
    chunk_open, submit_waiting, submitted = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def submit():
        chunk_open.wait(5)
        submit_waiting.set()
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (2)")
        submitted.set()
        connections[alias].close()

    thread = threading.Thread(target=submit)
    thread.start()
    bulk = connections[alias]
    bulk.bulk_writer = True
    try:
        with transaction.atomic(using=alias), bulk.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
            chunk_open.set()
            submit_waiting.wait(5)
            time.sleep(0.2)
            seen["waiting"] = bulk.writers_waiting()
            seen["submitted_during_chunk"] = submitted.is_set()
        assert submitted.wait(2)  # within the poll of the chunk's commit, not SQLite's next retry
    finally:
        bulk.bulk_writer = False
        thread.join(5)
    assert seen == {"waiting": True, "submitted_during_chunk": False}
    with bulk.cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        assert cursor.fetchall() == [(1,), (2,)]
    bulk.close()
