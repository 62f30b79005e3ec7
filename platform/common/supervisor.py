"""The process supervisor of ``manage.py serve`` (``make run``), without Django.

``serve`` reads the settings, builds the children's command lines, then replaces itself (``exec``, same
pid) with this module: a supervisor that has imported Django and every app holds ~190 MB (PSS, measured
by bench/bench_http.py) for a loop that only polls its children; this one holds ~10 MB.

Supervision: every child runs in a process group of its own. A child that dies is logged, what is left
of its group (a Celery pool child, a gunicorn worker) is killed, and it is started again after a
back-off (1 s, 2 s, 4 s, ... capped at 30 s; back to 1 s once it has run a minute). Ctrl-C, SIGTERM
or SIGHUP stops every group: SIGTERM to each child, SIGKILL to whatever is left of its group after a
grace period. On Linux each child is also told to stop when the supervisor dies without that chance
(kill -9).

Run as ``python supervisor.py SPEC``, SPEC being JSON ``{"cwd": ..., "children": [[name, [argv...]], ...]}``;
the children get the supervisor's own environment. Imports nothing of the project: it runs as a script.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial

BACKOFF_FIRST_S = 1.0
BACKOFF_CAP_S = 30.0
STABLE_AFTER_S = 60.0  # a child that ran this long before dying restarts after BACKOFF_FIRST_S again
STOP_GRACE_S = 15.0  # gunicorn's --graceful-timeout is 10 s; Celery finishes its running tasks
POLL_S = 0.2


@functools.cache
def _prctl():
    """libc's prctl, looked up once in the supervisor itself: ``find_library`` runs ``ldconfig``, which
    has no place between fork and exec."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl


def _die_with(parent: int) -> None:
    """In the child between fork and exec: receive SIGTERM when the supervisor (``parent``) dies, even
    by SIGKILL (Linux's PR_SET_PDEATHSIG; elsewhere a no-op). Call ``_prctl()`` once before forking."""
    if not sys.platform.startswith("linux"):
        return
    _prctl()(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the supervisor died before the prctl: nobody would stop us
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


class Supervisor:
    """Starts, watches and stops ``Child`` processes. ``env`` and ``cwd`` are theirs."""

    env: dict
    cwd: str | None = None

    def log(self, message: str) -> None:
        sys.stderr.write(f"[serve {time.strftime('%H:%M:%S')}] {message}\n")
        sys.stderr.flush()

    def run(self, children: list[Child]) -> None:
        """Start the children and keep them running until SIGINT, SIGTERM or SIGHUP; then stop them."""
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
            while not stopping:
                self.supervise(children)
                time.sleep(POLL_S)  # a poll interval; a signal ends the loop at the next turn
        finally:
            self.stop_all(children)

    def start(self, child: Child) -> None:
        if sys.platform.startswith("linux"):
            _prctl()  # looked up here, in the supervisor, not in the forked child
        child.process = subprocess.Popen(
            child.command, cwd=self.cwd, env=self.env,
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


def main(argv: list[str]) -> None:
    spec = json.loads(argv[1])
    supervisor = Supervisor()
    supervisor.env, supervisor.cwd = dict(os.environ), spec["cwd"]
    supervisor.run([Child(name, command) for name, command in spec["children"]])


if __name__ == "__main__":
    main(sys.argv)
