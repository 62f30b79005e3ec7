"""`manage.py serve` (what `make run` runs) keeps its children alive and never leaves one behind.

The real command on a free port, on the embedded default (SQLite and the filesystem broker in a
temporary data folder): a child killed with SIGKILL is started again after its back-off and answers;
what it left (gunicorn workers, Celery pool processes) dies with it; SIGTERM to serve, or SIGKILL,
stops every process it started.
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management.base import CommandError

from bench.common import free_port
from common.management.commands import serve as serve_module

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 60

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from Linux's /proc"),
]


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat's fields after the command name (state first), or None when gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return raw[raw.rindex(")") + 2:].split()


def _process(pid: int) -> tuple[int, str] | None:
    """(pid, start time): a process's identity, safe against a recycled pid."""
    fields = _stat(pid)
    return None if fields is None else (pid, fields[19])


def _alive(process: tuple[int, str]) -> bool:
    fields = _stat(process[0])
    return fields is not None and fields[19] == process[1] and fields[0] not in ("Z", "X")


def _tree(root: int) -> set[tuple[int, str]]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if (identity := _process(pid)) is not None:
            found.add(identity)
            todo.extend(children.get(pid, []))
    return found


def _tree_of_at_least(root: int, n: int) -> set[tuple[int, str]] | None:
    tree = _tree(root) if root else set()
    return tree if len(tree) >= n else None


def _until(condition: Callable[[], object], what: str, timeout_s: float = DEADLINE_S):
    deadline = time.monotonic() + timeout_s
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:g} s: {what}")
        time.sleep(0.1)  # a poll interval, not a wait for an outcome
    return result


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/v1/me")
        return conn.getresponse().status == 401  # the API itself answered, anonymous
    except OSError:
        return False


class Serve:
    """``manage.py serve`` in a temporary data folder, its output in ``log``."""

    def __init__(self, tmp_path: Path, *, workers: bool):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DATAMOAT_CACHE_URL", "DJANGO_SECRET_KEY"}}
        env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DATAMOAT_DATA_DIR=str(tmp_path / "data"),
                   DATAMOAT_WEB_WORKERS="2", PYTHONUNBUFFERED="1")
        self.log_path = tmp_path / "serve.log"
        command = [sys.executable, "manage.py", "serve", "--addr", f"127.0.0.1:{self.port}"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command + ([] if workers else ["--no-worker"]), cwd=REPO, env=env, stdout=log, stderr=log,
                start_new_session=True,
            )
        self.seen: set[tuple[int, str]] = set()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def child_pid(self, name: str, after: int = 0) -> int:
        """The pid of the latest start of child ``name`` other than ``after``."""
        pids = [int(p) for p in re.findall(rf"{name} started \(pid (\d+)", self.log())]
        return pids[-1] if pids and pids[-1] != after else 0

    def remember(self) -> set[tuple[int, str]]:
        """Every process serve has below it now (kept, to check later that none outlives it)."""
        tree = _tree(self.process.pid) - {_process(self.process.pid)}
        self.seen |= tree
        return tree

    def cleanup(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid, _ in self.seen:
            try:
                os.kill(pid, signal.SIGKILL)  # only if the test already failed: the assertions say so
            except ProcessLookupError:
                pass


@pytest.fixture
def start_serve(tmp_path):
    started: list[Serve] = []

    def start(*, workers: bool = False) -> Serve:
        started.append(Serve(tmp_path, workers=workers))
        return started[-1]

    yield start
    for serve in started:
        serve.cleanup()


def test_it_restarts_a_killed_web_server_that_then_answers(start_serve):
    serve = start_serve()
    _until(lambda: _answers(serve.port), "the web server answers")
    web = serve.child_pid("web")
    first = _tree(web)
    assert len(first) == 3  # gunicorn's master and its two workers

    os.kill(web, signal.SIGKILL)
    _until(lambda: f"web (pid {web}) exited with signal 9" in serve.log(), "serve notices the death")
    assert "restarting in 1 s" in serve.log()
    again = _until(lambda: serve.child_pid("web", after=web), "a new web server starts")
    assert f"web started (pid {again}, restart 1)" in serve.log()
    _until(lambda: _answers(serve.port), "the new web server answers")
    _until(lambda: not any(_alive(p) for p in first), "the killed server's workers are gone")
    assert len(_tree(again)) == 3

    serve.remember()
    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.wait(timeout=DEADLINE_S) == 0
    assert [p for p in serve.seen if _alive(p)] == []


def test_a_killed_serve_takes_its_children_with_it(start_serve):
    serve = start_serve()
    _until(lambda: _answers(serve.port), "the web server answers")
    processes = serve.remember()
    assert len(processes) == 3

    serve.process.kill()
    serve.process.wait()
    _until(lambda: not any(_alive(p) for p in processes), "every child of the killed serve stops")


@pytest.mark.worker
def test_celery_children_never_outlive_their_worker_nor_serve(start_serve):
    serve = start_serve(workers=True)
    _until(lambda: _answers(serve.port), "the web server answers")
    worker = _until(lambda: serve.child_pid("worker"), "the data worker starts")
    # Celery's pool (2 processes) and the embedded beat, below the worker's main process.
    pool = _until(lambda: _tree_of_at_least(worker, 4), "the data worker's pool starts")
    _until(lambda: _tree_of_at_least(serve.child_pid("trainer"), 2), "the trainer's pool starts")

    os.kill(worker, signal.SIGKILL)
    _until(lambda: not any(_alive(p) for p in pool), "the dead worker's pool and beat are gone")
    _until(lambda: serve.child_pid("worker", after=worker), "a new data worker starts")

    serve.remember()
    serve.process.send_signal(signal.SIGTERM)
    assert serve.process.wait(timeout=DEADLINE_S) == 0
    assert [p for p in serve.seen if _alive(p)] == []


def test_back_off_doubles_up_to_its_cap_and_resets_after_a_stable_run(capsys):
    command = serve_module.Command()
    command.env = dict(os.environ)
    child = serve_module.Child("flaky", [sys.executable, "-c", "raise SystemExit(3)"])
    delays = []
    for _ in range(7):
        command.start(child)
        child.process.wait()
        command.supervise([child])
        delays.append(child.restart_at - time.monotonic())
    assert [round(d) for d in delays] == [1, 2, 4, 8, 16, 30, 30]
    log = capsys.readouterr().err
    assert "flaky (pid" in log and "exited with code 3" in log and "restarting in 30 s" in log

    command.start(child)
    child.started_at -= serve_module.STABLE_AFTER_S  # it ran a minute before dying
    child.process.wait()
    command.supervise([child])
    assert round(child.restart_at - time.monotonic()) == 1


def test_a_connection_budget_below_the_web_workers_is_refused():
    assert serve_module.web_sizing(max_connections=16, workers=2, reserved=3) == (2, 6)
    assert serve_module.web_sizing(max_connections=100, workers=4, reserved=3) == (4, 8)  # threads capped
    with pytest.raises(CommandError, match="DATAMOAT_DB_MAX_CONNECTIONS=4 leaves 1 database connection"):
        serve_module.web_sizing(max_connections=4, workers=2, reserved=3)
