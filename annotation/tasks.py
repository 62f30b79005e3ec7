"""Celery tasks of the labeling flow: thin shells over annotation.services."""
from __future__ import annotations

from celery import shared_task

from annotation import review_services, services, suggestion_services


@shared_task(name="annotation.expire_leases")
def expire_leases() -> int:
    """Beat, every few minutes (settings.CELERY_BEAT_SCHEDULE): delete expired labeling and review
    leases. Idempotent."""
    return services.leases_expire() + review_services.review_leases_expire()


@shared_task(name="annotation.suggestion_mistakes")
def suggestion_mistakes() -> int:
    """Beat, every minute (settings.CELERY_BEAT_SCHEDULE): labels given since the last sweep that differ
    from a confident model suggestion become ``model_mistake`` review reasons. Incremental, idempotent."""
    return suggestion_services.suggestion_mistakes_sweep()
