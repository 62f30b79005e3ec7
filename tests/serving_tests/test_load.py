"""Under load, the served app answers every request and holds no more database connections than its bound.

`manage.py serve --no-worker` (the web server exactly as `make run` starts it: gunicorn, gthread) on
the PostgreSQL test database with DATAMOAT_DB_MAX_CONNECTIONS=6; 200 parallel sign-ins while 16
annotators loop next+submit; a sampler reads pg_stat_activity every 20 ms. Before this, Django's
development server answered such a storm with resets and 500s once PostgreSQL's 100 connections
were taken (issue 12: 174 of 200 sign-ins failed).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Count

from accounts.models import User
from accounts.roles import Role
from annotation.models import Annotation
from bench.common import free_port, login_storm_and_labeling, wait_for_port
from projects.models import Membership
from tests import factories

REPO = Path(__file__).resolve().parents[2]
BOUND = 6  # 2 web processes x 3 threads
LOGINS, ANNOTATORS, ITERATIONS = 200, 16, 25
PASSWORD = "load-test-password-1"

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _test_database_url() -> str:
    """DATABASE_URL with the pytest test database's name, so the server sees what the test wrote."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def _others_connected() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                       " AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]


@pytest.fixture
def served(tmp_path):
    """The port of `manage.py serve --no-worker` on the test database; stopped (and its connections
    gone, so the test database can be flushed) afterwards."""
    if not settings.IS_POSTGRES:
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (the bound is on PostgreSQL connections)")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "platform"), str(REPO)]),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",  # MD5 hashing, sign-in throttles out of the way
        "DATABASE_URL": _test_database_url(),
        "DATAMOAT_DATA_DIR": str(settings.DATA_DIR),
        "DATAMOAT_DB_MAX_CONNECTIONS": str(BOUND),
        "DATAMOAT_WEB_WORKERS": "2",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--no-worker", "--addr", f"127.0.0.1:{port}"],
            cwd=REPO, env=env, stdout=out, stderr=out, start_new_session=True,
        )
    try:
        wait_for_port(port, process=process)
        yield port, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        deadline = time.monotonic() + 30
        while _others_connected() and time.monotonic() < deadline:
            time.sleep(0.1)  # a poll interval: PostgreSQL ends a backend when its client is gone


def test_a_login_storm_beside_16_annotators_gets_no_5xx_within_the_connection_bound(served):
    port, log = served
    project = factories.make_project(name="load")
    factories.make_items(project, [f"load item {i}" for i in range(ANNOTATORS * ITERATIONS + 50)])
    encoded = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [User(username=f"load{i}", password=encoded) for i in range(LOGINS + ANNOTATORS)]
    )
    annotators = users[LOGINS:]
    Membership.objects.bulk_create([Membership(project=project, user=u, role=Role.ANNOTATOR) for u in annotators])
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        own = cursor.fetchone()[0]

    result = login_storm_and_labeling(
        port,
        logins=[u.username for u in users[:LOGINS]],
        annotators=[u.username for u in annotators],
        password=PASSWORD,
        project_id=project.id,
        iterations=ITERATIONS,
        conninfo={k: v for k, v in connection.get_connection_params().items()
                  if k in {"dbname", "user", "password", "host", "port"}},
        exclude_pids=(own,),
        labels=tuple(project.labels),
    )

    print(f"load: {result.statuses} in {result.wall_s:.1f} s, peak {result.peak_connections} connections,"
          f" {len(result.latencies_ms)} next+submit")
    assert f"database connections at most {BOUND}" in log.read_text()
    assert result.server_errors == 0, result.statuses
    # Every sign-in (200 + the annotators' own), every next (200) and every annotation (201) went through.
    assert result.statuses == {200: LOGINS + ANNOTATORS + ANNOTATORS * ITERATIONS, 201: ANNOTATORS * ITERATIONS}
    assert 0 < result.peak_connections <= BOUND
    assert Annotation.objects.filter(project=project).count() == ANNOTATORS * ITERATIONS
    assert not Annotation.objects.filter(project=project).values("item_id").annotate(n=Count("id")).filter(n__gt=1)
