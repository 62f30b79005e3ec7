"""Settings of the import path and `make run` (issue 13): strictly parsed, and each lands where it acts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PRINT = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'poll': s.CELERY_BROKER_TRANSPORT_OPTIONS.get('polling_interval'), 'chunk': s.IMPORT_CHUNK_ROWS,"
    "'age': s.DATABASES['default']['CONN_MAX_AGE'], 'memory': s.DATAMOAT_WORKER_MAX_MEMORY_MB}))"
)


def _settings(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATAMOAT_", "DATABASE_URL", "CELERY_BROKER_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", _PRINT], cwd=REPO, capture_output=True, text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.local", "DATAMOAT_DATA_DIR": str(tmp_path), **env},
    )


def test_the_embedded_default_polls_its_broker_often_and_keeps_connections(tmp_path):
    done = _settings(tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"poll": 0.1, "chunk": 250, "age": 60, "memory": 400}


def test_each_setting_comes_from_its_variable(tmp_path):
    done = _settings(tmp_path, DATAMOAT_BROKER_POLL_SECONDS="0.5", DATAMOAT_SQLITE_IMPORT_CHUNK_ROWS="1500",
                     DATAMOAT_SQLITE_CONN_MAX_AGE="0", DATAMOAT_WORKER_MAX_MEMORY_MB="0")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"poll": 0.5, "chunk": 1500, "age": 0, "memory": 0}


def test_postgresql_and_redis_keep_their_own_defaults(tmp_path):
    done = _settings(tmp_path, DATABASE_URL="postgres://nobody@127.0.0.1:1/none", CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"poll": None, "chunk": 5000, "age": 60, "memory": 400}


def test_a_bad_value_stops_the_start_loudly(tmp_path):
    for name, value, says in (
        ("DATAMOAT_BROKER_POLL_SECONDS", "soon", "is not a number"),
        ("DATAMOAT_BROKER_POLL_SECONDS", "0", "is outside"),
        ("DATAMOAT_SQLITE_IMPORT_CHUNK_ROWS", "0", "below its minimum"),
        ("DATAMOAT_WORKER_MAX_MEMORY_MB", "lots", "not an integer"),
    ):
        done = _settings(tmp_path, **{name: value})
        assert done.returncode != 0 and f"{name}=" in done.stderr and says in done.stderr, (name, done.stderr[-500:])
