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
