"""Training runs: create (queue on commit), execute (in the `training` worker), cancel.

The worker reports through engine callbacks that write to the run row at most about once a second
(progress, heartbeat, a history point of the mean loss since the last write), and that notice a
cancellation on the same write: the conditional UPDATE touches nothing once the row is no longer running.
Every long phase beats too (tokenizer, encoding, each evaluation batch, saving, each batch of the
prediction insert), so the reaper, which fails a run whose heartbeat is older than
JOB_HEARTBEAT_STALE_SECONDS, never takes a slow but healthy run for a dead one.
"""
from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.review_services import review_candidates_replace
from common.errors import Conflict, Invalid
from common.jobs import job_cancel, job_claim, job_dispatch, job_fail, job_requeue, job_succeed, unexpected_error
from common.models import JobStatus
from common.storage import folder_delete, folder_manifest, folder_publish
from curation.models import DatasetVersion
from curation.selectors import version_snapshot_dir
from projects.models import Project
from training import engine
from training.models import Prediction, TrainingRun
from training.suggestions import suggestions_queue

logger = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 1.0  # row writes per second at most, whatever the step rate
PREDICTION_BATCH = 5000
MAX_LIVE_POINTS = 1000  # the row's history is rewritten on each write: keep it small


def run_create(*, version: DatasetVersion, config: dict, created_by=None) -> TrainingRun:
    """Queue a run on a built version; the task is sent when the transaction commits.

    409 when the version is not built, 400 when the config or the project's task type cannot be run.
    """
    if version.status != JobStatus.SUCCEEDED:
        raise Conflict(
            _("Version %(number)s is not built (status: %(status)s); train on a succeeded version.")
            % {"number": version.number, "status": version.status},
            code="version_not_built",
        )
    try:
        resolved = engine.RunConfig.from_options(config)
    except engine.ConfigError as exc:
        fields = exc.fields_in(_)
        name, messages = next(iter(fields.items()))
        problem = _("%(field)s: %(message)s") % {"field": name, "message": messages[0]}
        raise Invalid(_("The training config is not valid: %(problem)s") % {"problem": problem}, fields=fields) from None
    _check_model_exists(resolved.model.name)
    with transaction.atomic():
        _check_queue_room(version.project_id)
        run = TrainingRun.objects.create(
            project_id=version.project_id,
            version=version,
            model=resolved.model.name,
            gpus=resolved.train.gpus,
            config=resolved.to_dict(),
            created_by=created_by,
        )
        job_dispatch(run)
    return run


def _check_model_exists(name: str) -> None:
    """400 ``unknown_model`` when a pretrained model's folder is not on this machine (checked again by the trainer,
    whose machine may differ; here so that a typo is told at once)."""
    try:
        if engine.is_pretrained(name):
            engine.model_dir(name, settings.DATAMOAT_MODELS_DIR)
    except engine.ModelNotFound:
        if name.startswith("hf:"):
            message = _("No model folder %(folder)s under the models folder (DATAMOAT_MODELS_DIR); an admin copies a "
                        "Hugging Face model folder there.") % {"folder": name[3:]}
        else:
            message = _("Model %(model)s is not installed on this server.") % {"model": name}
        raise Invalid(message, code="unknown_model", fields={"model": [message]}) from None


def _check_queue_room(project_id: int) -> None:
    """409 ``too_many_queued_runs`` when the project already has ``DATAMOAT_MAX_QUEUED_RUNS`` runs waiting
    or training: a script (or a fuzzer) cannot fill the trainer's queue. Call inside the transaction
    that queues the run; the project row lock serialises two such calls (PostgreSQL)."""
    Project.objects.select_for_update().filter(id=project_id).values_list("id", flat=True).first()
    limit = settings.DATAMOAT_MAX_QUEUED_RUNS
    waiting = TrainingRun.objects.filter(project_id=project_id, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).count()
    if waiting >= limit:
        raise Conflict(
            _("This project already has %(waiting)s runs queued or training (the limit is %(limit)s); wait for one "
              "to finish or cancel one.") % {"waiting": waiting, "limit": limit},
            code="too_many_queued_runs",
        )


def run_retry(*, run: TrainingRun) -> TrainingRun:
    """Queue a failed run again (a crashed worker's run, reaped): its history starts over; a leftover
    artifact folder is removed when it starts. 409 ``not_failed`` otherwise, or when the queue is full."""
    with transaction.atomic():
        _check_queue_room(run.project_id)
        if not job_requeue(job=run):
            run.refresh_from_db()
            raise Conflict(
                _("Only a failed run can be run again; this one is %(status)s.") % {"status": run.status},
                code="not_failed",
            )
        TrainingRun.objects.filter(id=run.id).update(history=[], metrics={}, device="", error="")
        job_dispatch(run)
    run.refresh_from_db()
    return run


class RowReporter(engine.Callbacks):
    """Engine callbacks that throttle progress, heartbeat and loss history into the run row."""

    def __init__(self, run: TrainingRun, *, interval_s: float = PROGRESS_INTERVAL_S):
        self.run = run
        self.interval_s = interval_s
        self.history: list[dict] = []
        self.total = 0
        self.cancelled = False
        self._last_write = 0.0
        self._step = 0
        self._epoch = 0
        self._losses: list[float] = []  # since the last history point
        self._evals: dict = {}  # eval figures waiting for the next write

    def on_phase(self, name: str) -> None:
        self.beat()

    def on_start(self, total_steps: int) -> None:
        self.total = total_steps
        self._write(done=0)

    def on_step(self, step: int, epoch: int, loss: float | None) -> None:
        self._step, self._epoch = step, epoch
        if loss is not None:  # None between the engine's readings of the loss (on CUDA, about once a second)
            self._losses.append(loss)
        self._maybe_write(force=step == self.total)

    def on_eval(self, step: int, epoch: int, split: str, metrics: dict) -> None:
        self._evals.update({f"{split}_accuracy": metrics["accuracy"], f"{split}_macro_f1": metrics["macro_f1"]})
        self._maybe_write(force=False)

    def on_eval_batch(self, split: str, done: int, total: int) -> None:
        self.beat()

    def should_stop(self) -> bool:
        return self.cancelled

    def beat(self) -> None:
        """Keep the heartbeat fresh (throttled like progress) and notice a cancellation."""
        self._maybe_write(force=False)

    def _maybe_write(self, *, force: bool) -> None:
        """At most one row write per interval: one history point (the mean loss since the last one,
        with any eval figures riding on it, so the chart keeps one series) plus progress and heartbeat."""
        if not force and time.monotonic() - self._last_write < self.interval_s:
            return
        if self._losses:
            self.history.append({"step": self._step, "epoch": self._epoch, "loss": sum(self._losses) / len(self._losses)})
            self._losses = []
        if self._evals and self.history:
            self.history[-1].update(self._evals)
            self._evals = {}
        if len(self.history) > MAX_LIVE_POINTS:  # a long run: halve the resolution, keep the shape
            self.history = self.history[1::2]
        self._write(done=self._step)

    def _write(self, *, done: int) -> None:
        self._last_write = time.monotonic()
        updated = TrainingRun.objects.filter(id=self.run.id, status=JobStatus.RUNNING).update(
            progress_done=done, progress_total=self.total, heartbeat_at=timezone.now(), history=self.history
        )
        self.cancelled = updated != 1


def run_execute(*, run_id: int) -> TrainingRun | None:
    """Claim the run and train it. None when another worker has it or it was cancelled while queued.

    Ends the row succeeded (metrics, predictions, artifacts), cancelled (left as the cancel set it;
    artifacts removed) or failed with a readable message.
    """
    run = job_claim(model=TrainingRun, job_id=run_id)
    if run is None:
        return None
    version = DatasetVersion.objects.get(id=run.version_id)
    # The engine writes here; on the filesystem storage this IS the stored folder (publishing is a no-op).
    out_dir = Path(settings.ARTIFACT_DIR) / f"run_{run.id}"
    reporter = RowReporter(run)
    try:
        config = engine.RunConfig.from_options(run.config)
        if not config.train.threads:  # leave the web server and the data worker their cores
            config.train.threads = settings.DATAMOAT_TRAINER_THREADS
        if out_dir.exists():  # a leftover of an earlier attempt of this run
            shutil.rmtree(out_dir)
        snapshot_dir = version_snapshot_dir(version)  # a remote storage: this machine's checked copy
        result = engine.run(snapshot_dir, out_dir, config, reporter, models_dir=settings.DATAMOAT_MODELS_DIR)
    except engine.TrainingCancelled:
        _discard_artifacts(run, out_dir)
        run.refresh_from_db()
        return run
    except (engine.SnapshotError, engine.ConfigError, engine.ModelNotFound, Conflict) as exc:
        return _fail(run, out_dir, f"Training could not start: {exc}")
    except Exception as exc:  # any engine failure ends the run with a message, never a stuck row
        logger.exception("training run %s failed", run.id)
        return _fail(run, out_dir, unexpected_error("The training run", exc))
    key = artifacts_key(run.id)
    try:
        reporter.beat()
        folder_manifest(out_dir, run=run.id)  # checksums, so any machine can check its copy
        folder_publish(out_dir, key)
    except Exception as exc:
        logger.exception("storing the artifacts of training run %s failed", run.id)
        return _fail(run, out_dir, f"Training finished but its artifacts could not be stored: {exc}")
    try:
        _store_result(run, result, key, reporter, evaluated_on=version.ruler)
    except Exception as exc:  # e.g. an item of the snapshot deleted with its project meanwhile
        logger.exception("storing the results of training run %s failed", run.id)
        return _fail(run, out_dir, f"Training finished but its results could not be stored: {exc}")
    run.refresh_from_db()
    if run.status != JobStatus.SUCCEEDED:  # cancelled while saving: the predictions rolled back
        _discard_artifacts(run, out_dir)
    else:  # the model now predicts the project's unlabeled items: suggestions and the uncertainty queue
        suggestions_queue(run=run)
    return run


def artifacts_key(run_id: int) -> str:
    """The storage key of a run's artifacts folder (``common.storage``); read it with
    ``training.selectors.run_artifacts_dir``."""
    return f"artifacts/run_{run_id}"


def _discard_artifacts(run: TrainingRun, out_dir: Path) -> None:
    """Remove the run's artifacts: the local folder and whatever was stored under its key."""
    shutil.rmtree(out_dir, ignore_errors=True)
    try:
        folder_delete(artifacts_key(run.id))
    except Exception:  # the storage is unreachable: the row does not point at them anyway
        logger.warning("the stored artifacts of training run %s could not be removed", run.id, exc_info=True)


def _fail(run: TrainingRun, out_dir: Path, message: str) -> TrainingRun:
    _discard_artifacts(run, out_dir)
    job_fail(job=run, error=message)
    run.refresh_from_db()
    return run


def _store_result(
    run: TrainingRun, result: engine.RunResult, artifacts: str, reporter: RowReporter, *, evaluated_on: dict | None = None
) -> None:
    """Predictions and the succeeded row in one transaction: all of them or none. ``evaluated_on`` is the
    version's ruler (``DatasetVersion.ruler``): the evaluation set its test split is, or None.

    The heartbeat is fresh (committed) when the transaction opens, and beats after each batch of
    predictions. Those beats commit only with the transaction, but the first one locks the row, so a
    reaper that finds the committed heartbeat stale waits for our commit and then sees the run
    succeeded (PostgreSQL rechecks a locked row's condition), instead of failing a run still saving.
    """
    test = result.metrics["test"]
    metrics = {**test, "val": result.metrics["val"], "test": test, "seconds": round(result.seconds, 2),
               "parameters": result.num_parameters, "vocab_size": result.vocab_size,
               "evaluated_on": evaluated_on}
    reporter.beat()
    with transaction.atomic():
        predictions = result.predictions
        for start in range(0, len(predictions), PREDICTION_BATCH):
            Prediction.objects.bulk_create(
                Prediction(
                    run_id=run.id, item_id=p.item_id, split=p.split, label=p.label,
                    predicted=p.predicted, confidence=p.confidence, value=p.value, predicted_value=p.predicted_value,
                )
                for p in predictions[start:start + PREDICTION_BATCH]
            )
            reporter.beat()
            if reporter.cancelled:  # cancelled while saving: leave nothing behind
                transaction.set_rollback(True)
                return
        stored = job_succeed(
            job=run,
            config=result.config.to_dict(),  # as resolved by the engine (max_length chosen, threads)
            metrics=metrics,
            device=result.device,
            history=result.history,
            artifacts_path=artifacts,
            progress_done=result.total_steps,
            progress_total=result.total_steps,
        )
        if not stored:
            transaction.set_rollback(True)
            return
        if all(p.value is None for p in predictions):  # classification: confident disagreements go to review
            _feed_model_mistakes(run, predictions)


def _feed_model_mistakes(run: TrainingRun, predictions) -> int:
    """The run's confident disagreements with the version's labels become the project's open
    ``model_mistake`` review candidates (the latest finished run's replace the ones before)."""
    threshold = settings.DATAMOAT_MODEL_MISTAKE_CONFIDENCE
    entries = [
        (p.item_id, p.confidence, {"run": run.id, "predicted": p.predicted, "given": p.label,
                                   "confidence": p.confidence, "split": p.split})
        for p in predictions
        if p.predicted != p.label and p.confidence >= threshold
    ]
    return review_candidates_replace(project_id=run.project_id, kind="model_mistake", entries=entries)


def run_cancel(*, run: TrainingRun) -> TrainingRun:
    """Cancel a queued or running run (a running worker stops within about a second). 409 if finished."""
    if run.is_finished or not job_cancel(job=run):
        run.refresh_from_db()
        raise Conflict(
            _("The run has already finished (status: %(status)s).") % {"status": run.status}, code="already_finished"
        )
    return run
