"""Django's SQLite backend with the write gate (``common.sqlite_gate``): the embedded default's engine.

Every transaction of a file database passes the gate at its ``BEGIN`` (Django opens one per outermost
``atomic``; settings make it ``BEGIN IMMEDIATE``, so the write lock is asked for there) and leaves it
at ``COMMIT`` or ``ROLLBACK``. A connection marked ``bulk_writer`` (an import's, by
``ingestion.inserts.SqliteBulkWrites``) takes the bulk side. Statements outside a transaction
(autocommit) pass no gate.
"""
from __future__ import annotations

from django.db.backends.sqlite3 import base

from common.sqlite_gate import WriteGate


class DatabaseWrapper(base.DatabaseWrapper):
    bulk_writer = False
    _gate: WriteGate | None = None

    def _write_gate(self) -> WriteGate | None:
        if self._gate is None and not self.is_in_memory_db():
            self._gate = WriteGate(str(self.settings_dict["NAME"]))
        return self._gate

    def _start_transaction_under_autocommit(self):
        gate = self._write_gate()
        if gate is not None:
            if self.bulk_writer:
                gate.bulk_enter()
            else:
                gate.writer_enter(float(self.settings_dict["OPTIONS"].get("timeout", 5)))
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._gate_leave()
            raise

    def writers_waiting(self) -> bool:
        """Whether an ordinary writer is waiting for (or holding) the write lock; False without a gate."""
        gate = self._write_gate()
        return gate is not None and gate.writers_waiting()

    def _gate_leave(self) -> None:
        if self._gate is not None:
            self._gate.leave()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._gate_leave()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._gate_leave()

    def _close(self):
        try:
            return super()._close()
        finally:
            if self._gate is not None:
                self._gate.close()
                self._gate = None
