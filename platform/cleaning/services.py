"""Cleaning runs: create (validated up front), execute (as a job, in batches), revert (as a job).

Items are never deleted. A step either rewrites ``Item.text`` (``raw_text`` is never touched) or sets
``Item.excluded_reason``; every such write is recorded as a ``CleaningChange`` in the same
transaction as the write, so the database never holds a change it cannot undo, and a revert that
replays the changes backwards puts every item back exactly as it was, even after a failed or
cancelled run (whose partial work stays recorded and revertible).

Cancelling (``cleaning_run_cancel``, ``cleaning_revert_cancel``) is the way out of a job that will
never finish on its own (a lost message, a worker that died before the reaper acted): it frees the
project at once. A worker still executing the job stops before its next batch: each batch is written
in a transaction that first locks the job row and checks it is still running, and ``job_cancel``'s
UPDATE waits on that lock, so once a cancel has committed nothing more is written.

One cleaning job (run or revert) per project at a time: steps read and write the same items, and
"the latest run" must mean one thing when a revert is asked for.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cleaning.models import CleaningChange, CleaningRevert, CleaningRun
from cleaning.steps import BatchResult, Step, StepError, build_steps, merge_counts, normalized_spec
from common.errors import Conflict, Invalid
from common.jobs import job_cancel, job_claim, job_dispatch, job_fail_unexpected, job_progress, job_succeed
from common.models import JobStatus
from projects.models import Item, Project

logger = logging.getLogger(__name__)

BATCH_ROWS = 2000  # rows read, processed and written per transaction; bounds memory and lock time


def _batch_rows() -> int:
    """settings.CLEANING_BATCH_ROWS when set (tests use a tiny one to cross batch boundaries)."""
    return int(getattr(settings, "CLEANING_BATCH_ROWS", None) or BATCH_ROWS)
_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


def _lock_project(project_id: int) -> None:
    """Serialise cleaning decisions per project (call inside a transaction)."""
    list(Project.objects.select_for_update().filter(id=project_id).values_list("id", flat=True))


def _cleaning_busy_conflict() -> Conflict:
    return Conflict(_("Another cleaning run or revert of this project is still in progress."), code="cleaning_busy")


def _cleaning_busy(project_id: int) -> bool:
    return (
        CleaningRun.objects.filter(project_id=project_id, status__in=_ACTIVE).exists()
        or CleaningRevert.objects.filter(run__project_id=project_id, status__in=_ACTIVE).exists()
    )


def cleaning_run_create(*, project: Project, steps: list, created_by: User | None) -> CleaningRun:
    """Validate every step, then queue the run. 400 names the bad step; 409 while another cleaning
    job of the project is queued or running. The task is dispatched when the transaction commits."""
    try:
        built = build_steps(steps)
    except StepError as err:
        message = err.message_in(_)
        if err.index is not None:
            message = _("Step %(number)s: %(message)s") % {"number": err.index + 1, "message": message}
        # Translators: a cleaning step's error as a sentence (the step's own message ends without a stop).
        raise Invalid(_("%(message)s.") % {"message": message}, code="invalid_step", fields={"steps": [message]}) from None
    with transaction.atomic():
        _lock_project(project.id)
        if _cleaning_busy(project.id):
            raise _cleaning_busy_conflict()
        run = CleaningRun.objects.create(
            project=project,
            steps=[normalized_spec(step) for step in built],
            step_counts=[{"op": step.op, "changed": 0, "excluded": 0} for step in built],
            progress_total=_live_items(project.id).count() * _passes(built),
            created_by=created_by,
        )
        job_dispatch(run)
    return run


def _passes(steps: list[Step]) -> int:
    return sum(2 if step.whole_project else 1 for step in steps)


def _live_items(project_id: int):
    return Item.objects.filter(project_id=project_id, excluded_reason="")


def _batches(project_id: int) -> Iterator[list[tuple[int, str]]]:
    """Non-excluded items as (id, text), ascending id, keyset-paged (one indexed query per batch)."""
    last, size = 0, _batch_rows()
    while True:
        rows = list(_live_items(project_id).filter(id__gt=last).order_by("id").values_list("id", "text")[:size])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def cleaning_run_execute(*, run_id: int) -> CleaningRun | None:
    """The body of the ``cleaning.run`` task. None when the run was not queued (another worker has
    it, or it was cancelled). Failures end the job as failed with the reason; nothing is raised."""
    run = job_claim(model=CleaningRun, job_id=run_id)
    if run is None:
        return None
    try:
        _execute(run)
    except Exception as exc:  # a bug must end the job, not leave it running until the reaper
        job_fail_unexpected(job=run, exc=exc, what="The cleaning run")
    return run


def _execute(run: CleaningRun) -> None:
    steps = build_steps(run.steps)
    counts = [dict(entry) for entry in run.step_counts]
    done = 0
    for index, step in enumerate(steps):
        if step.whole_project:
            for batch in _batches(run.project_id):
                step.observe(batch)
                done += len(batch)
                if not job_progress(job=run, done=done):
                    return  # cancelled or reaped: what is written is recorded and revertible
            step.prepare()
        tally = {"op": step.op, "changed": 0, "excluded": 0}
        for batch in _batches(run.project_id):
            result = step.process_batch(batch)
            changed, excluded = _apply(run=run, step=step, index=index, batch=batch, result=result)
            tally["changed"] += changed
            tally["excluded"] += excluded
            merge_counts(tally, result.extra)
            done += len(batch)
            counts[index] = tally
            if not job_progress(job=run, done=done):
                CleaningRun.objects.filter(id=run.id).update(step_counts=counts)
                return
        counts[index] = merge_counts(tally, step.summary())
        CleaningRun.objects.filter(id=run.id).update(step_counts=counts)
    job_succeed(job=run, step_counts=counts, progress_done=done, progress_total=done)


def _still_running(job) -> bool:
    """Call inside the transaction that writes a batch: lock the job row, say whether it still runs.

    A cancel (or the reaper) waits for this transaction, and a batch started after it writes nothing."""
    return bool(list(type(job).objects.select_for_update().filter(id=job.id, status=JobStatus.RUNNING).values_list("id", flat=True)))


def _apply(*, run: CleaningRun, step: Step, index: int, batch: list, result: BatchResult) -> tuple[int, int]:
    """Write one batch's outcomes and their change records in one transaction."""
    current = dict(batch)
    changes, items = [], []
    changed = excluded = 0
    for outcome in result.outcomes:
        old_text = current[outcome.item_id]
        new_text = outcome.text if outcome.text is not None and outcome.text != old_text else None
        reason = (outcome.excluded or "")[:200]
        if new_text is None and not reason:
            continue
        changed += new_text is not None
        excluded += bool(reason)
        changes.append(
            CleaningChange(
                run=run,
                item_id=outcome.item_id,
                step=step.op,
                old_text=old_text if new_text is not None else None,
                new_text=new_text,
                old_excluded_reason="",  # steps only ever see items that are not excluded
                new_excluded_reason=reason,
                details={**outcome.details, "step": index},
            )
        )
        items.append(Item(id=outcome.item_id, text=new_text if new_text is not None else old_text, excluded_reason=reason))
    if items:
        with transaction.atomic():
            if not _still_running(run):
                return 0, 0  # cancelled meanwhile: the caller's progress beat stops the run
            CleaningChange.objects.bulk_create(changes, batch_size=1000)
            Item.objects.bulk_update(items, ["text", "excluded_reason"], batch_size=1000)
    return changed, excluded


def cleaning_run_revert(*, run: CleaningRun, created_by: User | None) -> CleaningRevert:
    """Queue the undoing of ``run``. 409 unless the run is finished, not reverted, and no later run
    of the project that changed anything is still in place (revert those first), and no other
    cleaning job of the project is in progress."""
    with transaction.atomic():
        _lock_project(run.project_id)
        run = CleaningRun.objects.get(id=run.id)
        if run.reverted_at is not None:
            raise Conflict(_("Cleaning run #%(id)s is already reverted.") % {"id": run.id}, code="already_reverted")
        if run.status in _ACTIVE:
            raise Conflict(
                _("Cleaning run #%(id)s is still %(status)s; cancel it or wait.") % {"id": run.id, "status": run.status},
                code="run_in_progress",
            )
        has_changes = CleaningChange.objects.filter(run=OuterRef("pk"))
        later = (
            CleaningRun.objects.filter(project_id=run.project_id, id__gt=run.id, reverted_at__isnull=True)
            .filter(Q(Exists(has_changes)) | Q(status__in=_ACTIVE))
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        if later is not None:
            raise Conflict(
                _("Only the latest cleaning run can be reverted: revert run #%(id)s first.") % {"id": later},
                code="not_latest_run",
            )
        if _cleaning_busy(run.project_id):
            raise _cleaning_busy_conflict()
        revert = CleaningRevert.objects.create(run=run, created_by=created_by, progress_total=run.changes.count())
        job_dispatch(revert)
    return revert


def cleaning_revert_execute(*, revert_id: int) -> CleaningRevert | None:
    """The body of the ``cleaning.revert`` task: replay the run's changes newest first, in batches.

    Each item ends with the old values of its *earliest* change in the run, i.e. as it was before
    the run. Writing absolute old values makes a repeated or resumed revert harmless."""
    revert = job_claim(model=CleaningRevert, job_id=revert_id)
    if revert is None:
        return None
    try:
        _revert(revert)
    except Exception as exc:
        job_fail_unexpected(job=revert, exc=exc, what="The cleaning revert")
    return revert


def _revert(revert: CleaningRevert) -> None:
    done, before, size = 0, None, _batch_rows()
    while True:
        changes = CleaningChange.objects.filter(run_id=revert.run_id)
        if before is not None:
            changes = changes.filter(id__lt=before)
        batch = list(changes.order_by("-id").values_list(
            "id", "item_id", "old_text", "old_excluded_reason", "new_excluded_reason")[:size])
        if not batch:
            break
        # (old text or None, old reason or None): None leaves that field as it is now. A change that
        # only rewrote the text gives the reason back untouched, so an exclusion made after the run
        # (a reviewer's) survives the revert.
        restored: dict[int, tuple[str | None, str | None]] = {}
        for _id, item_id, old_text, old_reason, new_reason in batch:  # newest first: earlier overwrites
            text_before, reason_before = restored.get(item_id, (None, None))
            restored[item_id] = (
                old_text if old_text is not None else text_before,
                old_reason if new_reason else reason_before,
            )
        both = [Item(id=i, text=t, excluded_reason=r) for i, (t, r) in restored.items() if t is not None and r is not None]
        text_only = [Item(id=i, text=t) for i, (t, r) in restored.items() if t is not None and r is None]
        reason_only = [Item(id=i, excluded_reason=r) for i, (t, r) in restored.items() if t is None and r is not None]
        with transaction.atomic():
            if not _still_running(revert):
                return  # cancelled: the run stays unreverted; reverting it again is harmless
            Item.objects.bulk_update(both, ["text", "excluded_reason"], batch_size=1000)
            Item.objects.bulk_update(text_only, ["text"], batch_size=1000)
            Item.objects.bulk_update(reason_only, ["excluded_reason"], batch_size=1000)
        done += len(batch)
        before = batch[-1][0]
        if not job_progress(job=revert, done=done):
            return
    with transaction.atomic():
        if job_succeed(job=revert, progress_done=done, progress_total=done):
            CleaningRun.objects.filter(id=revert.run_id).update(reverted_at=timezone.now())


def cleaning_run_cancel(*, run: CleaningRun) -> CleaningRun:
    """Cancel a queued or running run; 409 once it has finished. A worker executing it stops before
    its next batch; what it already wrote stays recorded, so the run can be reverted like a failed one."""
    if not job_cancel(job=run):
        status = CleaningRun.objects.filter(id=run.id).values_list("status", flat=True).first()
        raise Conflict(
            _("Cleaning run #%(id)s has already finished (%(status)s).") % {"id": run.id, "status": status},
            code="already_finished",
        )
    return run


def cleaning_revert_cancel(*, revert: CleaningRevert) -> CleaningRevert:
    """Cancel a queued or running revert; 409 once it has finished. Items it already put back stay
    so; the run stays unreverted and can be reverted again (a revert writes absolute old values)."""
    if not job_cancel(job=revert):
        status = CleaningRevert.objects.filter(id=revert.id).values_list("status", flat=True).first()
        raise Conflict(
            _("Cleaning revert #%(id)s has already finished (%(status)s).") % {"id": revert.id, "status": status},
            code="already_finished",
        )
    return revert
