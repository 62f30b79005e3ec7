"""All settings live here; environments differ by environment variables only.

The embedded default (no DATABASE_URL, no CELERY_BROKER_URL) is SQLite plus Celery's filesystem
broker, so `make run` needs no server. DATABASE_URL switches to PostgreSQL and CELERY_BROKER_URL to
Redis, as in CI and docker-compose.
"""
from __future__ import annotations

import os
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
    # The request's language from Accept-Language (the browser app sends the one the user picked):
    # error messages follow it; codes never do.
    "django.middleware.locale.LocaleMiddleware",
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
# A commit that finds SQLite's WAL past this many pages (4 KB) copies it into the database first
# (SQLite's default: 1,000). Imports have their own checkpoint thread (ingestion.inserts): this
# stays above what they leave, so an annotator's submit does not pay for an import's pages.
SQLITE_WAL_AUTOCHECKPOINT_PAGES = 8000
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite backend with a write gate that hands SQLite's one write lock between an import
    # and everyone else in turns (common/sqlite_gate.py).
    DATABASES["default"]["ENGINE"] = "common.sqlite_backend"
    # SQLite serialises writers; a generous timeout lets the worker and the web server share it.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        # WAL lets the web server read while the worker writes an import.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT_PAGES};",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's PostgreSQL backend without the health check's round trip for a connection used a moment
    # ago (common/postgresql_backend/base.py).
    DATABASES["default"]["ENGINE"] = "common.postgresql_backend"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "common.postgresql_backend"
IS_SQLITE = DATABASES["default"]["ENGINE"] == "common.sqlite_backend"

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
# CPU threads of a training run that does not set its own ("threads": 0). Half the cores: a run with every core
# fought the web server and the data worker (measured on 2 busy cores: 70.6 s an epoch with 2 threads, 6.6 s with 1).
DATAMOAT_TRAINER_THREADS = env_int("DATAMOAT_TRAINER_THREADS", max(1, (os.cpu_count() or 2) // 2), minimum=1)
# Models each web process keeps loaded for POST /runs/{id}/predict (training.serving), least recently used evicted.
DATAMOAT_SERVING_MODELS = env_int("DATAMOAT_SERVING_MODELS", 2, minimum=1)
# Hugging Face model folders a run can name as model "hf:<folder>" (an admin copies them there; no download).
DATAMOAT_MODELS_DIR = Path(env_str("DATAMOAT_MODELS_DIR", str(DATA_DIR / "models")))

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
    # Choice sets that appear in several operations (the review queue's reasons, verdicts, item statuses):
    # one enum, one name each.
    "ENUM_NAME_OVERRIDES": {
        "ReviewReasonEnum": "annotation.models.ReviewCandidate.Kind",
        "ItemStatusEnum": "annotation.item_selectors.STATUSES",
        "VerdictEnum": "annotation.models.Review.Verdict",
        "ItemBulkActionEnum": "annotation.item_services.BulkAction",
        "CleaningChangeActionEnum": ["excluded", "rewritten"],
        "TaskTypeEnum": "projects.models.TaskType",
    },
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
    # Items annotated against a confident model suggestion become model_mistake review candidates.
    "suggestion-mistakes": {"task": "annotation.suggestion_mistakes", "schedule": timedelta(seconds=60)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

JOB_HEARTBEAT_STALE_SECONDS = env_int("DATAMOAT_JOB_STALE_SECONDS", 300, minimum=10)
JOB_QUEUED_RESEND_SECONDS = env_int("DATAMOAT_JOB_RESEND_SECONDS", 600, minimum=10)
LEASE_SECONDS = env_int("DATAMOAT_LEASE_SECONDS", 600, minimum=5)
# An item a manager assigns to an annotator (a bulk "assign") is leased to them this long: the queue
# resumes their live leases first and counts them against the overlap, so nobody else gets it meanwhile.
DATAMOAT_ASSIGNMENT_HOURS = env_int("DATAMOAT_ASSIGNMENT_HOURS", 168, minimum=1)
IMPORT_CHUNK_ROWS = env_int("DATAMOAT_IMPORT_CHUNK_ROWS", 5000, minimum=1)

# --- security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the SPA reads it to send X-CSRFToken
SESSION_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_TZ = True

# --- languages: API error messages in English or Simplified Chinese (platform/locale, `make messages`) ---
# LocaleMiddleware picks the first Accept-Language entry we have: zh, zh-CN, zh-Hans, zh-SG get
# zh-hans, and so do zh-TW, zh-HK and zh-Hant (Django falls back to the only Chinese we have, which a
# reader of traditional Chinese reads more easily than English); anything else gets English. The
# catalogue's compiled .mo is committed, so running needs no gettext tools.
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [REPO_ROOT / "platform" / "locale"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DATAMOAT_LOG_LEVEL", "INFO")},
}

# --- accounts: the cache, sign-in throttling, API tokens, passwords (accounts/) -----------------
# Django's cache holds the sign-in throttles' counts, so it must be ONE cache for every web worker:
# Redis when the broker is Redis (or DATAMOAT_CACHE_URL names one; keys are prefixed, so sharing the
# broker's database is safe), else a folder under the data dir, which gunicorn's workers on one machine
# share (the embedded default runs on one machine). Never a per-process memory cache.
_cache_url = env_str("DATAMOAT_CACHE_URL", _broker_url if _broker_url.startswith(("redis://", "rediss://")) else "-")
if _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url, "KEY_PREFIX": "datamoat"}
    }
elif _cache_url == "-":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
            "KEY_PREFIX": "datamoat",
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
else:
    raise EnvError(f"DATAMOAT_CACHE_URL={_cache_url!r} is not a redis:// or rediss:// URL")


def _env_rate(name: str, default: str) -> str:
    """A throttle rate such as ``10/min``: a count per s, min, hour or day (DRF's form), strictly."""
    import re

    value = env_str(name, default).strip()
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", value):
        raise EnvError(f"{name}={value!r} is not a rate such as 10/min (a count per s, min, hour or day)")
    return value


# Every sign-in attempt (POST /auth/token, POST /auth/session) counts, right or wrong: each costs a
# password hash (~0.25 s of CPU). Beyond a rate: 429 "throttled" with Retry-After.
DATAMOAT_LOGIN_THROTTLE_RATE = _env_rate("DATAMOAT_LOGIN_THROTTLE_RATE", "20/min")  # per client address
DATAMOAT_LOGIN_USER_THROTTLE_RATE = _env_rate("DATAMOAT_LOGIN_USER_THROTTLE_RATE", "10/min")  # per username
# The client address is REMOTE_ADDR unless this many reverse proxies in front append X-Forwarded-For
# (0: the header is ignored, so a client cannot pick its own address to dodge the throttle).
REST_FRAMEWORK["NUM_PROXIES"] = env_int("DATAMOAT_TRUSTED_PROXIES", 0, minimum=0)
# An API token's lifetime from when it is issued; 0: tokens never expire.
DATAMOAT_TOKEN_TTL_HOURS = env_int("DATAMOAT_TOKEN_TTL_HOURS", 30 * 24, minimum=0)
# Checked wherever a password is set (accounts.services.user_create): not like the username or email,
# long enough, not a common password, not all digits.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("DATAMOAT_PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- imports: limits per import, checked while the file streams, before anything is stored (ingestion/) -
# A text longer than this many characters is a row error (its row number says which); so are a row's
# other fields when together they hold more (characters of strings and keys, 1 per other value).
DATAMOAT_IMPORT_MAX_TEXT_CHARS = env_int("DATAMOAT_IMPORT_MAX_TEXT_CHARS", 100_000, minimum=1)
# Rows (line numbers for line formats) one import may hold; beyond: the import fails, nothing kept.
DATAMOAT_IMPORT_MAX_ROWS = env_int("DATAMOAT_IMPORT_MAX_ROWS", 10_000_000, minimum=1)
# Bytes the reader may produce for one import: a text file's size, what a Parquet file decodes to (a
# few KB of Parquet can decode to GBs). Beyond: 413 at upload when the file shows it, else the job fails.
DATAMOAT_IMPORT_MAX_DECODED_BYTES = env_int("DATAMOAT_IMPORT_MAX_DECODED_BYTES", 4 * 1024**3, minimum=1)
# Nesting levels of a JSON/JSONL/Parquet record (the record itself is level 1); deeper: a row error.
DATAMOAT_IMPORT_MAX_DEPTH = env_int("DATAMOAT_IMPORT_MAX_DEPTH", 16, minimum=1)

# --- serving: web server, database connections, security headers (serve, common/security.py) -------
# `manage.py serve` (`make run`) runs gunicorn's gthread workers: DATAMOAT_WEB_WORKERS processes (0: one
# per CPU core, at most 4), each with a FIXED set of threads; a thread keeps its one database connection
# between requests (CONN_MAX_AGE above), so the web server holds at most workers × threads connections
# whatever the traffic. (Django's runserver started a thread per connection, each kept its own: 100 of
# 100 PostgreSQL connections within minutes.) serve turns what DATAMOAT_DB_MAX_CONNECTIONS leaves after
# its Celery processes (one connection each) into threads. bench/bench_serving.py measures this beside
# Django's psycopg pool (same bound, same latency, 0 errors under a 200-login storm: the pool would add a
# dependency, a wait-then-fail mode when threads outnumber it, and a per-process pool in every Celery
# child) and sync workers (no keep-alive, and a silent connection takes a whole worker: 6 of them left
# the server answering nothing for 10 s).
DATAMOAT_DB_MAX_CONNECTIONS = env_int("DATAMOAT_DB_MAX_CONNECTIONS", 16, minimum=1)
DATAMOAT_WEB_WORKERS = env_int("DATAMOAT_WEB_WORKERS", 0, minimum=0)
if IS_POSTGRES:
    # A kept connection that PostgreSQL has dropped (restart, idle timeout) is replaced before a request
    # uses it, instead of failing that request (one `SELECT 1` per request on a kept connection).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# The browser app loads only its own files and talks only to its own origin; nothing may frame it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self' data:;"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# drf-spectacular's Swagger page inlines its start-up script and a style block; it shows the schema only.
CONTENT_SECURITY_POLICY_BY_PATH = {
    "/api/v1/docs": CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    ),
}
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "common.security.ContentSecurityPolicyMiddleware"
)

# --- shared files: snapshots, artifacts, uploads through Django's storage API (common/storage.py) ---
# storages["datamoat"] holds every file that web and workers share, by key (snapshots/project_3/v2,
# artifacts/run_7, uploads/...). Default: the filesystem, each area where it always was (SNAPSHOT_DIR,
# ARTIFACT_DIR, UPLOAD_DIR above), so web and workers must be on one machine or share DATAMOAT_DATA_DIR.
# DATAMOAT_STORAGE_URL=s3://bucket/prefix stores them in S3 or an S3-compatible server
# (DATAMOAT_S3_ENDPOINT_URL, e.g. MinIO; path-style addressing there unless DATAMOAT_S3_ADDRESSING_STYLE
# says otherwise), with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or their _FILE) or boto3's own chain
# (instance role, ~/.aws); each machine then keeps a checked local copy of what it reads (downloaded on
# first use) under DATAMOAT_STORAGE_CACHE_DIR.
DATAMOAT_STORAGE_URL = env_str("DATAMOAT_STORAGE_URL", "")
DATAMOAT_STORAGE_CACHE_DIR = Path(env_str("DATAMOAT_STORAGE_CACHE_DIR", str(DATA_DIR / "storage-cache")))


def _datamoat_storage(url: str) -> dict:
    from urllib.parse import urlsplit

    if not url:
        return {"BACKEND": "common.storage.DataDirStorage"}
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise EnvError(f"DATAMOAT_STORAGE_URL={url!r} is not s3://bucket or s3://bucket/prefix")
    options = {"bucket_name": parts.netloc, "location": parts.path.strip("/"), "file_overwrite": True,
               "default_acl": None}
    endpoint = env_str("DATAMOAT_S3_ENDPOINT_URL", "")
    if endpoint and not endpoint.startswith(("http://", "https://")):
        raise EnvError(f"DATAMOAT_S3_ENDPOINT_URL={endpoint!r} is not an http:// or https:// URL")
    style = env_str("DATAMOAT_S3_ADDRESSING_STYLE", "path" if endpoint else "auto")
    if style not in ("auto", "path", "virtual"):
        raise EnvError(f"DATAMOAT_S3_ADDRESSING_STYLE={style!r} is not auto, path or virtual")
    options.update({"endpoint_url": endpoint or None, "addressing_style": None if style == "auto" else style,
                    "region_name": env_str("DATAMOAT_S3_REGION", "") or None})
    for option, name in (("access_key", "AWS_ACCESS_KEY_ID"), ("secret_key", "AWS_SECRET_ACCESS_KEY")):
        if value := env_str(name, ""):
            options[option] = value
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "datamoat": _datamoat_storage(DATAMOAT_STORAGE_URL),  # settings that replace STORAGES keep this entry
}

# --- the import path and `make run` (issue 13; bench/bench_http.py measures both) --------------------------
# The filesystem broker (the embedded default) has no push: a worker lists its queue's folder every
# polling interval (kombu's default: 1 s), which an import waited for before it began, 0.5 s on average.
# A listing of a near-empty folder costs microseconds; 0.1 s is ten of them a second per worker.
DATAMOAT_BROKER_POLL_SECONDS = env_float("DATAMOAT_BROKER_POLL_SECONDS", 0.1, minimum=0.01, maximum=10.0)
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = DATAMOAT_BROKER_POLL_SECONDS
# A data worker's pool process whose resident memory peaked above this many MB (a big import or version
# build) is replaced by a fresh one after its task, so memory at rest comes back down (`serve`,
# docker-compose: celery's --max-memory-per-child). 0: never replaced.
DATAMOAT_WORKER_MAX_MEMORY_MB = env_int("DATAMOAT_WORKER_MAX_MEMORY_MB", 400, minimum=0)
if IS_SQLITE:
    # Rows per import chunk on SQLite: an annotator's submit waits for at most the chunk in flight (an
    # import's transaction takes several chunks only while nobody waits: ingestion.inserts). PostgreSQL
    # keeps DATAMOAT_IMPORT_CHUNK_ROWS, default 5000: its writers do not wait on each other's inserts.
    IMPORT_CHUNK_ROWS = env_int("DATAMOAT_SQLITE_IMPORT_CHUNK_ROWS", 250, minimum=1)
    # A web thread keeps its SQLite connection between requests, as on PostgreSQL: opening one and running
    # its PRAGMAs on every request cost each next and submit a connect (issue 13). Outside a transaction
    # a kept connection holds no lock (WAL). 0: a connection per request.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATAMOAT_SQLITE_CONN_MAX_AGE", 60, minimum=0)
