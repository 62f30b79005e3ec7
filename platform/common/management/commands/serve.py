"""`make run`: the web server (gunicorn), a data worker (with the beat schedule) and a training worker.

The web server is gunicorn with gthread workers: a fixed number of processes and threads, HTTP
keep-alive without the ~40 ms stall of Django's development server (bench/bench_serving.py), and at
most one database connection per thread, so the database connections of everything ``serve`` starts
stay within ``DATAMOAT_DB_MAX_CONNECTIONS`` (settings, "serving" block).

Supervision (``common.supervisor``): every child runs in a process group of its own; a child that dies
is started again after a back-off; Ctrl-C, SIGTERM or SIGHUP stops every group. Once the settings are
read and the command lines built, serve replaces itself (``exec``, same pid) with that supervisor, a
plain script: serve with Django and every app loaded held ~190 MB (PSS) only to poll its children.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from common import supervisor
from common.supervisor import BACKOFF_CAP_S, BACKOFF_FIRST_S, STABLE_AFTER_S, STOP_GRACE_S, Child  # noqa: F401

REPO = Path(settings.REPO_ROOT)

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
        # The app (its URLs and views too: common/gunicorn_conf.py) is imported once, in the master, and its
        # workers share those pages (copy on write): each worker importing it on its own held ~160 MB
        # (PSS) of its own (bench/bench_http.py).
        "--preload", "--config", "python:common.gunicorn_conf",
        # Browsers keep their connection; an idle one waits in the poller, not in a thread.
        "--keep-alive", "5",
        "--graceful-timeout", "10",
        # gunicorn's control socket defaults to one path per user ($HOME/.gunicorn): two servers on one
        # machine (tests, benchmarks, a second checkout) would fight over it. Nothing here uses it.
        "--no-control-socket",
        "--log-level", "info",
    ]


def max_memory_per_child() -> list[str]:
    """Celery's option replacing a pool process whose resident memory peaked above
    DATAMOAT_WORKER_MAX_MEMORY_MB, after its task: a 100k-row import or version build left its pool
    process holding 150-300 MB more at rest (bench/bench_http.py)."""
    limit = settings.DATAMOAT_WORKER_MAX_MEMORY_MB
    return [f"--max-memory-per-child={limit * 1024}"] if limit else []


class Command(supervisor.Supervisor, BaseCommand):
    help = "Run the platform: web server on --addr, Celery workers for the default and training queues, beat."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="web server only")

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
                "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME, *max_memory_per_child(),
            ]))
            # One run per pool child: torch (hundreds of MB) is imported by the run and leaves with its
            # process, so an idle trainer holds no torch between runs.
            children.append(Child("trainer", [
                *celery, "-Q", "training", "-c", str(TRAINER_CONCURRENCY), "-n", "trainer@%h",
                "--max-tasks-per-child=1",
            ]))

        self.stdout.write(self.style.SUCCESS(
            f"Datamoat is up at http://{addr}  (Ctrl-C stops everything)\n"
            f"  web: gunicorn, {workers} process(es) x {threads} thread(s); database connections at most "
            f"{workers * threads + reserved} of DATAMOAT_DB_MAX_CONNECTIONS={settings.DATAMOAT_DB_MAX_CONNECTIONS}"
        ))
        self.stdout.flush()
        sys.stderr.flush()
        spec = json.dumps({"cwd": str(REPO), "children": [[c.name, c.command] for c in children]})
        # -I: the supervisor imports only the standard library, never a module beside it (platform/common).
        os.execve(python, [python, "-I", supervisor.__file__, spec], self.env)
