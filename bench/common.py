"""Shared pieces of the benchmarks: a result row, the table, and Django set-up on PostgreSQL."""
from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    bench: str  # what was measured, e.g. "import CSV 100k rows"
    value: float | None
    unit: str  # "rows/s", "ms", "s", "MB", "items", "ratio"
    target: str = ""  # e.g. ">= 50000", "<= 25", "0"
    met: bool | None = None  # None when there is no target
    note: str = ""  # e.g. "PostgreSQL COPY of the same file: 410000 rows/s"


def setup_django() -> None:
    for path in (REPO / "platform", REPO):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def requires_postgres(bench: str) -> list[Row] | None:
    """Rows saying why a PostgreSQL benchmark did not run, or None when it can."""
    from django.conf import settings

    if settings.IS_POSTGRES:
        return None
    return [Row(bench, None, "", note="skipped: needs PostgreSQL, set DATABASE_URL")]


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def print_table(rows: list[Row]) -> None:
    header = ("benchmark", "value", "unit", "target", "met", "note")
    table = [header] + [
        (r.bench, _fmt(r.value), r.unit, r.target, {True: "yes", False: "NO", None: ""}[r.met], r.note) for r in rows
    ]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [str(c).ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        print(" | ".join(cells) + " | " + row[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


@contextmanager
def gunicorn(*, workers: int = 4, extra_args: list[str] | None = None) -> Iterator[int]:
    """The platform's WSGI app under gunicorn on a free loopback port (yielded), stopped on exit. Call
    after closing this process's database connection: the workers open their own."""
    port = free_port()
    env = {**os.environ, "DJANGO_DEBUG": "false", "PYTHONPATH": f"{REPO / 'platform'}{os.pathsep}{REPO}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--log-level", "warning", *(extra_args or [])],
        cwd=REPO, env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


# --- served-app load (bench/bench_serving.py, tests/serving_tests) ----------------------------------


def wait_for_port(port: int, *, timeout_s: float = 60, process: subprocess.Popen | None = None) -> None:
    """Until something accepts connections on the loopback ``port`` (or ``process`` has exited)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode} before answering") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answered on port {port} within {timeout_s:g} s") from None
            time.sleep(0.1)  # a poll interval


def keepalive_vs_new_connection(port: int, token: str, n: int = 50) -> tuple[list[float], list[float]]:
    """Milliseconds of ``n`` sequential ``GET /api/v1/me``: on one kept connection (as a browser does),
    then with a new connection each; one warm-up round of each first."""
    import http.client

    headers = {"Authorization": f"Token {token}"}

    def kept() -> list[float]:
        conn, out = http.client.HTTPConnection("127.0.0.1", port, timeout=30), []
        for _ in range(n):
            t0 = time.perf_counter()
            conn.request("GET", "/api/v1/me", headers=headers)
            response = conn.getresponse()
            response.read()
            out.append((time.perf_counter() - t0) * 1000)
            if response.status != 200:
                raise RuntimeError(f"GET /api/v1/me answered {response.status}")
        conn.close()
        return out

    def fresh() -> list[float]:
        out = []
        for _ in range(n):
            t0 = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/api/v1/me", headers=headers)
            response = conn.getresponse()
            response.read()
            conn.close()
            out.append((time.perf_counter() - t0) * 1000)
            if response.status != 200:
                raise RuntimeError(f"GET /api/v1/me answered {response.status}")
        return out

    kept(), fresh()
    return kept(), fresh()


def latency_beside_idle_connections(port: int, token: str, *, idle: int = 6, timeout_s: float = 10) -> float | None:
    """Milliseconds of one ``GET /api/v1/me`` while ``idle`` other connections are open and silent (a
    browser's preconnected sockets, a slow client), or None when it got no answer within ``timeout_s``."""
    import http.client

    sockets = [socket.create_connection(("127.0.0.1", port), timeout=timeout_s) for _ in range(idle)]
    try:
        time.sleep(0.2)  # let the server take them in
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
        t0 = time.perf_counter()
        try:
            conn.request("GET", "/api/v1/me", headers={"Authorization": f"Token {token}"})
            response = conn.getresponse()
            response.read()
        except OSError:  # the timeout included
            return None
        finally:
            conn.close()
        return (time.perf_counter() - t0) * 1000 if response.status == 200 else None
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class LoadResult:
    statuses: dict  # HTTP status (or exception name) -> count
    peak_connections: int  # the most connections to the database seen at once (pg_stat_activity)
    latencies_ms: list[float]  # next+submit, per iteration
    wall_s: float

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not isinstance(status, int) or status >= 500)


def login_storm_and_labeling(
    port: int,
    *,
    logins: list[str],
    annotators: list[str],
    password: str,
    project_id: int,
    iterations: int,
    conninfo: dict,
    exclude_pids: tuple[int, ...] = (),
    labels: tuple[str, ...] = ("a", "b"),
) -> LoadResult:
    """``len(logins)`` parallel ``POST /auth/token`` and, at the same moment, each of ``annotators``
    signing in then looping ``next`` + ``annotations`` (one of ``labels``) ``iterations`` times on
    a kept connection,
    while a sampler counts the database's connections every 20 ms (psycopg ``conninfo``: the database to
    watch; ``exclude_pids``: backends of the caller's own). A refused or reset connection counts as an
    error beside the 5xx."""
    import http.client
    import json
    import threading

    import psycopg

    statuses: dict = {}
    lock = threading.Lock()
    latencies: list[float] = []

    def record(status) -> None:
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    def call(conn, method: str, path: str, body, headers=None):
        try:
            conn.request(method, path, body=json.dumps(body), headers={"Content-Type": "application/json", **(headers or {})})
            response = conn.getresponse()
            payload = response.read()
        except OSError as exc:
            record(type(exc).__name__)
            conn.close()
            return 0, b""
        record(response.status)
        return response.status, payload

    def sign_in(conn, username: str) -> str | None:
        status, payload = call(conn, "POST", "/api/v1/auth/token", {"username": username, "password": password})
        return json.loads(payload)["token"] if status == 200 else None

    def login(username: str, start: threading.Barrier) -> None:
        start.wait()
        sign_in(http.client.HTTPConnection("127.0.0.1", port, timeout=120), username)

    def annotate(username: str, start: threading.Barrier) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        start.wait()
        # Signed in within the storm, so the connection is never idle for long: a server closes an idle
        # kept connection after its keep-alive timeout, and http.client (unlike a browser) does not
        # retry a request that meets a connection closed meanwhile.
        token = sign_in(conn, username)
        if token is None:
            return
        headers = {"Authorization": f"Token {token}"}
        for i in range(iterations):
            t0 = time.perf_counter()
            status, payload = call(conn, "POST", f"/api/v1/projects/{project_id}/next", {}, headers)
            if status != 200:
                continue
            item_id = json.loads(payload)["item"]["id"]
            status, _ = call(conn, "POST", f"/api/v1/items/{item_id}/annotations",
                             {"value": {"label": labels[i % len(labels)]}, "lead_time_ms": 500}, headers)
            if status == 201:
                latencies.append((time.perf_counter() - t0) * 1000)

    peak = [0]
    done = threading.Event()
    watcher = psycopg.connect(**conninfo, autocommit=True)

    def sample() -> None:
        while not done.is_set():
            count = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND NOT (pid = ANY(%s))", (list(exclude_pids),)
            ).fetchone()[0]
            peak[0] = max(peak[0], count)
            done.wait(0.02)

    start = threading.Barrier(len(logins) + len(annotators))
    threads = [threading.Thread(target=login, args=(u, start)) for u in logins]
    threads += [threading.Thread(target=annotate, args=(u, start)) for u in annotators]
    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        wall = time.perf_counter() - t0
        done.set()
        sampler.join()
        watcher.close()
    return LoadResult(statuses, peak[0], latencies, wall)


def run_clients(client, tokens: list[str], *args) -> tuple[list[float], list[str]]:
    """Run ``client(token, *args, latencies, errors, start)`` in one thread per token, released together
    by a barrier; the latencies (ms) and errors they appended."""
    import threading

    latencies: list[float] = []
    errors: list[str] = []
    start = threading.Barrier(len(tokens))
    threads = [threading.Thread(target=client, args=(token, *args, latencies, errors, start)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def write_snapshot(folder: Path, rows: list[tuple[int, str, object, str]], labels: list[str], *,
                   task_type: str = "classification") -> Path:
    """A version snapshot as the engine reads it (``data.parquet``, then ``manifest.json`` with its checksum) from
    ``(item_id, text, answer, split)`` rows (the answer: a label, a label list or ``[{start, end, label}]`` by
    ``task_type``): the engine benchmarked without building a version."""
    import hashlib
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    answers = {"classification": ("label", pa.string()), "multilabel": ("labels", pa.list_(pa.string())),
               "spans": ("spans", pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("label", pa.string())])))}
    column, kind = answers[task_type]
    table = pa.table({
        "item_id": pa.array([r[0] for r in rows], pa.int64()), "text": [r[1] for r in rows],
        **({} if column == "label" else {"label": pa.array([None] * len(rows), pa.string())}),
        column: pa.array([r[2] for r in rows], kind), "split": [r[3] for r in rows],
        "confidence": pa.array([1.0] * len(rows), pa.float64()), "annotations": pa.array([1] * len(rows), pa.int32()),
    })
    pq.write_table(table, folder / "data.parquet")
    blob = (folder / "data.parquet").read_bytes()
    counts = {split: sum(1 for r in rows if r[3] == split) for split in ("train", "val", "test")}
    (folder / "manifest.json").write_text(json.dumps({
        "version": 1, "project": 1, "labels": labels, "counts": counts, "task_type": task_type,
        "files": {"data.parquet": {"sha256": hashlib.sha256(blob).hexdigest(), "rows": len(rows), "bytes": len(blob)}},
        "content_hash": hashlib.sha256(blob).hexdigest(), "created_at": "2026-12-02T00:00:00Z",
    }))
    return folder
