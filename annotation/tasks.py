"""Celery tasks of the labeling flow: thin shells over annotation.services."""
from __future__ import annotations

from celery import shared_task

from annotation import review_services, services


@shared_task(name="annotation.expire_leases")
def expire_leases() -> int:
    """Beat, every few minutes (settings.CELERY_BEAT_SCHEDULE): delete expired labeling and review
    leases. Idempotent."""
    return services.leases_expire() + review_services.review_leases_expire()
