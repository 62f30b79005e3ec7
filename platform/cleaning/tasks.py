"""Celery entry points: take an id, call the service. The job row is the truth."""
from celery import shared_task

from cleaning import services
from cleaning.models import CleaningRevert, CleaningRun


@shared_task(name=CleaningRun.TASK_NAME)
def cleaning_run_execute(run_id: int) -> None:
    services.cleaning_run_execute(run_id=run_id)


@shared_task(name=CleaningRevert.TASK_NAME)
def cleaning_revert_execute(revert_id: int) -> None:
    services.cleaning_revert_execute(revert_id=revert_id)
