"""pytest: fast hashing, a temporary data dir per run, everything else from the env."""
import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "datamoat-test-insecure-key")
os.environ.setdefault("DATAMOAT_DATA_DIR", tempfile.mkdtemp(prefix="datamoat-test-"))

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
