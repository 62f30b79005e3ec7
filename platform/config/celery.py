"""The Celery app. Nothing connects to a broker at import time."""
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("datamoat")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
