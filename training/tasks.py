"""Celery entry points: take an id, call the service. The job row is the truth."""
from celery import shared_task

from annotation.models import SuggestionJob
from training import services, suggestions
from training.models import TrainingRun


# Routed to the `training` queue by CELERY_TASK_ROUTES ("training.*"). Not acks_late: a redelivered
# message would find the row already claimed, and a crashed run is failed by the reaper instead.
@shared_task(name=TrainingRun.TASK_NAME)
def run_execute(run_id: int) -> None:
    services.run_execute(run_id=run_id)


# The training queue too: it loads the run's model (torch). Not acks_late, as above; a crashed job is
# failed by the reaper and goes on from its cursor when started again.
@shared_task(name=SuggestionJob.TASK_NAME)
def suggestions_execute(job_id: int) -> None:
    suggestions.suggestions_execute(job_id=job_id)
