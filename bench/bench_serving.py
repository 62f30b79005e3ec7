"""Serving: keep-alive against new connections, and database connections under a login storm.

1. Keep-alive (any database): 50 sequential ``GET /api/v1/me`` on one kept connection (``http.client``,
   as every browser keeps its connection) beside 50 with a new connection each, through Django's
   ``runserver`` (what ``make run`` served with before) and through ``manage.py serve --no-worker``
   (gunicorn, as ``make run`` serves now). Before: ~48 ms kept against ~2.4 ms new, a ~40 ms stall per
   request, the signature of Nagle's algorithm meeting delayed ACKs. Best median of three rounds;
   target: kept <= 1.2 x new.
2. Connections (PostgreSQL), against four servers: runserver (before), ``serve`` (gthread 2 x 4, one
   kept connection per thread: the choice), the same gthread server with Django's psycopg pool (max 4
   per process; needs ``psycopg_pool``, else skipped) and 5 sync workers with a kept connection each.
   First one ``GET /me`` while 6 other connections are open and silent (Chrome preconnects sockets; a
   slow client is one): a sync worker waits on each of them. Then 4 annotators alone loop next+submit (``BENCH_SERVING_ITERATIONS`` each): the per-request cost;
   then the storm, 200 parallel logins while 16 annotators loop: 5xx and refused connections (target 0),
   the peak of ``pg_stat_activity`` for the database (target <= the bound where there is one),
   next+submit p95 and the wall time. Sign-ins use the MD5 hasher (a settings module written for the
   run): the load is on serving, not on PBKDF2.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import (
    REPO,
    Row,
    free_port,
    keepalive_vs_new_connection,
    latency_beside_idle_connections,
    login_storm_and_labeling,
    p95,
    requires_postgres,
    wait_for_port,
)

ITERATIONS = int(os.environ.get("BENCH_SERVING_ITERATIONS", "40"))
ROUNDS = 3
LOGINS = 200
ANNOTATORS = 16
QUIET_ANNOTATORS = 4  # first without the storm: the per-request cost of each set-up
IDLE = 6  # silent connections (a browser's preconnects, a slow client) beside one request
WORKERS, THREADS = 2, 4
BOUND = WORKERS * THREADS
SYNC_WORKERS = 5
PASSWORD = "bench-serving-pass-1"

_FAST_SIGN_IN = '''
from config.settings.local import *  # noqa: F403
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
'''
_POOL = _FAST_SIGN_IN + f'''
DATABASES["default"]["CONN_MAX_AGE"] = 0
DATABASES["default"].setdefault("OPTIONS", {{}})["pool"] = {{"min_size": 0, "max_size": {THREADS}, "timeout": 30}}
'''


@contextmanager
def _server(command: list[str], port: int, env: dict) -> Iterator[None]:
    """Run ``command`` in a process group of its own; stop the whole group on exit."""
    base = {**os.environ, "DJANGO_DEBUG": "false", "PYTHONPATH": f"{REPO / 'platform'}{os.pathsep}{REPO}",
            # Sign-in throttling (accounts) would answer the benchmark's own sign-ins 429.
            "DATAMOAT_LOGIN_THROTTLE_RATE": "1000000/min", "DATAMOAT_LOGIN_USER_THROTTLE_RATE": "1000000/min"}
    process = subprocess.Popen(command, cwd=REPO, env={**base, **env}, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, process=process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        try:
            os.killpg(process.pid, 9)
        except ProcessLookupError:
            pass


def _serve_command(port: int) -> list[str]:
    return [sys.executable, "manage.py", "serve", "--no-worker", "--addr", f"127.0.0.1:{port}"]


def _runserver_command(port: int) -> list[str]:
    return [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]


def _sign_in(port: int, username: str, password: str) -> str:
    import http.client
    import json

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/api/v1/auth/token", body=json.dumps({"username": username, "password": password}),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise RuntimeError(f"sign-in answered {response.status}: {body[:200]!r}")
    return json.loads(body)["token"]


def _keepalive_rows() -> list[Row]:
    from django.contrib.auth.hashers import make_password
    from django.db import DatabaseError, connection

    from accounts.models import User

    username = f"bench-serving-{time.time_ns()}"
    try:
        User.objects.create(username=username, password=make_password(PASSWORD))
    except DatabaseError as exc:
        return [Row("GET /me keep-alive", None, "ms", note=f"skipped: the database is not ready ({exc}); make migrate")]
    connection.close()
    rows: list[Row] = []
    try:
        for name, build in (("runserver (before)", _runserver_command), ("serve: gunicorn gthread", _serve_command)):
            port = free_port()
            env = {"DATAMOAT_DB_MAX_CONNECTIONS": str(BOUND), "DATAMOAT_WEB_WORKERS": str(WORKERS)}
            with _server(build(port), port, env):
                token = _sign_in(port, username, PASSWORD)
                # The best of three rounds: this machine's neighbours add noise, never speed.
                rounds = [keepalive_vs_new_connection(port, token) for _ in range(ROUNDS)]
            kept_ms = min(statistics.median(kept) for kept, _ in rounds)
            fresh_ms = min(statistics.median(fresh) for _, fresh in rounds)
            rows.append(Row(f"GET /me median, kept connection, {name}", kept_ms, "ms",
                            note=f"new connection each: {fresh_ms:.1f} ms (50 sequential requests, best of {ROUNDS})"))
            ratio = kept_ms / fresh_ms
            is_serve = name.startswith("serve")
            rows.append(Row(f"GET /me kept / new connection, {name}", ratio, "ratio",
                            "<= 1.2" if is_serve else "", (ratio <= 1.2) if is_serve else None))
    finally:
        User.objects.filter(username=username).delete()
    return rows


def _seed_load(tag: str):
    from django.contrib.auth.hashers import MD5PasswordHasher

    from accounts.models import User
    from accounts.roles import Role
    from projects.models import Item, Membership, Project
    from projects.services import content_hash

    encoded = MD5PasswordHasher().encode(PASSWORD, MD5PasswordHasher().salt())
    users = User.objects.bulk_create(
        [User(username=f"bench-serving-{tag}-{i}", password=encoded) for i in range(LOGINS + ANNOTATORS)]
    )
    project = Project.objects.create(name=f"bench serving {tag}", task_type="classification", labels=["a", "b"])
    texts = [f"bench serving {tag} item {i}" for i in range((ANNOTATORS + QUIET_ANNOTATORS) * ITERATIONS * 2)]
    Item.objects.bulk_create([Item(project=project, text=t, raw_text=t, content_hash=content_hash(t)) for t in texts])
    Membership.objects.bulk_create([Membership(project=project, user=u, role=Role.ANNOTATOR) for u in users[LOGINS:]])
    return project, [u.username for u in users[:LOGINS]], [u.username for u in users[LOGINS:]]


def _connection_rows() -> list[Row]:
    from django.db import connection
    from django.db.models import Q

    from accounts.models import User
    from projects.models import Project

    skipped = requires_postgres("login storm + labeling: PostgreSQL connections")
    if skipped:
        return skipped
    conninfo = {k: v for k, v in connection.get_connection_params().items() if k in {
        "dbname", "user", "password", "host", "port"}}
    folder = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    (folder / "bench_serving_fast.py").write_text(_FAST_SIGN_IN)
    (folder / "bench_serving_pool.py").write_text(_POOL)
    pythonpath = f"{folder}{os.pathsep}{REPO / 'platform'}{os.pathsep}{REPO}"
    fast = {"DJANGO_SETTINGS_MODULE": "bench_serving_fast", "PYTHONPATH": pythonpath,
            "DATAMOAT_DB_MAX_CONNECTIONS": str(BOUND), "DATAMOAT_WEB_WORKERS": str(WORKERS)}
    from common.management.commands.serve import web_command

    gthread = web_command(python=sys.executable, addr="127.0.0.1:{port}", workers=WORKERS, threads=THREADS)
    sync = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", "127.0.0.1:{port}", "--workers",
            str(SYNC_WORKERS), "--no-control-socket", "--log-level", "warning"]
    try:
        import psycopg_pool  # noqa: F401

        pool_missing = ""
    except ImportError:
        pool_missing = "skipped: psycopg_pool is not installed (pip install psycopg[pool])"
    setups = [
        ("runserver (before)", lambda port: _runserver_command(port), fast, None, ""),
        (f"serve: gthread {WORKERS}x{THREADS}, kept connection per thread", _serve_command, fast, BOUND, ""),
        (f"gthread {WORKERS}x{THREADS} + psycopg pool (max {THREADS}/process)",
         lambda port: [a.format(port=port) for a in gthread], {**fast, "DJANGO_SETTINGS_MODULE": "bench_serving_pool"},
         BOUND, pool_missing),
        (f"sync x{SYNC_WORKERS}, kept connection each", lambda port: [a.format(port=port) for a in sync], fast,
         SYNC_WORKERS, ""),
    ]
    rows: list[Row] = []
    projects = []
    try:
        for name, build, env, bound, skipped in setups:
            if skipped:
                rows.append(Row(f"{name}: storm 5xx and refused", None, "", note=skipped))
                continue
            tag = str(time.time_ns())
            project, logins, annotators = _seed_load(tag)
            projects.append(project.id)
            connection.close()
            port = free_port()
            with _server(build(port), port, env):
                idle_ms = latency_beside_idle_connections(port, _sign_in(port, annotators[-1], PASSWORD), idle=IDLE)
                # Warm-up: each thread's first requests import, connect and plan.
                login_storm_and_labeling(
                    port, logins=[], annotators=annotators[-QUIET_ANNOTATORS:], password=PASSWORD,
                    project_id=project.id, iterations=10, conninfo=conninfo,
                )
                quiet = login_storm_and_labeling(
                    port, logins=[], annotators=annotators[:QUIET_ANNOTATORS], password=PASSWORD,
                    project_id=project.id, iterations=ITERATIONS, conninfo=conninfo,
                )
                result = login_storm_and_labeling(
                    port, logins=logins, annotators=annotators, password=PASSWORD, project_id=project.id,
                    iterations=ITERATIONS, conninfo=conninfo,
                )
            rows.append(Row(f"{name}: GET /me beside {IDLE} idle connections", idle_ms, "ms", "answered",
                            idle_ms is not None, note="" if idle_ms is not None else "no answer within 10 s"))
            if quiet.latencies_ms and not quiet.server_errors:
                rows.append(Row(f"{name}: next+submit p95, {QUIET_ANNOTATORS} annotators alone", p95(quiet.latencies_ms),
                                "ms", note=f"median {statistics.median(quiet.latencies_ms):.1f} ms; peak "
                                           f"{quiet.peak_connections} connections"))
            failures = result.server_errors
            codes = ", ".join(f"{k}: {v}" for k, v in sorted(result.statuses.items(), key=str))
            rows.append(Row(f"{name}: storm 5xx and refused", failures, "requests", "0", failures == 0,
                            note=f"{LOGINS} logins + {ANNOTATORS} annotators x {ITERATIONS}; {codes}"))
            rows.append(Row(f"{name}: storm peak PostgreSQL connections", result.peak_connections, "connections",
                            f"<= {bound}" if bound else "", (result.peak_connections <= bound) if bound else None))
            if result.latencies_ms:
                rows.append(Row(f"{name}: next+submit p95 in the storm", p95(result.latencies_ms), "ms",
                                note=f"median {statistics.median(result.latencies_ms):.1f} ms; all done in "
                                     f"{result.wall_s:.1f} s"))
    finally:
        # Also what an interrupted earlier run left (its annotators' annotations protect the users).
        Project.objects.filter(Q(id__in=projects) | Q(name__startswith="bench serving ")).delete()
        User.objects.filter(username__startswith="bench-serving-").delete()
    return rows


def run() -> list[Row]:
    return _keepalive_rows() + _connection_rows()
