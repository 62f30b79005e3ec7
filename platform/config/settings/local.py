"""Developer machine and `make run`: debug on, a throwaway secret, everything else from the env."""
import os

os.environ.setdefault("DJANGO_SECRET_KEY", "datamoat-local-insecure-key")
os.environ.setdefault("DJANGO_DEBUG", "true")

from .base import *  # noqa: E402,F403
