"""``GET``/``POST /runs/{id}/suggestions`` and ``POST /runs/{id}/suggestions/cancel``: who may, and
the job's states."""
from __future__ import annotations

import pytest

from common.models import JobStatus
from curation.models import DatasetVersion
from tests import factories
from training.models import TrainingRun

pytestmark = pytest.mark.django_db


def make_run(project, status=JobStatus.SUCCEEDED) -> TrainingRun:
    version = DatasetVersion.objects.create(project=project, number=1, status=JobStatus.SUCCEEDED)
    return TrainingRun.objects.create(project=project, version=version, status=status,
                                      artifacts_path="artifacts/run_x" if status == JobStatus.SUCCEEDED else "")


def test_a_manager_starts_sees_and_cancels_a_runs_suggestions(client_for, project, manager, reviewer,
                                                              django_capture_on_commit_callbacks):
    run = make_run(project)
    url = f"/api/v1/runs/{run.id}/suggestions"
    missing = client_for(reviewer).get(url)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "no_suggestions"

    with django_capture_on_commit_callbacks() as sent:
        started = client_for(manager).post(url)
    assert started.status_code == 202 and len(sent) == 1
    body = started.json()
    assert (body["run"], body["project"], body["status"], body["current"]) == (run.id, project.id, "queued", False)
    assert body["progress"] == {"done": 0, "total": 0}

    seen = client_for(reviewer).get(url)
    assert seen.status_code == 200 and seen.json()["id"] == body["id"]
    busy = client_for(manager).post(url)
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "suggestions_busy"

    cancelled = client_for(manager).post(f"{url}/cancel")
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    assert client_for(manager).post(f"{url}/cancel").status_code == 409
    again = client_for(manager).post(url)  # a cancelled job starts again
    assert again.status_code == 202 and again.json()["status"] == "queued" and again.json()["id"] == body["id"]


def test_a_run_without_a_model_has_no_suggestions_to_start(client_for, project, manager):
    run = make_run(project, status=JobStatus.RUNNING)
    response = client_for(manager).post(f"/api/v1/runs/{run.id}/suggestions")
    assert response.status_code == 409 and response.json()["error"]["code"] == "run_not_succeeded"


def test_only_single_label_projects_have_suggestions(client_for, admin):
    project = factories.make_project(task_type="multilabel")
    response = client_for(admin).post(f"/api/v1/runs/{make_run(project).id}/suggestions")
    assert response.status_code == 400 and response.json()["error"]["code"] == "unsupported_task_type"


def test_annotators_and_outsiders_are_refused(client_for, project, annotator, reviewer, outsider):
    run = make_run(project)
    url = f"/api/v1/runs/{run.id}/suggestions"
    assert client_for(annotator).get(url).status_code == 403
    assert client_for(reviewer).post(url).status_code == 403
    assert client_for(annotator).post(f"{url}/cancel").status_code == 403
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(outsider).post(url).status_code == 404
