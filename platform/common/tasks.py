from celery import shared_task

from common.jobs import jobs_reap_stale, jobs_redispatch_queued


@shared_task(name="common.reap_stale_jobs")
def reap_stale_jobs() -> int:
    return jobs_reap_stale()


@shared_task(name="common.redispatch_queued_jobs")
def redispatch_queued_jobs() -> int:
    return jobs_redispatch_queued()
