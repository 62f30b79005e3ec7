"""A finished run predicts the project's unlabeled items: suggestions for annotators, the uncertainty
queue order, and model mistakes for review (ARCHITECTURE.md, "The loop").

    run succeeded ──suggestions_queue──▶ SuggestionJob (queued; task ``training.suggestions``, training queue)
        ──suggestions_execute──▶ batches of PREDICT_BATCH items by id: predict, store with the cursor
        ──▶ succeeded: the project's current set (annotation.suggestion_services.suggestions_publish)

The rows live in annotation (the queue reads them; annotation may not import training); this module
only runs the model. torch is imported by the engine on first use, inside the worker, never by the web
process (``training.engine`` loads its names lazily).

Resumable: each batch commits with the job's cursor (the last item id stored), so a retry of a failed
job (a crash, reaped by ``common.jobs``) goes on after it. Cancel: the next batch's store finds the row
no longer running and stops; what was stored stays unpublished.
"""
from __future__ import annotations

from django.utils.translation import gettext as _

from annotation import suggestion_selectors, suggestion_services
from annotation.models import SuggestionJob
from common.errors import Conflict, Invalid
from common.jobs import job_claim, job_fail, job_fail_unexpected
from common.models import JobStatus
from projects.models import Project, TaskType
from training import engine
from training.models import TrainingRun
from training.selectors import run_artifacts_dir

PREDICT_BATCH = 512  # texts per forward pass and per stored batch (one transaction, one heartbeat)


def suggestions_queue(*, run: TrainingRun, created_by=None) -> SuggestionJob | None:
    """Queue the predictions of a run that just succeeded (call it after the run's success committed,
    or inside that transaction: the task is sent on commit). None when the run's project cannot have
    suggestions (not single-label classification), the run has no artifacts, or its job exists already."""
    if run.status != JobStatus.SUCCEEDED or not run.artifacts_path:
        return None
    if Project.objects.filter(id=run.project_id).values_list("task_type", flat=True).first() != TaskType.CLASSIFICATION:
        return None
    if suggestion_selectors.suggestion_job_for_run(run_id=run.id) is not None:
        return None
    try:
        return suggestion_services.suggestion_job_start(project_id=run.project_id, run_id=run.id, created_by=created_by)
    except Conflict:  # a concurrent call queued it
        return None


def suggestions_start(*, run: TrainingRun, created_by=None) -> SuggestionJob:
    """Start the run's suggestion job by hand (the API's POST): a new one, or its failed or cancelled one
    again, from its cursor. 409 ``run_not_succeeded`` (the run has no model yet), ``suggestions_busy``,
    ``suggestions_done``; 400 ``unsupported_task_type``."""
    if run.status != JobStatus.SUCCEEDED or not run.artifacts_path:
        raise Conflict(_("Run %(id)s has no trained model to predict with (status: %(status)s).")
                       % {"id": run.id, "status": run.status}, code="run_not_succeeded")
    if run.project.task_type != TaskType.CLASSIFICATION:
        raise Invalid(_("Suggestions support single-label classification; this project is %(task_type)s.")
                      % {"task_type": run.project.task_type}, code="unsupported_task_type")
    return suggestion_services.suggestion_job_start(project_id=run.project_id, run_id=run.id, created_by=created_by)


def suggestions_execute(*, job_id: int) -> SuggestionJob | None:
    """Claim the job and predict its run's pool from the cursor on. None when another worker has it or
    it was cancelled while queued. Ends succeeded (published), cancelled (left as the cancel set it) or
    failed with a readable message (it can be started again)."""
    job = job_claim(model=SuggestionJob, job_id=job_id)
    if job is None:
        return None
    try:
        suggestion_services.suggestion_job_mark_start(job=job)
        run = TrainingRun.objects.select_related("project").filter(id=job.run_id).first()
        if run is None or run.status != JobStatus.SUCCEEDED:
            job_fail(job=job, error=f"Run {job.run_id} has no trained model to predict with.")
            return job
        newer = suggestion_selectors.suggestion_current_job(project_id=job.project_id)
        if newer is not None and newer.run_id > job.run_id:  # a later run's set is current: nothing to add
            suggestion_services.suggestions_publish(job=job)
            return job
        _predict(job, run)
    except Conflict as exc:  # e.g. the artifacts cannot be read (training.selectors.run_artifacts_dir)
        job_fail(job=job, error=f"The suggestions could not be predicted: {exc}")
    except Exception as exc:
        job_fail_unexpected(job=job, exc=exc, what="The suggestion job")
    job.refresh_from_db()
    return job


def _predict(job: SuggestionJob, run: TrainingRun) -> None:
    project = run.project
    loaded = engine.load_classifier(run_artifacts_dir(run))
    labels = loaded.labels
    done = suggestion_selectors.suggestion_count(run_id=run.id)  # stored by earlier attempts
    total = done + suggestion_selectors.suggestion_pool(project=project, after_id=job.cursor).count()
    if not suggestion_services.suggestions_store(job=job, rows=[], cursor=job.cursor, done=done, total=total):
        return
    while True:
        batch = list(
            suggestion_selectors.suggestion_pool(project=project, after_id=job.cursor).values_list("id", "text")[:PREDICT_BATCH]
        )
        if not batch:
            break
        probs = loaded.predict_proba([text for _, text in batch], batch_size=PREDICT_BATCH)  # [B, C]
        rows = [(item_id, *_top(row, labels)) for (item_id, _), row in zip(batch, probs.tolist(), strict=True)]
        done += len(rows)
        total = max(total, done)
        if not suggestion_services.suggestions_store(job=job, rows=rows, cursor=batch[-1][0], done=done, total=total):
            return  # cancelled or reaped: leave the row as it is
    suggestion_services.suggestions_publish(job=job)


def _top(probabilities: list[float], labels: list[str]) -> tuple[str, float, float]:
    """(label, confidence, margin): the most probable label, its probability, and how far it is ahead
    of the second (with one label, the margin is its probability).

    >>> _top([0.2, 0.7, 0.1], ["a", "b", "c"])
    ('b', 0.7, 0.49999999999999994)
    """
    ranked = sorted(range(len(probabilities)), key=lambda i: probabilities[i], reverse=True)
    first = probabilities[ranked[0]]
    second = probabilities[ranked[1]] if len(ranked) > 1 else 0.0
    return labels[ranked[0]], first, first - second
