"""A project's queue of runs is bounded, a failed run can be retried, and a run is asked for in JSON."""
from __future__ import annotations

import pytest

from training.models import TrainingRun

pytestmark = pytest.mark.django_db


def _runs_url(version) -> str:
    return f"/api/v1/versions/{version.id}/runs"


def test_runs_beyond_the_projects_queue_limit_are_409(client_for, project, manager, make_version, settings):
    settings.DATAMOAT_MAX_QUEUED_RUNS = 2
    version = make_version(project)
    client = client_for(manager)
    assert [client.post(_runs_url(version), {}, format="json").status_code for _ in range(2)] == [202, 202]
    refused = client.post(_runs_url(version), {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "too_many_queued_runs"
    TrainingRun.objects.filter(project=project).update(status="cancelled")
    assert client.post(_runs_url(version), {}, format="json").status_code == 202


def test_a_multipart_body_is_415_and_queues_nothing(client_for, project, manager, make_version):
    version = make_version(project)
    response = client_for(manager).post(_runs_url(version), {"garbage": "x\x00y"}, format="multipart")
    assert response.status_code == 415 and response.json()["error"]["code"] == "unsupported_media_type"
    assert not TrainingRun.objects.exists()


def test_a_failed_run_is_retried_and_others_are_409(client_for, project, manager, annotator, make_version):
    version = make_version(project)
    from training import engine

    run = TrainingRun.objects.create(project=project, version=version, status="failed", history=[{"step": 1}],
                                     error="The worker stopped reporting",
                                     config=engine.RunConfig.from_options({}).to_dict())
    response = client_for(manager).post(f"/api/v1/runs/{run.id}/retry")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    run.refresh_from_db()
    assert (run.status, run.history, run.error) == ("queued", [], "")
    again = client_for(manager).post(f"/api/v1/runs/{run.id}/retry")
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_failed"
    assert client_for(annotator).post(f"/api/v1/runs/{run.id}/retry").status_code == 403


def test_an_unknown_api_path_is_a_json_404_whatever_the_method(client_for, manager):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    for method in ("get", "post", "put", "delete"):
        response = getattr(browser, method)("/api/v1/no-such-thing")
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", method
