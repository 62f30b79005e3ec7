"""`make run`: the web server (gunicorn), a data worker (with the beat schedule) and a training worker.

The web server is gunicorn with gthread workers: a fixed number of processes and threads, HTTP
keep-alive without the ~40 ms stall of Django's development server (bench/bench_serving.py), and at
most one database connection per thread, so the database connections of everything ``serve`` starts
stay within ``DATAMOAT_DB_MAX_CONNECTIONS`` (settings, "serving" block).

Supervision: every child runs in a process group of its own. A child that dies is logged, what is left
of its group (a Celery pool child, a gunicorn worker) is killed, and it is started again after a
back-off (1 s, 2 s, 4 s, ... capped at 30 s; back to 1 s once it has run a minute). Ctrl-C, SIGTERM
or SIGHUP stops every group: SIGTERM to each child, SIGKILL to whatever is left of its group after a
grace period. On Linux each child is also told to stop when ``serve`` dies without that chance (kill -9).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

REPO = Path(settings.REPO_ROOT)

BACKOFF_FIRST_S = 1.0
BACKOFF_CAP_S = 30.0
STABLE_AFTER_S = 60.0  # a child that ran this long before dying restarts after BACKOFF_FIRST_S again
STOP_GRACE_S = 15.0  # gunicorn's --graceful-timeout is 10 s; Celery finishes its running tasks
POLL_S = 0.2
MAX_THREADS_PER_WORKER = 8  # past this a process only adds threads waiting on its GIL

# Celery runs a task per pool process, each with at most one database connection (a task's thread).
DATA_WORKER_CONCURRENCY = 2
TRAINER_CONCURRENCY = 1


def web_sizing(*, max_connections: int, workers: int, reserved: int) -> tuple[int, int]:
    """(processes, threads per process) for the web server, so that processes × threads plus
    ``reserved`` (the Celery processes' connections) stays within ``max_connections``.

    >>> web_sizing(max_connections=16, workers=2, reserved=3)
    (2, 6)
    """
    budget = max_connections - reserved
    if budget < workers:
        raise CommandError(
            f"DATAMOAT_DB_MAX_CONNECTIONS={max_connections} leaves {budget} database connection(s) for "
            f"{workers} web worker process(es) ({reserved} go to the Celery workers): raise it to at least "
            f"{workers + reserved} or lower DATAMOAT_WEB_WORKERS."
        )
    return workers, min(MAX_THREADS_PER_WORKER, budget // workers)


def default_web_workers() -> int:
    return settings.DATAMOAT_WEB_WORKERS or max(1, min(4, os.cpu_count() or 1))


def web_command(*, python: str, addr: str, workers: int, threads: int) -> list[str]:
    """The web server's command line (bench/bench_serving.py starts the same one)."""
    return [
        python, "-m", "gunicorn", "config.wsgi",
        "--bind", addr,
        "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
        # Browsers keep their connection; an idle one waits in the poller, not in a thread.
        "--keep-alive", "5",
        "--graceful-timeout", "10",
        # gunicorn's control socket defaults to one path per user ($HOME/.gunicorn): two servers on one
        # machine (tests, benchmarks, a second checkout) would fight over it. Nothing here uses it.
        "--no-control-socket",
        "--log-level", "info",
    ]


@functools.cache
def _prctl():
    """libc's prctl, looked up once in ``serve`` itself: ``find_library`` runs ``ldconfig``, which has no
    place between fork and exec."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl


def _die_with(parent: int) -> None:
    """In the child between fork and exec: receive SIGTERM when ``serve`` (``parent``) dies, even by
    SIGKILL (Linux's PR_SET_PDEATHSIG; elsewhere a no-op). Call ``_prctl()`` once before forking."""
    if not sys.platform.startswith("linux"):
        return
    _prctl()(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # serve died before the prctl: nobody would stop us
        os._exit(1)


def _kill_group(pgid: int, sig: int) -> bool:
    """Send ``sig`` to a process group; False when the group is empty (gone)."""
    try:
        os.killpg(pgid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # a recycled id in someone else's group: not ours
        return False


@dataclass
class Child:
    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float = 0.0
    delay: float = BACKOFF_FIRST_S
    restarts: int = 0


class Command(BaseCommand):
    help = "Run the platform: web server on --addr, Celery workers for the default and training queues, beat."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="web server only")

    def log(self, message: str) -> None:
        self.stderr.write(f"[serve {time.strftime('%H:%M:%S')}] {message}")
        self.stderr.flush()

    def handle(self, *args, addr: str, no_worker: bool, **options):
        path = os.pathsep.join([str(REPO / "platform"), str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
        self.env = {**os.environ, "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}
        python = sys.executable
        reserved = 0 if no_worker else DATA_WORKER_CONCURRENCY + TRAINER_CONCURRENCY
        workers, threads = web_sizing(
            max_connections=settings.DATAMOAT_DB_MAX_CONNECTIONS, workers=default_web_workers(), reserved=reserved
        )
        children = [Child("web", web_command(python=python, addr=addr, workers=workers, threads=threads))]
        if not no_worker:
            celery = [python, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"]
            children.append(Child("worker", [
                *celery, "-Q", "default", "-c", str(DATA_WORKER_CONCURRENCY), "-n", "default@%h", "-B",
                "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ]))
            # One run per pool child: torch (hundreds of MB) is imported by the run and leaves with its
            # process, so an idle trainer holds no torch between runs.
            children.append(Child("trainer", [
                *celery, "-Q", "training", "-c", str(TRAINER_CONCURRENCY), "-n", "trainer@%h",
                "--max-tasks-per-child=1",
            ]))

        stopping = False

        def stop(signum, _frame):
            nonlocal stopping
            if not stopping:
                self.log(f"{signal.Signals(signum).name}: stopping")
            stopping = True

        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, stop)
        try:
            for child in children:
                self.start(child)
            self.stdout.write(self.style.SUCCESS(
                f"Datamoat is up at http://{addr}  (Ctrl-C stops everything)\n"
                f"  web: gunicorn, {workers} process(es) x {threads} thread(s); database connections at most "
                f"{workers * threads + reserved} of DATAMOAT_DB_MAX_CONNECTIONS={settings.DATAMOAT_DB_MAX_CONNECTIONS}"
            ))
            self.stdout.flush()
            while not stopping:
                self.supervise(children)
                time.sleep(POLL_S)  # a poll interval; a signal ends the loop at the next turn
        finally:
            self.stop_all(children)

    def start(self, child: Child) -> None:
        if sys.platform.startswith("linux"):
            _prctl()  # looked up here, in serve, not in the forked child
        child.process = subprocess.Popen(
            child.command, cwd=REPO, env=self.env,
            start_new_session=True,  # its own process group: Ctrl-C reaches serve only, serve stops the group
            preexec_fn=partial(_die_with, os.getpid()),
        )
        child.started_at = time.monotonic()
        again = f", restart {child.restarts}" if child.restarts else ""
        self.log(f"{child.name} started (pid {child.process.pid}{again})")

    def supervise(self, children: list[Child]) -> None:
        now = time.monotonic()
        for child in children:
            if child.process is None:
                if now >= child.restart_at:
                    child.restarts += 1
                    self.start(child)
                continue
            code = child.process.poll()
            if code is None:
                continue
            # What the dead child leaves behind (gunicorn workers holding the port, Celery pool
            # processes) must not outlive it, nor block its successor.
            _kill_group(child.process.pid, signal.SIGKILL)
            ran = now - child.started_at
            if ran >= STABLE_AFTER_S:
                child.delay = BACKOFF_FIRST_S
            how = f"signal {-code}" if code < 0 else f"code {code}"
            self.log(f"{child.name} (pid {child.process.pid}) exited with {how} after {ran:.1f} s; "
                     f"restarting in {child.delay:g} s")
            child.process = None
            child.restart_at = now + child.delay
            child.delay = min(child.delay * 2, BACKOFF_CAP_S)

    def stop_all(self, children: list[Child]) -> None:
        started = [c for c in children if c.process is not None]
        for child in started:
            if child.process.poll() is None:
                child.process.terminate()  # the leader stops its own workers gracefully
        deadline = time.monotonic() + STOP_GRACE_S
        for child in started:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.log(f"{child.name} (pid {child.process.pid}) still running after {STOP_GRACE_S:g} s: killing it")
        # Whatever is left in the groups (a stuck leader, a worker it did not wait for). A group outlives
        # its leader while members remain, and its id is not reused meanwhile.
        for child in started:
            _kill_group(child.process.pid, signal.SIGKILL)
            child.process.wait()
        self.log("stopped")
