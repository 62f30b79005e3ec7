"""Celery entry points: take an id, call the service. The job row is the truth."""
from celery import shared_task

from cleaning import services


@shared_task(name="cleaning.run")
def cleaning_run(run_id: int) -> None:
    services.cleaning_run_execute(run_id=run_id)


@shared_task(name="cleaning.revert")
def cleaning_revert(revert_id: int) -> None:
    services.cleaning_revert_execute(revert_id=revert_id)
