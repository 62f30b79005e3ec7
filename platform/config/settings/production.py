"""Production: every secret from the environment (or <NAME>_FILE), no defaults, HTTPS only.

`manage.py check --deploy --settings=config.settings.production` is clean with DJANGO_SECRET_KEY set,
except W021 (HSTS preload is an opt-in to browsers' built-in lists that takes months to undo:
DJANGO_HSTS_PRELOAD=true once the whole domain is HTTPS for good).
"""
from config.env import env_bool, env_int

from .base import *  # noqa: F403

DEBUG = False
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (the only way this image is meant to face
# the internet). docker-compose's local demo speaks plain HTTP: it sets DJANGO_SSL_REDIRECT and
# DJANGO_SECURE_COOKIES to false.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Sent on HTTPS answers only (SecurityMiddleware); 0 turns it off.
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
STORAGES = {
    **STORAGES,  # noqa: F405  (keeps "datamoat", the shared files of common/storage.py)
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
