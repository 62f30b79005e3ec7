"""Job rows move only through conditional UPDATEs; a second claimer gets nothing."""
from datetime import timedelta

import pytest
from django.utils import timezone

from common.jobs import (
    job_cancel,
    job_claim,
    job_fail,
    job_progress,
    job_requeue,
    job_succeed,
    jobs_reap_stale,
    jobs_redispatch_queued,
)
from common.models import JobStatus
from ingestion.models import ImportJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(project):
    return ImportJob.objects.create(project=project, file_name="a.csv", file_path="/tmp/a.csv", format="csv")


def test_it_claims_a_queued_job_once(job):
    first = job_claim(model=ImportJob, job_id=job.id)
    second = job_claim(model=ImportJob, job_id=job.id)
    assert first is not None and first.status == JobStatus.RUNNING and first.attempts == 1
    assert second is None


def test_it_does_not_claim_a_cancelled_job(job):
    assert job_cancel(job=job)
    assert job_claim(model=ImportJob, job_id=job.id) is None


def test_progress_reports_false_once_the_job_was_cancelled(job):
    running = job_claim(model=ImportJob, job_id=job.id)
    assert job_progress(job=running, done=5, total=10)
    job_cancel(job=running)
    assert not job_progress(job=running, done=6)
    running.refresh_from_db()
    assert running.status == JobStatus.CANCELLED and running.progress_done == 5


def test_a_finished_job_cannot_be_failed_or_cancelled(job):
    running = job_claim(model=ImportJob, job_id=job.id)
    assert job_succeed(job=running)
    assert not job_fail(job=running, error="late")
    assert not job_cancel(job=running)
    running.refresh_from_db()
    assert running.status == JobStatus.SUCCEEDED and running.error == ""


def test_the_reaper_fails_stale_running_jobs_and_they_can_run_again(job):
    running = job_claim(model=ImportJob, job_id=job.id)
    ImportJob.objects.filter(id=job.id).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    fresh = ImportJob.objects.create(project=job.project, file_name="b.csv", file_path="/b", format="csv")
    job_claim(model=ImportJob, job_id=fresh.id)

    assert jobs_reap_stale(stale_after=timedelta(minutes=5)) == 1

    running.refresh_from_db()
    fresh.refresh_from_db()
    assert running.status == JobStatus.FAILED and "run again" in running.error
    assert fresh.status == JobStatus.RUNNING
    assert job_requeue(job=running)
    again = job_claim(model=ImportJob, job_id=job.id)
    assert again is not None and again.attempts == 2 and again.error == ""


def test_a_queued_job_whose_message_was_lost_is_sent_again_once_per_threshold(job):
    sent = []

    def send(name, args):
        sent.append((name, args))

    ImportJob.objects.filter(id=job.id).update(updated_at=timezone.now() - timedelta(hours=1))
    fresh = ImportJob.objects.create(project=job.project, file_name="b.csv", file_path="/b", format="csv")

    assert jobs_redispatch_queued(older_than=timedelta(minutes=10), send=send) == 1
    assert sent == [("ingestion.run_import", [job.id])]
    # Just re-sent: not again on the next tick.
    assert jobs_redispatch_queued(older_than=timedelta(minutes=10), send=send) == 0
    fresh.refresh_from_db()
    assert fresh.status == JobStatus.QUEUED


def test_a_running_job_is_never_sent_again(job):
    job_claim(model=ImportJob, job_id=job.id)
    ImportJob.objects.filter(id=job.id).update(updated_at=timezone.now() - timedelta(hours=1))
    assert jobs_redispatch_queued(older_than=timedelta(minutes=10), send=lambda *a, **k: None) == 0


def test_every_job_model_names_a_registered_task():
    from celery import current_app

    from common.jobs import job_models

    current_app.loader.import_default_modules()
    for model in job_models():
        assert model.TASK_NAME in current_app.tasks, f"{model.__name__}.TASK_NAME {model.TASK_NAME!r}"


def test_job_dispatch_sends_the_models_task_on_commit_and_routes_training_to_its_queue(
    job, monkeypatch, django_capture_on_commit_callbacks
):
    from celery import current_app

    from common.jobs import job_dispatch

    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, args: sent.append((name, args)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job_dispatch(job)
    assert sent == [] and len(callbacks) == 1  # nothing leaves before the commit
    callbacks[0]()
    assert sent == [(ImportJob.TASK_NAME, [job.id])]

    router = current_app.amqp.router
    assert router.route({}, "training.run")["queue"].name == "training"
    assert router.route({}, ImportJob.TASK_NAME)["queue"].name == "default"
