"""`make run`: the web server, a data worker (with the beat schedule) and a training worker together.

Each runs as a child process; Ctrl-C (or any child dying) stops them all.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

REPO = Path(settings.REPO_ROOT)


class Command(BaseCommand):
    help = "Run the platform: web server on --addr, Celery workers for the default and training queues, beat."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="web server only")

    def handle(self, *args, addr: str, no_worker: bool, **options):
        env = {**os.environ, "PYTHONPATH": f"{REPO / 'platform'}{os.pathsep}{REPO}", "PYTHONUNBUFFERED": "1"}
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", addr, "--noreload"],
        }
        if not no_worker:
            celery = [python, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO"]
            commands["worker"] = [*celery, "-Q", "default", "-c", "2", "-n", "default@%h", "-B",
                                  "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME]
            commands["trainer"] = [*celery, "-Q", "training", "-c", "1", "-n", "trainer@%h"]
        children = {name: subprocess.Popen(cmd, cwd=REPO, env=env) for name, cmd in commands.items()}
        self.stdout.write(self.style.SUCCESS(f"Datamoat is up at http://{addr}  (Ctrl-C stops everything)"))

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping the others")
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
