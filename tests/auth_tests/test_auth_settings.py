"""The accounts settings are parsed strictly: a malformed rate or cache URL stops the start loudly."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _check(tmp_path, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO, env={**base, "DATAMOAT_DATA_DIR": str(tmp_path), **env}, capture_output=True, text=True,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATAMOAT_LOGIN_THROTTLE_RATE": "ten a minute"}, "DATAMOAT_LOGIN_THROTTLE_RATE='ten a minute' is not a rate"),
        ({"DATAMOAT_LOGIN_USER_THROTTLE_RATE": "0/min"}, "DATAMOAT_LOGIN_USER_THROTTLE_RATE='0/min' is not a rate"),
        ({"DATAMOAT_CACHE_URL": "memcached://x"}, "DATAMOAT_CACHE_URL='memcached://x' is not a redis://"),
        ({"DATAMOAT_TOKEN_TTL_HOURS": "-1"}, "DATAMOAT_TOKEN_TTL_HOURS=-1 is below its minimum 0"),
        ({"DATAMOAT_PASSWORD_MIN_LENGTH": "4"}, "DATAMOAT_PASSWORD_MIN_LENGTH=4 is below its minimum 8"),
    ],
)
def test_a_malformed_accounts_setting_stops_the_start(tmp_path, env, message):
    result = _check(tmp_path, **env)
    assert result.returncode != 0 and message in result.stderr


def test_the_cache_follows_a_redis_broker_and_is_a_folder_otherwise(tmp_path):
    script = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])"
    run = [sys.executable, "-c", f"import django; django.setup(); {script}"]
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DATAMOAT_CACHE_URL"}}
    base.update(PYTHONPATH=f"{REPO / 'platform'}{os.pathsep}{REPO}", DJANGO_SETTINGS_MODULE="config.settings.local",
                DATAMOAT_DATA_DIR=str(tmp_path))
    embedded = subprocess.run(run, cwd=REPO, env=base, capture_output=True, text=True, check=True).stdout
    assert embedded.split() == ["django.core.cache.backends.filebased.FileBasedCache", str(tmp_path / "cache")]
    redis = subprocess.run(run, cwd=REPO, env={**base, "CELERY_BROKER_URL": "redis://127.0.0.1:6379/5"},
                           capture_output=True, text=True, check=True).stdout
    assert redis.split() == ["django.core.cache.backends.redis.RedisCache", "redis://127.0.0.1:6379/5"]
