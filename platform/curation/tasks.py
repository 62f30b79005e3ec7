"""Celery entry points: take an id, call the service. The job row is the truth."""
from celery import shared_task

from curation import services
from curation.models import DatasetVersion


@shared_task(name=DatasetVersion.TASK_NAME)
def version_execute(version_id: int) -> None:
    """Build one version; the job row says how it went. Safe to deliver twice: only a queued row is
    claimed."""
    services.version_execute(version_id=version_id)
