"""Fair turns at SQLite's one write lock between a bulk writer (an import) and everyone else (issue 13).

SQLite lets one writer in at a time; a writer that finds the lock taken sleeps in SQLite's busy
handler, in steps growing to 100 ms, and tries again. An import commits a chunk and begins the next
within microseconds, so an annotator's submit kept missing the free moments: p95 864 ms, max 1.5 s,
during a 100k-row import on a quiet machine (bench/bench_http.py). Two advisory file locks beside the
database (``flock``: the kernel drops them with a dead process) hand the turns over instead:

- ``<db>-intent.lock``: every ordinary writer holds it shared from before its ``BEGIN`` to its
  ``COMMIT``/``ROLLBACK``. A bulk writer, before each transaction, waits (polling every millisecond,
  at most ``YIELD_CAP_S``) until it could take it exclusively: until no ordinary writer is waiting or
  writing.
- ``<db>-bulk.lock``: a bulk writer holds it exclusively for each transaction. An ordinary writer
  waits until it could take it shared (polling every millisecond, at most the database timeout)
  before its ``BEGIN``: so it waits for the chunk in flight only, not for SQLite's next retry.

- ``<db>-write.lock``: ordinary writers hold it exclusively for their transaction, taken after the
  two above (polling every millisecond, at most the database timeout): one writer after another, each
  within a millisecond of the previous one's commit, where SQLite's busy handler would sleep 1, 2, 5,
  10... 25, 50, 100 ms between tries (four annotators at once on the embedded default: p95 67 ms).

Readers take none of them (WAL: they never wait). In-memory databases (tests) have no gate. The locks
say nothing about correctness: SQLite's own lock still serialises writers; the gate only orders them.
"""
from __future__ import annotations

import fcntl
import os
import time

POLL_S = 0.001
YIELD_CAP_S = 0.5  # a bulk writer's longest wait for ordinary writers, per transaction: it must progress too


def _try(fd: int, mode: int) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


class WriteGate:
    """One connection's side of the gate (one file descriptor per lock: ``flock`` locks belong to open
    files, so two connections of one process, in two threads, exclude each other as two processes do)."""

    def __init__(self, database_path: str):
        self.intent = os.open(f"{database_path}-intent.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.bulk = os.open(f"{database_path}-bulk.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.write = os.open(f"{database_path}-write.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.held: list[int] = []  # the fds this connection holds for its transaction

    def writer_enter(self, timeout_s: float) -> None:
        """An ordinary writer, before BEGIN: announce the intent, then wait out a bulk transaction in flight."""
        fcntl.flock(self.intent, fcntl.LOCK_SH)  # bulk writers only test it: at most microseconds
        self.held.append(self.intent)
        deadline = time.monotonic() + timeout_s
        while not _try(self.bulk, fcntl.LOCK_SH):
            if time.monotonic() >= deadline:
                return  # SQLite's own busy timeout decides from here
            time.sleep(POLL_S)
        fcntl.flock(self.bulk, fcntl.LOCK_UN)
        while not _try(self.write, fcntl.LOCK_EX):
            if time.monotonic() >= deadline:
                return
            time.sleep(POLL_S)
        self.held.append(self.write)

    def bulk_enter(self) -> None:
        """A bulk writer, before BEGIN: let waiting ordinary writers go first (bounded), then hold the turn."""
        deadline = time.monotonic() + YIELD_CAP_S
        while not _try(self.intent, fcntl.LOCK_EX):
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_S)
        else:
            fcntl.flock(self.intent, fcntl.LOCK_UN)
        fcntl.flock(self.bulk, fcntl.LOCK_EX)  # only bulk writers take it exclusively: another import's chunk
        self.held.append(self.bulk)

    def writers_waiting(self) -> bool:
        if _try(self.intent, fcntl.LOCK_EX):
            fcntl.flock(self.intent, fcntl.LOCK_UN)
            return False
        return True

    def leave(self) -> None:
        while self.held:
            fcntl.flock(self.held.pop(), fcntl.LOCK_UN)

    def close(self) -> None:
        self.leave()
        for fd in (self.intent, self.bulk, self.write):
            os.close(fd)
