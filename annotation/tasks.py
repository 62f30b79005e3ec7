"""Celery tasks of the labeling flow: thin shells over annotation.services."""
from __future__ import annotations

from celery import shared_task

from annotation import services


@shared_task(name="annotation.expire_leases")
def expire_leases() -> int:
    """Beat, every few minutes (settings.CELERY_BEAT_SCHEDULE): delete expired leases. Idempotent."""
    return services.leases_expire()
