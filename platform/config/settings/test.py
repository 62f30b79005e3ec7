"""pytest: fast hashing, a temporary data dir per run, everything else from the env."""
import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "datamoat-test-insecure-key")
os.environ.setdefault("DATAMOAT_DATA_DIR", tempfile.mkdtemp(prefix="datamoat-test-"))

from .base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The suite and the browser tests sign in often, from one address: throttle tests set low rates of
# their own (override_settings), everything else signs in freely.
DATAMOAT_LOGIN_THROTTLE_RATE = "100000/min"
DATAMOAT_LOGIN_USER_THROTTLE_RATE = "100000/min"
