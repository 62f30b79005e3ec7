"""Cancelling cleaning runs and reverts: the way out of a job that will never finish on its own.

A run cancelled mid-flight stops before its next batch, keeps what it wrote recorded (so it can be
reverted) and frees the project for the next run."""
from __future__ import annotations

import pytest

from cleaning import services
from cleaning.models import CleaningChange, CleaningRevert, CleaningRun
from cleaning.steps import BatchResult, Outcome, Step, registry
from common.errors import Conflict
from tests.cleaning_tests.conftest import MESSY, snapshot

pytestmark = pytest.mark.django_db

DENIED = [("reviewer", 403), ("annotator", 403), ("outsider", 404), (None, 401)]


def _who(request, name):
    return None if name is None else request.getfixturevalue(name)


class UpperCaseThenCancel(Step):
    """Upper-cases every text it sees; on its second batch it cancels its own run through the
    service, as a manager pressing "cancel" while the worker is between batches would."""

    op = "test_upper_then_cancel"
    description = "test only"

    def __init__(self, **params):
        super().__init__(**params)
        self.batches = 0

    def process_batch(self, rows):
        self.batches += 1
        if self.batches == 2:
            services.cleaning_run_cancel(run=CleaningRun.objects.get(status="running"))
        return BatchResult(outcomes=[Outcome(item_id, text=text.upper()) for item_id, text in rows])


@pytest.fixture
def cancelling_step(monkeypatch, settings):
    settings.CLEANING_BATCH_ROWS = 2
    monkeypatch.setitem(registry.REGISTRY, UpperCaseThenCancel.op, UpperCaseThenCancel)
    return [{"op": UpperCaseThenCancel.op}]


def test_a_run_cancelled_mid_flight_stops_and_keeps_its_changes(project, messy_items, cancelling_step):
    before = snapshot(project)
    run = services.cleaning_run_create(project=project, steps=cancelling_step, created_by=None)
    services.cleaning_run_execute(run_id=run.id)
    run.refresh_from_db()
    assert run.status == "cancelled" and run.finished_at is not None
    first_batch = [item.id for item in messy_items[:2]]
    assert sorted(CleaningChange.objects.filter(run=run).values_list("item_id", flat=True)) == first_batch
    texts = dict((item_id, text) for item_id, text, _raw, _reason in snapshot(project))
    assert [texts[item.id] for item in messy_items] == [t.upper() for t in MESSY[:2]] + MESSY[2:]
    assert run.step_counts[0]["changed"] == 2 and run.progress_done == 2
    assert snapshot(project) != before


def test_a_run_cancelled_mid_flight_can_be_reverted(project, messy_items, cancelling_step, revert_cleaning):
    before = snapshot(project)
    run = services.cleaning_run_create(project=project, steps=cancelling_step, created_by=None)
    services.cleaning_run_execute(run_id=run.id)
    run.refresh_from_db()
    revert = revert_cleaning(run)
    assert revert.status == "succeeded" and run.reverted_at is not None
    assert snapshot(project) == before


def test_a_cancelled_run_frees_the_project_for_the_next(project, messy_items, run_cleaning):
    stuck = services.cleaning_run_create(project=project, steps=[{"op": "normalize_whitespace"}], created_by=None)
    services.cleaning_run_cancel(run=stuck)  # its message was lost: no worker will ever claim it
    assert services.cleaning_run_execute(run_id=stuck.id) is None  # a late message does nothing
    assert run_cleaning(project, [{"op": "normalize_whitespace"}]).status == "succeeded"


def test_cancelling_a_finished_run_is_a_conflict(project, messy_items, run_cleaning):
    run = run_cleaning(project, [{"op": "normalize_whitespace"}])
    with pytest.raises(Conflict, match="already finished") as err:
        services.cleaning_run_cancel(run=run)
    assert err.value.code == "already_finished"
    run.refresh_from_db()
    assert run.status == "succeeded"


def test_a_cancelled_revert_leaves_the_run_revertible(project, messy_items, run_cleaning, revert_cleaning):
    before = snapshot(project)
    run = run_cleaning(project, [{"op": "normalize_whitespace"}])
    stuck = services.cleaning_run_revert(run=run, created_by=None)
    services.cleaning_revert_cancel(revert=stuck)
    assert services.cleaning_revert_execute(revert_id=stuck.id) is None
    run.refresh_from_db()
    assert run.reverted_at is None
    assert revert_cleaning(run).status == "succeeded"
    assert snapshot(project) == before


# --- API -------------------------------------------------------------------------------------------


@pytest.fixture
def queued_run(project, messy_items, manager):
    return services.cleaning_run_create(project=project, steps=[{"op": "normalize_whitespace"}], created_by=manager)


@pytest.fixture
def queued_revert(project, messy_items, run_cleaning, manager):
    run = run_cleaning(project, [{"op": "normalize_whitespace"}], manager)
    return services.cleaning_run_revert(run=run, created_by=manager)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_and_admins_cancel_a_run(request, role, project, queued_run, client_for):
    client = client_for(_who(request, role))
    response = client.post(f"/api/v1/cleaning-runs/{queued_run.id}/cancel")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["id"] == queued_run.id and body["status"] == "cancelled" and body["finished_at"] is not None
    again = client.post(f"/api/v1/projects/{project.id}/cleaning-runs", {"steps": [{"op": "min_length", "min": 5}]}, format="json")
    assert again.status_code == 202  # the project is free again


@pytest.mark.parametrize(("role", "code"), DENIED)
def test_others_cannot_cancel_a_run(request, role, code, queued_run, client_for):
    assert client_for(_who(request, role)).post(f"/api/v1/cleaning-runs/{queued_run.id}/cancel").status_code == code
    queued_run.refresh_from_db()
    assert queued_run.status == "queued"


def test_cancelling_a_finished_run_answers_409(project, messy_items, run_cleaning, manager, client_for):
    run = run_cleaning(project, [{"op": "normalize_whitespace"}])
    response = client_for(manager).post(f"/api/v1/cleaning-runs/{run.id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_finished"


def test_cancelling_a_missing_run_is_404(manager, client_for):
    assert client_for(manager).post("/api/v1/cleaning-runs/999999/cancel").status_code == 404


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_and_admins_cancel_a_revert(request, role, queued_revert, client_for):
    response = client_for(_who(request, role)).post(f"/api/v1/cleaning-reverts/{queued_revert.id}/cancel")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["id"] == queued_revert.id and body["status"] == "cancelled" and body["run"] == queued_revert.run_id


@pytest.mark.parametrize(("role", "code"), DENIED)
def test_others_cannot_cancel_a_revert(request, role, code, queued_revert, client_for):
    url = f"/api/v1/cleaning-reverts/{queued_revert.id}/cancel"
    assert client_for(_who(request, role)).post(url).status_code == code
    assert CleaningRevert.objects.get(id=queued_revert.id).status == "queued"


def test_cancelling_a_finished_revert_answers_409(project, messy_items, run_cleaning, revert_cleaning, manager, client_for):
    revert = revert_cleaning(run_cleaning(project, [{"op": "normalize_whitespace"}]))
    response = client_for(manager).post(f"/api/v1/cleaning-reverts/{revert.id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_finished"
