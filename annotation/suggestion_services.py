"""Writes of model suggestions: a run's suggestion job row, its batches, publishing the set, and the
``model_mistake`` review reasons they give.

The predicting itself happens in the training worker (``training.suggestions``: it needs the run's
model); this app stores what it hands over. Each batch commits with the job's cursor and heartbeat in
one transaction, so a crashed worker leaves a job whose rows and cursor agree, and its retry goes on
from the cursor. The move to succeeded (one conditional UPDATE) makes the set the project's current one
(``suggestion_selectors.suggestion_current_job``): a queue reads the previous set, or the new one
whole, never half of one. The older runs' rows are deleted afterwards.
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.models import Annotation, ReviewCandidate, Suggestion, SuggestionJob
from annotation.review_services import review_candidate_add
from annotation.suggestion_selectors import suggestion_current_job
from annotation.votes import latest_reviews
from common.errors import Conflict
from common.jobs import job_cancel, job_dispatch, job_requeue, job_succeed
from common.models import JobStatus

logger = logging.getLogger(__name__)

# Reviewed verdicts that settle an item: its evidence never comes back by itself (review_candidates_replace).
_FINAL_VERDICTS = {"accept", "correct", "exclude"}


def suggestion_job_start(*, project_id: int, run_id: int, created_by=None) -> SuggestionJob:
    """Queue the run's suggestion job: a new one, or its failed or cancelled one again (it goes on from
    its cursor). 409 ``suggestions_busy`` while it is queued or running, ``suggestions_done`` once it
    succeeded. The task is sent when the transaction commits."""
    with transaction.atomic():
        job = SuggestionJob.objects.filter(run_id=run_id).first()
        if job is None:
            try:
                with transaction.atomic():
                    job = SuggestionJob.objects.create(project_id=project_id, run_id=run_id, created_by=created_by)
            except IntegrityError:  # a concurrent start made it first
                job = SuggestionJob.objects.get(run_id=run_id)
                raise _busy(job) from None
        elif job.status == JobStatus.CANCELLED:
            requeued = SuggestionJob.objects.filter(id=job.id, status=JobStatus.CANCELLED).update(
                status=JobStatus.QUEUED, finished_at=None, heartbeat_at=None, error=""
            )
            if not requeued:
                job.refresh_from_db()
                raise _busy(job)
        elif not job_requeue(job=job):
            raise _busy(job)
        job_dispatch(job)
    job.refresh_from_db()
    return job


def _busy(job: SuggestionJob) -> Conflict:
    if job.status == JobStatus.SUCCEEDED:
        return Conflict(_("Run %(run)s has predicted its suggestions already.") % {"run": job.run_id},
                        code="suggestions_done")
    return Conflict(_("The suggestions of run %(run)s are being predicted (status: %(status)s).")
                    % {"run": job.run_id, "status": job.status}, code="suggestions_busy")


def suggestion_job_cancel(*, job: SuggestionJob) -> SuggestionJob:
    """Cancel a queued or running job (its worker stops at its next batch); 409 once it finished.
    What it stored stays, unpublished: starting it again goes on from its cursor."""
    if job.is_finished or not job_cancel(job=job):
        job.refresh_from_db()
        raise Conflict(_("The suggestion job has already finished (status: %(status)s).") % {"status": job.status},
                       code="already_finished")
    return job


def suggestions_store(
    *, job: SuggestionJob, rows: Sequence[tuple[int, str, float, float]], cursor: int, done: int, total: int
) -> bool:
    """Store one batch ``(item_id, label, confidence, margin)`` and move the job's cursor, progress and
    heartbeat, in one transaction. False (nothing stored) when the job is no longer running: cancelled,
    or reaped as stale. A row the run already has for an item (a batch stored twice) is left as it is."""
    with transaction.atomic():
        moved = SuggestionJob.objects.filter(id=job.id, status=JobStatus.RUNNING).update(
            cursor=cursor, progress_done=done, progress_total=total, heartbeat_at=timezone.now()
        )
        if moved != 1:
            return False
        Suggestion.objects.bulk_create(
            [
                Suggestion(project_id=job.project_id, item_id=item_id, run_id=job.run_id, label=label,
                           confidence=confidence, margin=margin)
                for item_id, label, confidence, margin in rows
            ],
            ignore_conflicts=True,
        )
    job.cursor, job.progress_done, job.progress_total = cursor, done, total
    return True


def suggestions_publish(*, job: SuggestionJob) -> bool:
    """Succeed the job: its set becomes the project's current one if its run is the project's latest
    with suggestions. Then the rows of older runs go, and the set's disagreements with labels given
    since are fed to the review queue. False when the job was no longer running (nothing changes)."""
    if not job_succeed(job=job, progress_done=job.progress_done, progress_total=job.progress_done):
        return False
    current = suggestion_current_job(project_id=job.project_id)
    if current is not None:
        # Older runs' rows only: a newer run's job may be writing its own meanwhile.
        Suggestion.objects.filter(project_id=job.project_id, run_id__lt=current.run_id).delete()
    suggestion_mistakes_feed(project_id=job.project_id)
    return True


def suggestion_job_mark_start(*, job: SuggestionJob) -> None:
    """At a claim: annotations made until now were given before any suggestion of this job existed, so
    the ``model_mistake`` sweep starts after them (unless an earlier attempt already moved it on)."""
    latest = Annotation.revisions.filter(project_id=job.project_id).aggregate(m=Max("id"))["m"] or 0
    SuggestionJob.objects.filter(id=job.id, mistakes_checked_through__lt=latest).update(mistakes_checked_through=latest)


def suggestion_mistakes_feed(*, project_id: int) -> int:
    """Compare the annotations given since the last sweep with the project's current suggestions: an
    item annotated after it was suggested, whose label (the majority of its current annotations; a tie
    goes to the latest one) differs from a suggestion at least ``DATAMOAT_MODEL_MISTAKE_CONFIDENCE``
    sure, gets an open ``model_mistake`` review reason (detail: run, predicted, given, confidence),
    unless a reviewer settled it already. Incremental: the job row keeps how far it read. Returns how
    many reasons it opened or refreshed."""
    job = suggestion_current_job(project_id=project_id)
    if job is None:
        return 0
    upper = Annotation.revisions.filter(project_id=project_id).aggregate(m=Max("id"))["m"] or 0
    if upper <= job.mistakes_checked_through:
        return 0
    threshold = settings.DATAMOAT_MODEL_MISTAKE_CONFIDENCE
    suggested_before = Suggestion.objects.filter(
        run_id=job.run_id, item_id=OuterRef("item_id"), created_at__lt=OuterRef("created_at"), confidence__gte=threshold
    )
    item_ids = set(
        Annotation.objects.filter(project_id=project_id, id__gt=job.mistakes_checked_through, id__lte=upper)
        .exclude(label="").filter(Exists(suggested_before)).values_list("item_id", flat=True)
    )
    opened = 0
    if item_ids:
        settled = {
            item_id for item_id, (verdict, _label, _id) in latest_reviews(project_id=project_id, item_ids=item_ids).items()
            if verdict in _FINAL_VERDICTS
        }
        suggestions = {
            s.item_id: s for s in Suggestion.objects.filter(run_id=job.run_id, item_id__in=item_ids - settled)
        }
        labels: dict[int, list[str]] = {}
        for item_id, label in (
            Annotation.objects.filter(item_id__in=suggestions).exclude(label="").order_by("id").values_list("item_id", "label")
        ):
            labels.setdefault(item_id, []).append(label)
        for item_id, suggestion in suggestions.items():
            given = _consolidated(labels.get(item_id, []))
            if given is None or given == suggestion.label:
                continue
            review_candidate_add(
                project_id=project_id, item_id=item_id, kind=ReviewCandidate.Kind.MODEL_MISTAKE,
                score=suggestion.confidence,
                detail={"run": job.run_id, "predicted": suggestion.label, "given": given,
                        "confidence": suggestion.confidence},
            )
            opened += 1
    SuggestionJob.objects.filter(id=job.id, mistakes_checked_through__lt=upper).update(mistakes_checked_through=upper)
    return opened


def _consolidated(labels: list[str]) -> str | None:
    """The majority label, a tie going to the latest of the tied (``labels`` oldest first).

    >>> _consolidated(["a", "b"]), _consolidated(["a", "b", "a"]), _consolidated([])
    ('b', 'a', None)
    """
    if not labels:
        return None
    counts = Counter(labels)
    best = max(counts.values())
    return next(label for label in reversed(labels) if counts[label] == best)


def suggestion_mistakes_sweep() -> int:
    """``suggestion_mistakes_feed`` for every project with current suggestions (the beat's task)."""
    projects = (
        SuggestionJob.objects.filter(status=JobStatus.SUCCEEDED).values_list("project_id", flat=True).distinct()
    )
    opened = 0
    for project_id in list(projects):
        try:
            opened += suggestion_mistakes_feed(project_id=project_id)
        except Exception:  # one project's failure must not starve the others; the next beat tries again
            logger.exception("feeding model mistakes from the suggestions of project %s failed", project_id)
    return opened
