"""A kept PostgreSQL connection is health-checked before a request uses it, unless it served a request
within the last second (common/postgresql_backend): a connection dropped while idle is replaced, and a
busy one pays no `SELECT 1` per request."""
from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connections

from common import postgresql_backend  # noqa: F401 - the package of the engine under test
from common.postgresql_backend import base


def _terminate(pid: int) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    conninfo = psycopg.conninfo.make_conninfo(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
                                              host=db["HOST"] or None, port=db["PORT"] or None)
    with psycopg.connect(conninfo, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _request(conn) -> int:
    """What a request does to the connection: start, a query, end. Returns the backend's pid."""
    conn.close_if_unusable_or_obsolete()
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    conn.close_if_unusable_or_obsolete()
    return pid


@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_while_idle_is_replaced_and_a_busy_one_is_not_checked(requires_postgres, monkeypatch):
    conn = connections.create_connection("default")
    conn.settings_dict["CONN_MAX_AGE"] = 600
    conn.settings_dict["CONN_HEALTH_CHECKS"] = True
    try:
        first = _request(conn)
        checks = []
        monkeypatch.setattr(base.DatabaseWrapper, "is_usable", lambda self: checks.append(1) or True)
        assert _request(conn) == first and checks == []  # used a moment ago: no round trip

        monkeypatch.undo()
        monkeypatch.setattr(base, "RECENTLY_USED_S", 0.05)
        _terminate(first)
        time.sleep(0.1)
        assert _request(conn) != first  # idle past the window: checked, found dead, replaced
    finally:
        conn.close()
