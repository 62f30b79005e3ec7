"""What `make run` and production run with: no public secret, debug off, the security headers, and
`check --deploy` clean under production settings (but for the HSTS preload opt-in, W021)."""
from __future__ import annotations

import os
import re
import secrets
import stat
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import Client

REPO = Path(__file__).resolve().parents[2]
_OUTSIDE = {"DATABASE_URL", "CELERY_BROKER_URL", "DATAMOAT_CACHE_URL", "DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY_FILE",
            "DJANGO_DEBUG", "DJANGO_SETTINGS_MODULE"}


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _OUTSIDE}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "platform"), str(REPO)])
    return {**env, **extra}


def _local_settings(data_dir: Path, **extra: str) -> subprocess.Popen:
    """A process that imports the local settings (what `make run` uses) and prints the key and DEBUG."""
    code = "import config.settings.local as s; print(s.SECRET_KEY, s.DEBUG)"
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=_env(DATAMOAT_DATA_DIR=str(data_dir), **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _output(process: subprocess.Popen) -> list[str]:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out.split()


def test_local_settings_generate_one_private_secret_key_and_keep_it(tmp_path):
    data_dir = tmp_path / "data"
    # Web and Celery workers start together: they must all end up with the same key.
    first = [_output(p) for p in [_local_settings(data_dir) for _ in range(6)]]
    later = _output(_local_settings(data_dir))

    keys = {key for key, _ in first}
    assert keys == {later[0]} and len(later[0]) >= 50
    key_file = data_dir / "secret_key"
    assert key_file.read_text().strip() == later[0]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [p.name for p in data_dir.iterdir() if p.name.startswith(".secret_key")] == []  # no temporaries left
    assert {debug for _, debug in first} == {"False"}  # debug is off unless DJANGO_DEBUG=true


def test_a_given_secret_key_is_used_and_nothing_is_written(tmp_path):
    assert _output(_local_settings(tmp_path, DJANGO_SECRET_KEY="given-key")) == ["given-key", "False"]
    assert not (tmp_path / "secret_key").exists()


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=REPO, capture_output=True, text=True, timeout=120,
        env=_env(DJANGO_SETTINGS_MODULE="config.settings.production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                 DATAMOAT_DATA_DIR=str(tmp_path)),
    )
    assert result.returncode == 0, result.stderr
    # Only HSTS preload remains: an opt-in to browsers' built-in lists, months to undo (production.py).
    assert re.findall(r"\((\w+\.[EW]\d+)\)", result.stdout + result.stderr) == ["security.W021"], result.stdout


def test_every_answer_carries_the_content_security_policy(db):
    client = Client()
    api = client.get("/api/v1/me")
    assert api["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in api["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in api["Content-Security-Policy"]

    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "script-src 'self' 'unsafe-inline'" in docs["Content-Security-Policy"]  # Swagger's inline start-up
