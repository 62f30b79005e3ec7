"""Job transitions, each one conditional UPDATE: a worker goes on only if its UPDATE touched the row.

    queued ──claim──▶ running ──succeed──▶ succeeded
       │                 │ └──fail──────▶ failed ──retry──▶ queued
       └──cancel──▶ cancelled ◀──cancel──┘

The reaper fails running jobs whose heartbeat went stale (a crashed or killed worker), so every job
ends in a finished state and a failed one can be queued again.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from common.models import FINISHED_STATUSES, Job, JobStatus

J = TypeVar("J", bound=Job)

logger = logging.getLogger(__name__)


def job_dispatch(job: Job) -> None:
    """Send the job's task, named by its model's ``TASK_NAME``, with the job's id once the current
    transaction commits (at once outside one). The one way every job is started: services never import
    their tasks module, so no services <-> tasks import circle. Celery routes by the name
    (``training.*`` to the training queue)."""
    task_name, job_id = type(job).TASK_NAME, job.id
    transaction.on_commit(lambda: _send(task_name, job_id))


def _send(task_name: str, job_id: int) -> None:
    from celery import current_app  # the app configured by config.celery (loaded with Django)

    current_app.send_task(task_name, args=[job_id])


def job_claim(*, model: type[J], job_id: int) -> J | None:
    """Move a queued job to running; None when another worker has it or it was cancelled."""
    now = timezone.now()
    claimed = model.objects.filter(id=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, error=""
    )
    if claimed != 1:
        return None
    return model.objects.get(id=job_id)


def job_progress(*, job: Job, done: int, total: int | None = None) -> bool:
    """Record progress and beat the heart. False when the job is no longer running (cancelled, reaped)."""
    fields: dict = {"progress_done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["progress_total"] = total
    updated = type(job).objects.filter(id=job.id, status=JobStatus.RUNNING).update(**fields)
    job.progress_done = done
    if total is not None:
        job.progress_total = total
    return updated == 1


def job_succeed(*, job: Job, **fields) -> bool:
    now = timezone.now()
    updated = type(job).objects.filter(id=job.id, status=JobStatus.RUNNING).update(
        status=JobStatus.SUCCEEDED, finished_at=now, heartbeat_at=now, **fields
    )
    if updated:
        job.status = JobStatus.SUCCEEDED
        job.finished_at = now
        for name, value in fields.items():
            setattr(job, name, value)
    return updated == 1


def job_fail(*, job: Job, error: str, **fields) -> bool:
    now = timezone.now()
    updated = type(job).objects.filter(id=job.id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=JobStatus.FAILED, finished_at=now, error=error[:10000], **fields
    )
    if updated:
        job.status = JobStatus.FAILED
        job.error = error
        job.finished_at = now
    return updated == 1


def job_fail_unexpected(*, job: Job, exc: BaseException, what: str, **fields) -> bool:
    """Fail a job on an error nobody planned for, the same way for every kind of job: the traceback
    goes to the log, the row gets ``unexpected_error(what, exc)``. Call from inside the ``except``."""
    logger.exception("%s (job %s #%s) failed", what, type(job).__name__, job.id)
    return job_fail(job=job, error=unexpected_error(what, exc), **fields)


def unexpected_error(what: str, exc: BaseException) -> str:
    """The error text of a job that stopped on an unexpected error: what stopped, the exception's type
    and message, and that it can be run again.

    >>> unexpected_error("The version build", ValueError("no rows"))
    'The version build stopped on an unexpected error (it has been logged): ValueError: no rows. It can be run again.'
    """
    detail = f"{type(exc).__name__}: {exc}".rstrip(". ")
    return f"{what} stopped on an unexpected error (it has been logged): {detail}. It can be run again."


def job_cancel(*, job: Job) -> bool:
    """Cancel a queued or running job; a running worker notices on its next progress beat."""
    now = timezone.now()
    updated = type(job).objects.filter(id=job.id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).update(
        status=JobStatus.CANCELLED, finished_at=now
    )
    if updated:
        job.status = JobStatus.CANCELLED
        job.finished_at = now
    return updated == 1


def job_requeue(*, job: Job) -> bool:
    """Queue a failed job again (the caller dispatches its task on commit)."""
    updated = type(job).objects.filter(id=job.id, status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED, finished_at=None, progress_done=0, heartbeat_at=None
    )
    if updated:
        job.status = JobStatus.QUEUED
    return updated == 1


def job_models() -> list[type[Job]]:
    return [m for m in apps.get_models() if issubclass(m, Job)]


_REAPED_ERROR = "The worker stopped reporting (crashed or killed); the job can be run again."


def jobs_reap_stale(*, stale_after: timedelta | None = None) -> int:
    """Fail running jobs whose heartbeat is older than the threshold. Returns how many were failed.

    A Job model whose ``REAP_UNDO`` names a function (imports: all or nothing; a dotted path, as
    ``TASK_NAME`` names a task, so common imports no app) has it called as ``undo(job=job)`` for each
    reaped job inside the transaction that fails it, with the job's row locked and still stale: what
    the dead worker committed goes with the job's move to failed, or neither happens. Its worker, should
    it be alive after all, commits nothing more (it checks the row in each transaction). An undo that
    raises is logged and the job is failed anyway, saying so (its retry then undoes first). Such a model
    may name ``REAP_UNDO_CANCELLED`` too, called as ``undo(job=job)`` for each cancelled job whose
    heartbeat went stale (cancelled while running, its worker dead before it could undo; the undo
    clears the heartbeat, so it runs once)."""
    if stale_after is None:  # not ``or``: timedelta(0) is falsy, and means "any heartbeat before now"
        stale_after = timedelta(seconds=settings.JOB_HEARTBEAT_STALE_SECONDS)
    cutoff = timezone.now() - stale_after
    stale = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    reaped = 0
    for model in job_models():
        running = model.objects.filter(stale, status=JobStatus.RUNNING)
        undo_path = getattr(model, "REAP_UNDO", None)
        if undo_path is None:
            reaped += running.update(status=JobStatus.FAILED, finished_at=timezone.now(), error=_REAPED_ERROR)
            continue
        undo = import_string(undo_path)
        for job_id in list(running.values_list("id", flat=True)[:1000]):
            reaped += _reap_with_undo(model, running, job_id, undo)
        undo_cancelled_path = getattr(model, "REAP_UNDO_CANCELLED", None)
        if undo_cancelled_path is not None:
            # Cancelled while running: the worker undoes on noticing, and clears the heartbeat; one
            # still beating long after was cancelled as its worker died.
            undo_cancelled = import_string(undo_cancelled_path)
            for job in model.objects.filter(status=JobStatus.CANCELLED, heartbeat_at__lt=cutoff)[:1000]:
                try:
                    undo_cancelled(job=job)
                except Exception:
                    logger.exception("undoing cancelled job %s #%s failed", model.__name__, job.id)
    return reaped


def _reap_with_undo(model: type[Job], running, job_id: int, undo) -> int:
    try:
        with transaction.atomic():
            job = running.select_for_update().filter(id=job_id).first()
            if job is None:  # it beat its heart or finished meanwhile
                return 0
            undo(job=job)
            return running.filter(id=job_id).update(
                status=JobStatus.FAILED, finished_at=timezone.now(), error=_REAPED_ERROR
            )
    except Exception:
        logger.exception("undoing reaped job %s #%s failed", model.__name__, job_id)
        return running.filter(id=job_id).update(
            status=JobStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{_REAPED_ERROR} Undoing what it had written failed too (logged); running it again undoes it first.",
        )


def jobs_redispatch_queued(*, older_than: timedelta | None = None, send=None) -> int:
    """Send the task again for queued jobs that have waited longer than the threshold.

    A queued row whose message was lost (a worker died after taking it and before claiming the row;
    the broker was down when the request committed) would otherwise wait for ever. A duplicate message
    is harmless: the claim is a conditional UPDATE, so only one delivery runs the job. ``updated_at``
    marks the last dispatch, so a job waiting behind a long training run is re-sent once per threshold,
    not once per reaper tick. Each Job model names its task in ``TASK_NAME``. Returns how many were sent.
    """
    older_than = older_than or timedelta(seconds=settings.JOB_QUEUED_RESEND_SECONDS)
    send = send or (lambda name, args: _send(name, *args))
    now = timezone.now()
    cutoff = now - older_than
    sent = 0
    for model in job_models():
        task_name = getattr(model, "TASK_NAME", None)
        if task_name is None:
            continue
        waiting = model.objects.filter(status=JobStatus.QUEUED, updated_at__lt=cutoff)
        for job_id in waiting.values_list("id", flat=True)[:1000]:
            # Conditional, so two reapers never both re-send the same job.
            if model.objects.filter(id=job_id, status=JobStatus.QUEUED, updated_at__lt=cutoff).update(updated_at=now):
                send(task_name, args=[job_id])
                sent += 1
    return sent


__all__ = [
    "FINISHED_STATUSES",
    "JobStatus",
    "job_cancel",
    "job_claim",
    "job_dispatch",
    "job_fail",
    "job_fail_unexpected",
    "job_progress",
    "job_requeue",
    "job_succeed",
    "jobs_reap_stale",
    "jobs_redispatch_queued",
    "unexpected_error",
]
