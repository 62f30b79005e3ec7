"""Celery entry points of flow 1: take an id, call the service; the job row is the truth.
``acks_late`` is safe: re-running an import inserts nothing twice."""
from celery import shared_task

from ingestion import services
from ingestion.models import ImportJob


@shared_task(name=ImportJob.TASK_NAME, acks_late=True, ignore_result=True)
def import_execute(job_id: int) -> None:
    services.import_execute(job_id=job_id)
