"""run_create / run_execute / run_cancel against a version snapshot written by the test."""
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from common.errors import Conflict, Invalid
from common.jobs import job_cancel, job_claim, jobs_reap_stale
from common.models import JobStatus
from curation.selectors import version_snapshot_dir
from tests.factories import make_project
from training import engine
from training import services as training_services
from training.models import Prediction, TrainingRun
from training.selectors import run_artifacts_dir
from training.services import RowReporter, run_cancel, run_create, run_execute

from .snapshots import TINY


def test_it_queues_a_run_with_the_resolved_config_and_sends_the_task_on_commit(project, manager, make_version,
                                                                             django_capture_on_commit_callbacks):
    version = make_version(project)
    with django_capture_on_commit_callbacks() as callbacks:
        run = run_create(version=version, config={"epochs": 2}, created_by=manager)
    assert len(callbacks) == 1
    assert run.status == JobStatus.QUEUED and run.project_id == project.id
    assert run.config["train"]["epochs"] == 2 and run.config["model"]["d_model"] == 128


def test_it_trains_a_built_version_and_stores_metrics_predictions_and_artifacts(project, manager, make_version):
    version = make_version(project)
    run = run_create(version=version, config=TINY, created_by=manager)
    run = run_execute(run_id=run.id)

    assert run.status == JobStatus.SUCCEEDED, run.error
    assert run.device == "cpu fp32"
    assert run.progress_done == run.progress_total == 36
    assert run.metrics["accuracy"] == run.metrics["test"]["accuracy"] >= 0.9
    assert run.metrics["val"]["labels"] == ["positive", "negative"]
    assert set(run.metrics["per_class"]) == {"positive", "negative"}
    assert run.history and run.history[-1]["step"] == 36
    assert "val_macro_f1" in run.history[-1]
    assert Prediction.objects.filter(run=run).count() == version.counts["val"] + version.counts["test"]
    assert {p.name for p in run_artifacts_dir(run).iterdir()} >= {"model.safetensors", "tokenizer.json", "config.json"}


def test_it_refuses_a_version_that_is_not_built(project, make_version):
    version = make_version(project, status=JobStatus.RUNNING)
    with pytest.raises(Conflict):
        run_create(version=version, config={})


def test_it_refuses_a_bad_config_by_field(project, make_version):
    version = make_version(project)
    with pytest.raises(Invalid) as caught:
        run_create(version=version, config={"epochs": -1, "layers": 3})
    assert set(caught.value.fields) == {"epochs", "layers"}


def test_it_queues_multilabel_and_span_projects_too(db, make_version):
    for task_type, labels in (("multilabel", ["a", "b"]), ("spans", ["PER"])):
        project = make_project(task_type=task_type, labels=labels)
        version = make_version(project, [(0, "ada", [labels[0]] if task_type == "multilabel" else
                                          [{"start": 0, "end": 3, "label": "PER"}], "train")])
        assert run_create(version=version, config={}).status == JobStatus.QUEUED


def test_a_failing_engine_ends_the_run_failed_with_a_readable_message(project, make_version):
    version = make_version(project)
    (Path(version.snapshot_path) / "manifest.json").unlink()
    run = run_create(version=version, config=TINY)
    run = run_execute(run_id=run.id)
    assert run.status == JobStatus.FAILED
    assert "no manifest.json" in run.error and run.error.startswith("Training could not start")
    assert run.finished_at is not None
    assert not Prediction.objects.filter(run=run).exists()


def test_a_corrupt_snapshot_ends_the_run_failed(project, make_version):
    version = make_version(project)
    (Path(version.snapshot_path) / "data.parquet").write_bytes(b"not parquet")
    run = run_execute(run_id=run_create(version=version, config=TINY).id)
    assert run.status == JobStatus.FAILED and "checksum" in run.error


def test_a_run_cancelled_while_queued_is_never_trained(project, make_version):
    run = run_create(version=make_version(project), config=TINY)
    run_cancel(run=run)
    assert run_execute(run_id=run.id) is None
    run.refresh_from_db()
    assert run.status == JobStatus.CANCELLED and run.started_at is None


def test_the_reporter_tells_the_engine_to_stop_once_the_run_is_cancelled(project, make_version):
    run = run_create(version=make_version(project), config=TINY)
    run = job_claim(model=TrainingRun, job_id=run.id)
    reporter = RowReporter(run, interval_s=0)
    reporter.on_start(10)
    reporter.on_step(1, 1, 0.7)
    assert not reporter.should_stop()
    job_cancel(job=run)
    reporter.on_step(2, 1, 0.6)
    assert reporter.should_stop()
    run.refresh_from_db()
    assert run.status == JobStatus.CANCELLED and run.progress_done == 1  # the cancelled row is left alone


def test_the_reporter_throttles_row_writes(project, make_version):
    run = job_claim(model=TrainingRun, job_id=run_create(version=make_version(project), config=TINY).id)
    reporter = RowReporter(run, interval_s=3600)
    reporter.on_start(100)
    for step in range(1, 100):
        reporter.on_step(step, 1, 1.0)
    run.refresh_from_db()
    assert run.progress_done == 0 and run.history == []
    reporter.on_step(100, 1, 0.0)  # the last step always lands
    run.refresh_from_db()
    assert run.progress_done == 100 and run.history == [{"step": 100, "epoch": 1, "loss": 0.99}]


def test_cancel_refuses_a_finished_run(project, make_version):
    run = run_execute(run_id=run_create(version=make_version(project), config=TINY).id)
    with pytest.raises(Conflict, match="already finished"):
        run_cancel(run=run)


def test_the_reporter_puts_eval_figures_on_the_latest_point(project, make_version):
    run = job_claim(model=TrainingRun, job_id=run_create(version=make_version(project), config=TINY).id)
    reporter = RowReporter(run, interval_s=0)
    reporter.on_start(4)
    reporter.on_step(1, 1, 0.5)
    reporter.on_eval(1, 1, "val", {"accuracy": 0.8, "macro_f1": 0.7})
    run.refresh_from_db()
    assert run.history == [{"step": 1, "epoch": 1, "loss": 0.5, "val_accuracy": 0.8, "val_macro_f1": 0.7}]


def test_the_reporter_does_not_let_evaluations_bypass_the_throttle(project, make_version):
    run = job_claim(model=TrainingRun, job_id=run_create(version=make_version(project), config=TINY).id)
    reporter = RowReporter(run, interval_s=3600)
    reporter.on_start(100)
    for step in range(1, 6):
        reporter.on_step(step, step, 1.0)
        reporter.on_eval(step, step, "val", {"accuracy": 0.5, "macro_f1": 0.5})  # tiny epochs, one eval each
    run.refresh_from_db()
    assert run.history == [] and run.progress_done == 0


def _stale(run) -> None:
    """Age the heartbeat past the reaper's threshold, as a long phase without beats would."""
    TrainingRun.objects.filter(id=run.id).update(heartbeat_at=timezone.now() - timedelta(hours=1))


def _heartbeat(run):
    return TrainingRun.objects.values_list("heartbeat_at", flat=True).get(id=run.id)


@pytest.mark.parametrize("hook", ["phase", "eval_batch"])
def test_the_reporter_beats_the_heart_in_every_long_phase(project, make_version, hook):
    run = job_claim(model=TrainingRun, job_id=run_create(version=make_version(project), config=TINY).id)
    reporter = RowReporter(run, interval_s=0)
    _stale(run)
    before = timezone.now()
    if hook == "phase":
        reporter.on_phase("tokenizer")
    else:
        reporter.on_eval_batch("test", 64, 1000)
    assert _heartbeat(run) >= before
    assert jobs_reap_stale() == 0


def test_the_reporter_throttles_phase_beats(project, make_version):
    run = job_claim(model=TrainingRun, job_id=run_create(version=make_version(project), config=TINY).id)
    reporter = RowReporter(run, interval_s=3600)
    reporter.on_start(10)  # a write: the next beat is an hour away
    _stale(run)
    reporter.on_phase("evaluate val")
    for done in range(1, 100):
        reporter.on_eval_batch("val", done, 100)
    assert _heartbeat(run) < timezone.now() - timedelta(minutes=59)


class BeatLog(RowReporter):
    """A reporter that notes the run's heartbeat at every beat and can cancel the run at the n-th."""

    def __init__(self, run, *, cancel_at: int | None = None):
        super().__init__(run, interval_s=0)
        self.cancel_at = cancel_at
        self.beats = []

    def beat(self):
        if self.cancel_at is not None and len(self.beats) + 1 == self.cancel_at:
            job_cancel(job=self.run)
        super().beat()
        self.beats.append(_heartbeat(self.run))


@pytest.fixture
def trained_result(project, make_version, tmp_path):
    version = make_version(project)
    run = job_claim(model=TrainingRun, job_id=run_create(version=version, config=TINY).id)
    result = engine.run(version_snapshot_dir(version), tmp_path / "out", engine.RunConfig.from_options(TINY), None)
    return run, result, tmp_path / "out"


def test_it_beats_the_heart_between_batches_of_the_prediction_insert(trained_result, monkeypatch):
    run, result, out = trained_result
    monkeypatch.setattr(training_services, "PREDICTION_BATCH", 10)
    reporter = BeatLog(run)
    started = timezone.now()
    training_services._store_result(run, result, out, reporter)
    assert len(reporter.beats) == 1 + 10  # before the transaction, then after each of 96 / 10 batches
    assert all(beat >= started for beat in reporter.beats)
    assert reporter.beats == sorted(reporter.beats)
    run.refresh_from_db()
    assert run.status == JobStatus.SUCCEEDED
    assert Prediction.objects.filter(run=run).count() == 96


def test_a_run_cancelled_during_the_prediction_insert_stores_nothing(trained_result, monkeypatch):
    run, result, out = trained_result
    monkeypatch.setattr(training_services, "PREDICTION_BATCH", 10)
    # Cancelled by the user as the insert begins (a cancel from this connection inside the insert's
    # transaction would roll back with it; the user's comes from another).
    reporter = BeatLog(run, cancel_at=1)
    training_services._store_result(run, result, out, reporter)
    assert len(reporter.beats) == 2  # stopped at the first batch's beat, not after all ten
    run.refresh_from_db()
    assert run.status == JobStatus.CANCELLED
    assert not Prediction.objects.filter(run=run).exists()


def test_a_minilm_run_trains_in_the_worker_and_its_artifacts_load(project, manager, make_version, settings):
    version = make_version(project)
    run = run_create(version=version, config={"model": "minilm", "epochs": 1, "batch_size": 16, "device": "cpu"},
                     created_by=manager)
    assert (run.model, run.gpus) == ("minilm", 1)
    settings.DATAMOAT_TRAINER_THREADS = 1
    run = run_execute(run_id=run.id)
    assert run.status == JobStatus.SUCCEEDED, run.error
    # The row keeps the config as the engine resolved it: the length chosen from the data, the trainer's threads.
    assert run.config["model"]["name"] == "minilm" and run.config["model"]["max_length"] > 0
    assert run.config["train"]["threads"] == 1
    folder = run_artifacts_dir(run)
    assert {"model.safetensors", "config.json", "datamoat.json", "tokenizer.json"} <= {p.name for p in folder.iterdir()}
    classifier = engine.load_classifier(folder)
    stored = {p.item.text: p.predicted for p in Prediction.objects.filter(run=run).select_related("item")[:20]}
    assert [label for label, _ in classifier.predict(list(stored))] == list(stored.values())


def test_it_refuses_a_pretrained_model_that_is_not_installed(project, make_version, settings, tmp_path):
    settings.DATAMOAT_MODELS_DIR = tmp_path
    version = make_version(project)
    with pytest.raises(Invalid) as caught:
        run_create(version=version, config={"model": "hf:acme/absent"})
    assert caught.value.code == "unknown_model" and "acme/absent" in caught.value.message
    assert not TrainingRun.objects.filter(project=project).exists()
