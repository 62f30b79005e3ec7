from celery import shared_task

from training.services import run_execute


# Routed to the `training` queue by CELERY_TASK_ROUTES ("training.*"). Not acks_late: a redelivered
# message would find the row already claimed, and a crashed run is failed by the reaper instead.
@shared_task(name="training.run")
def run_train(run_id: int) -> None:
    run_execute(run_id=run_id)
