"""All settings live here; environments differ by environment variables only.

The embedded default (no DATABASE_URL, no CELERY_BROKER_URL) is SQLite plus Celery's filesystem
broker, so `make run` needs no server. DATABASE_URL switches to PostgreSQL and CELERY_BROKER_URL to
Redis, as in CI and docker-compose.
"""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url

from config.env import EnvError, env_bool, env_float, env_int, env_list, env_str

REPO_ROOT = Path(__file__).resolve().parents[3]
DATA_DIR = Path(env_str("DATAMOAT_DATA_DIR", str(REPO_ROOT / "var")))

SECRET_KEY = env_str("DJANGO_SECRET_KEY")  # local and test settings set a default before importing
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "common",
    "accounts",
    "projects",
    "ingestion",
    "cleaning",
    "annotation",
    "curation",
    "training",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- database -------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'datamoat.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
except Exception as exc:  # dj_database_url raises several types for a malformed URL
    raise EnvError(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; a generous timeout lets the worker and the web server share it.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        # WAL lets the web server read while the worker writes an import.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

# --- files ----------------------------------------------------------------------------------
MEDIA_ROOT = Path(env_str("DATAMOAT_MEDIA_ROOT", str(DATA_DIR / "media")))
UPLOAD_DIR = MEDIA_ROOT / "uploads"
SNAPSHOT_DIR = MEDIA_ROOT / "snapshots"
ARTIFACT_DIR = MEDIA_ROOT / "artifacts"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # bigger uploads spool to disk, never held whole
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATAMOAT_MAX_UPLOAD_BYTES = env_int("DATAMOAT_MAX_UPLOAD_BYTES", 2 * 1024**3, minimum=1)
# A run's prediction that differs from the version's label with at least this confidence goes to the
# review queue as a model mistake.
DATAMOAT_MODEL_MISTAKE_CONFIDENCE = env_float("DATAMOAT_MODEL_MISTAKE_CONFIDENCE", 0.8, minimum=0.0, maximum=1.0)
# Runs a project may have queued or training at once (more answer 409 too_many_queued_runs).
DATAMOAT_MAX_QUEUED_RUNS = env_int("DATAMOAT_MAX_QUEUED_RUNS", 3, minimum=1)

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("DATAMOAT_STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
FRONTEND_DIST = REPO_ROOT / "frontend" / "dist"
# The SPA's built assets, served at / by whitenoise (once `make frontend` has built them).
WHITENOISE_ROOT = FRONTEND_DIST if FRONTEND_DIST.exists() else None
WHITENOISE_INDEX_FILE = False
WHITENOISE_USE_FINDERS = True

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",  # DRF's, its query from a cached template (hot path)
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "common.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "common.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Datamoat API",
    "DESCRIPTION": "Collect, clean, label, version and train: one REST API for the browser app and scripts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The review queue's reasons appear in several operations: one enum, one name.
    "ENUM_NAME_OVERRIDES": {"ReviewReasonEnum": "annotation.models.ReviewCandidate.Kind"},
}
API_PAGE_SIZE = 100
API_MAX_PAGE_SIZE = 1000

# --- background work ------------------------------------------------------------------------
_broker_url = env_str("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_URL = _broker_url
if _broker_url.startswith("filesystem://"):
    _queue_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "out"),
        "data_folder_out": str(_queue_dir / "out"),
        "processed_folder": str(_queue_dir / "processed"),
        "control_folder": str(_queue_dir / "control"),  # kombu's default is ./control
        "store_processed": False,
    }
    for _sub in ("out", "processed", "control"):
        (_queue_dir / _sub).mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_TASK_IGNORE_RESULT = True  # job rows are the truth, never the result backend
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"training.*": {"queue": "training"}}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ACKS_LATE = False  # opted into per task, only where the task is idempotent
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "reap-stale-jobs": {"task": "common.reap_stale_jobs", "schedule": timedelta(seconds=60)},
    "redispatch-queued-jobs": {"task": "common.redispatch_queued_jobs", "schedule": timedelta(seconds=60)},
    "expire-leases": {"task": "annotation.expire_leases", "schedule": timedelta(minutes=5)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

JOB_HEARTBEAT_STALE_SECONDS = env_int("DATAMOAT_JOB_STALE_SECONDS", 300, minimum=10)
JOB_QUEUED_RESEND_SECONDS = env_int("DATAMOAT_JOB_RESEND_SECONDS", 600, minimum=10)
LEASE_SECONDS = env_int("DATAMOAT_LEASE_SECONDS", 600, minimum=5)
IMPORT_CHUNK_ROWS = env_int("DATAMOAT_IMPORT_CHUNK_ROWS", 5000, minimum=1)

# --- security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the SPA reads it to send X-CSRFToken
SESSION_COOKIE_SAMESITE = "Lax"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DATAMOAT_LOG_LEVEL", "INFO")},
}
