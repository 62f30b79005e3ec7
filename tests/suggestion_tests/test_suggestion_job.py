"""The suggestion job on a real finished run: what it predicts, resuming from its cursor, re-running a
failed one, a newer run's set replacing an older one whole, cancelling."""
from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.roles import Role
from annotation import services as annotation_services
from annotation import suggestion_services
from annotation.models import Review, Suggestion, SuggestionJob
from common.errors import Conflict
from common.jobs import jobs_reap_stale
from common.models import JobStatus
from projects.models import Item
from tests import factories
from training import engine, suggestions
from training.selectors import run_artifacts_dir
from training.suggestions import suggestions_execute, suggestions_queue, suggestions_start

from .conftest import train_run

pytestmark = pytest.mark.django_db


def queued_job(run) -> SuggestionJob:
    """The run's job: queued here, or already by the run's own success (training.services may queue it)."""
    return suggestions_queue(run=run) or SuggestionJob.objects.get(run_id=run.id)


def test_it_predicts_exactly_the_unlabeled_unreviewed_included_items(trained):
    project, manager, run, pool = trained
    excluded, settled, sent_back, annotated = pool[0], pool[1], pool[2], pool[3]
    excluded.excluded_reason = "too short"
    excluded.save()
    Review.objects.create(project=project, item=settled, reviewer=manager, verdict="accept")
    Review.objects.create(project=project, item=sent_back, reviewer=manager, verdict="send_back")
    annotator = factories.make_member(project, factories.make_user(), Role.ANNOTATOR)
    lease = annotation_services.item_claim_next(project=project, user=annotator, exclude_ids=[excluded.id, settled.id])
    annotation_services.annotation_create(item=lease.item, user=annotator, value={"label": "positive"})
    annotated = lease.item

    job = suggestions_execute(job_id=queued_job(run).id)

    assert job.status == JobStatus.SUCCEEDED, job.error
    expected = {item.id for item in pool} - {excluded.id, settled.id, annotated.id}
    stored = {s.item_id: s for s in Suggestion.objects.filter(run_id=run.id)}
    assert set(stored) == expected  # the 240 labeled items, the excluded and the settled one are left out
    assert job.progress_done == job.progress_total == len(expected)
    assert job.cursor == max(expected)
    for suggestion in stored.values():
        assert suggestion.label in ("positive", "negative") and suggestion.project_id == project.id
        assert 0.5 <= suggestion.confidence <= 1.0
        # Two labels: the margin is p1 - p2 = 2 * p1 - 1.
        assert suggestion.margin == pytest.approx(2 * suggestion.confidence - 1, abs=1e-5)
    # The run's own model says the same for the same texts.
    loaded = engine.load_classifier(run_artifacts_dir(run))
    ids = sorted(stored)
    texts = dict(Item.objects.filter(id__in=ids).values_list("id", "text"))
    for item_id, (label, confidence) in zip(ids, loaded.predict([texts[i] for i in ids]), strict=True):
        assert stored[item_id].label == label and stored[item_id].confidence == pytest.approx(confidence, abs=1e-5)


def test_a_crashed_job_is_failed_by_the_reaper_and_goes_on_from_its_cursor(trained, monkeypatch):
    project, manager, run, pool = trained
    monkeypatch.setattr(suggestions, "PREDICT_BATCH", 16)
    real_store = suggestion_services.suggestions_store
    stores = []

    class WorkerKilled(BaseException):
        """Like a SIGKILL: nothing of the worker's code runs after it (not an Exception)."""

    def dies_after_two_batches(**kwargs):
        if len(stores) == 3:  # the opening write (progress total) and two batches made it
            raise WorkerKilled
        stores.append(kwargs["rows"])
        return real_store(**kwargs)

    monkeypatch.setattr(suggestion_services, "suggestions_store", dies_after_two_batches)
    job = queued_job(run)
    with pytest.raises(WorkerKilled):
        suggestions_execute(job_id=job.id)
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # a dead worker leaves its row running
    first = {s.item_id: s.id for s in Suggestion.objects.filter(run_id=run.id)}
    assert len(first) == 32 and job.cursor == max(first) and job.progress_done == 32

    assert jobs_reap_stale(stale_after=timedelta(0)) >= 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "can be run again" in job.error
    predicted = []
    monkeypatch.setattr(suggestion_services, "suggestions_store", lambda **kw: predicted.extend(kw["rows"]) or real_store(**kw))

    job = suggestions_execute(job_id=suggestions_start(run=run, created_by=manager).id)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert len(predicted) == len(pool) - 32  # only what the first attempt had not stored
    assert min(item_id for item_id, *_ in predicted) > max(first)
    rows = {s.item_id: s.id for s in Suggestion.objects.filter(run_id=run.id)}
    assert set(rows) == {item.id for item in pool} and all(rows[i] == first[i] for i in first)
    assert job.progress_done == job.progress_total == len(pool)


def test_a_job_that_failed_can_be_started_again(trained, settings, tmp_path):
    project, manager, run, pool = trained
    artifacts = run.artifacts_path
    type(run).objects.filter(id=run.id).update(artifacts_path="artifacts/run_gone")
    job = suggestions_execute(job_id=queued_job(run).id)
    assert job.status == JobStatus.FAILED and "run again" in job.error
    assert not Suggestion.objects.filter(run_id=run.id).exists()

    type(run).objects.filter(id=run.id).update(artifacts_path=artifacts)
    run.refresh_from_db()
    job = suggestions_execute(job_id=suggestions_start(run=run).id)
    assert job.status == JobStatus.SUCCEEDED and Suggestion.objects.filter(run_id=run.id).count() == len(pool)
    with pytest.raises(Conflict) as done:
        suggestions_start(run=run)
    assert done.value.code == "suggestions_done"


def test_a_newer_run_replaces_the_set_and_the_queue_never_reads_half_of_one(trained, vader, monkeypatch):
    project, manager, first_run, pool = trained
    suggestions_execute(job_id=queued_job(first_run).id)
    annotator = factories.make_member(project, factories.make_user(), Role.ANNOTATOR)
    second_run = train_run(project, manager, [])  # a second run on a new version of the same labels

    # The second run's job stores some of its rows, then its worker dies.
    monkeypatch.setattr(suggestions, "PREDICT_BATCH", 16)
    real_store = suggestion_services.suggestions_store
    calls = []

    def dies_after_one_batch(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_store(**kwargs)

    monkeypatch.setattr(suggestion_services, "suggestions_store", dies_after_one_batch)
    with pytest.raises(KeyboardInterrupt):
        suggestions_execute(job_id=queued_job(second_run).id)
    assert Suggestion.objects.filter(run_id=second_run.id).count() == 16

    # Meanwhile the queue reads the first run's whole set, never the half-written second one.
    lease = annotation_services.item_claim_next(project=project, user=annotator)
    assert lease.item.suggestion_run == first_run.id
    assert lease.item.suggestion_label == Suggestion.objects.get(run_id=first_run.id, item_id=lease.item_id).label

    monkeypatch.setattr(suggestion_services, "suggestions_store", real_store)
    jobs_reap_stale(stale_after=timedelta(0))
    job = suggestions_execute(job_id=suggestions_start(run=second_run).id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert not Suggestion.objects.filter(run_id=first_run.id).exists()  # the older set is gone
    assert Suggestion.objects.filter(run_id=second_run.id).count() == len(pool)
    resumed = annotation_services.item_claim_next(project=project, user=annotator)
    assert resumed.item_id == lease.item_id and resumed.item.suggestion_run == second_run.id


def test_a_cancelled_job_stops_and_publishes_nothing(trained, monkeypatch):
    project, manager, run, pool = trained
    monkeypatch.setattr(suggestions, "PREDICT_BATCH", 16)
    real_store = suggestion_services.suggestions_store
    job = queued_job(run)

    def cancelled_after_one_batch(**kwargs):
        if kwargs["rows"]:
            suggestion_services.suggestion_job_cancel(job=SuggestionJob.objects.get(id=job.id))
        return real_store(**kwargs)

    monkeypatch.setattr(suggestion_services, "suggestions_store", cancelled_after_one_batch)
    job = suggestions_execute(job_id=job.id)
    assert job.status == JobStatus.CANCELLED
    assert not Suggestion.objects.filter(run_id=run.id).exists()  # the batch after the cancel is not stored
    annotator = factories.make_member(project, factories.make_user(), Role.ANNOTATOR)
    assert annotation_services.item_claim_next(project=project, user=annotator).item.suggestion_label is None
