"""Settings come from environment variables, strictly parsed: a bad value stops the start loudly."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import EnvError, env_bool, env_int, env_list, env_str

REPO = Path(__file__).resolve().parents[2]


def test_booleans_accept_only_clear_words(monkeypatch):
    monkeypatch.setenv("DM_FLAG", "yes")
    assert env_bool("DM_FLAG", False) is True
    monkeypatch.setenv("DM_FLAG", "maybe")
    with pytest.raises(EnvError, match="DM_FLAG='maybe' is not a boolean"):
        env_bool("DM_FLAG", False)


def test_integers_are_checked_against_their_minimum(monkeypatch):
    monkeypatch.setenv("DM_N", "3")
    with pytest.raises(EnvError, match="below its minimum 5"):
        env_int("DM_N", 10, minimum=5)
    monkeypatch.setenv("DM_N", "ten")
    with pytest.raises(EnvError, match="not an integer"):
        env_int("DM_N", 10)


def test_a_secret_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("DM_SECRET_FILE", str(secret))
    assert env_str("DM_SECRET") == "s3cret"


def test_a_required_variable_without_a_default_fails(monkeypatch):
    monkeypatch.delenv("DM_MISSING", raising=False)
    with pytest.raises(EnvError, match="DM_MISSING is required"):
        env_str("DM_MISSING")
    assert env_list("DM_MISSING", ["a"]) == ["a"]


def _start(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, env={**base, **env}, capture_output=True, text=True
    )


def test_production_settings_refuse_to_start_without_a_secret(tmp_path):
    result = _start({"DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "",
                     "DATAMOAT_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0 and "DJANGO_SECRET_KEY is required" in result.stderr


def test_a_malformed_database_url_stops_the_start(tmp_path):
    result = _start({"DATABASE_URL": "nonsense://", "DATAMOAT_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0 and "DATABASE_URL is not a valid database URL" in result.stderr
