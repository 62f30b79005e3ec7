"""`manage.py serve` (`make run`) hands over to the plain supervisor script under its own pid, and the
command lines it supervises share the web app's pages (--preload) and recycle bloated pool processes."""
from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.common import free_port
from common.management.commands import serve as serve_module

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/api/v1/me")
        return conn.getresponse().status == 401
    except OSError:
        return False


def test_serve_becomes_the_plain_supervisor_and_still_serves_and_stops(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DATAMOAT_CACHE_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DATAMOAT_DATA_DIR=str(tmp_path / "data"),
               DATAMOAT_WEB_WORKERS="1")
    with (tmp_path / "serve.log").open("wb") as log:
        serve = subprocess.Popen([sys.executable, "manage.py", "serve", "--no-worker", "--addr", f"127.0.0.1:{port}"],
                                 cwd=REPO, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve did not answer within 60 s"
            time.sleep(0.1)  # a poll interval
        argv = Path(f"/proc/{serve.pid}/cmdline").read_bytes().split(b"\0")
        assert argv[1:3] == [b"-I", serve_module.supervisor.__file__.encode()]
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=60) == 0
        assert "web started (pid" in (tmp_path / "serve.log").read_text()
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()


def test_the_web_server_preloads_the_app_and_the_data_worker_recycles_bloated_processes(settings):
    assert "--preload" in serve_module.web_command(python="python", addr="127.0.0.1:1", workers=2, threads=4)
    settings.DATAMOAT_WORKER_MAX_MEMORY_MB = 300
    assert serve_module.max_memory_per_child() == ["--max-memory-per-child=307200"]
    settings.DATAMOAT_WORKER_MAX_MEMORY_MB = 0
    assert serve_module.max_memory_per_child() == []
