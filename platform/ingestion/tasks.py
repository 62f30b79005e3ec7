"""Celery tasks of flow 1: thin, by id. ``acks_late`` is safe: re-running an import inserts nothing twice."""
from celery import shared_task

from ingestion.services import import_run


@shared_task(name="ingestion.run_import", acks_late=True, ignore_result=True)
def run_import(job_id: int) -> None:
    import_run(job_id=job_id)
