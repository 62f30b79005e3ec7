"""Django's PostgreSQL backend, its connection health check skipped for a connection that finished a
request within the last RECENTLY_USED_S seconds: the PostgreSQL engine of ``DATABASE_URL``.

Kept connections (CONN_MAX_AGE) are health-checked (CONN_HEALTH_CHECKS) so that one PostgreSQL dropped
while it sat idle (a restart, an idle timeout) is replaced before a request uses it. Django checks with a
``SELECT 1`` round trip at every request's first query: 13% of a web worker's time under four annotators'
next+submit (py-spy, bench/bench_http.py's loop), one round trip of six. A connection that answered a
moment ago is as good as checked; one that psycopg already knows is closed or broken is checked anyway.
"""
from __future__ import annotations

import time

from django.db.backends.postgresql import base

RECENTLY_USED_S = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _request_ended_at = float("-inf")

    def close_if_health_check_failed(self):
        conn = self.connection
        if (conn is not None and not conn.closed and not conn.broken
                and time.monotonic() - self._request_ended_at < RECENTLY_USED_S):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self):
        # Called at a request's start and end (and a Celery task's); health_check_done says whether the
        # connection served a query since the previous call: so at an end that used it, not at a start.
        used = self.health_check_done
        super().close_if_unusable_or_obsolete()
        if used and self.connection is not None:
            self._request_ended_at = time.monotonic()
