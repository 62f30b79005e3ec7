"""gunicorn's settings file for the web server ``serve`` starts (``-c python:common.gunicorn_conf``).

With ``--preload`` the master imports the WSGI app before forking its workers, so they share its pages
(copy on write). Django imports the URL configuration, and with it every API module and what they
import (pyarrow, numpy, scikit-learn...: ~140 MB), only on a process's first request: in each worker,
each its own copy. ``when_ready`` imports it in the master instead, then moves every object the master
holds into the garbage collector's permanent generation (``gc.freeze``), so that the workers'
collections do not write to (and so copy) the shared pages. Measured by bench/bench_http.py: the web
server at rest, two workers, PSS 238 MB before, see its table after.
"""
from __future__ import annotations

import gc
import os
import time


def when_ready(server) -> None:
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module, here in the master
    gc.freeze()


def _children(pid: int) -> int:
    """How many child processes ``pid`` has (Linux's /proc; elsewhere: as if all were there)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return len(f.read().split())
    except OSError:
        return 1 << 30


def post_worker_init(worker) -> None:
    """With the app preloaded a worker answers within milliseconds of its fork, while gunicorn forks
    the next one up to 0.1 s later: wait (at most 1 s) until the master has forked them all, so that the
    server answers once it runs at its full size (tests/serving_tests count its workers then)."""
    deadline = time.monotonic() + 1.0
    while _children(os.getppid()) < worker.cfg.workers and time.monotonic() < deadline:
        time.sleep(0.01)  # a poll interval
