"""Cleaning endpoints: managers and admins only; others 403, outsiders 404, anonymous 401."""
from __future__ import annotations

import pytest

from cleaning.models import CleaningRun
from tests.cleaning_tests.conftest import STEPS

pytestmark = pytest.mark.django_db

DENIED = [("reviewer", 403), ("annotator", 403), ("outsider", 404), (None, 401)]


def _who(request, name):
    return None if name is None else request.getfixturevalue(name)


@pytest.fixture
def finished_run(project, messy_items, run_cleaning, manager):
    return run_cleaning(project, STEPS, manager)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_and_admins_start_a_run(request, role, project, messy_items, client_for):
    response = client_for(_who(request, role)).post(
        f"/api/v1/projects/{project.id}/cleaning-runs", {"steps": STEPS}, format="json"
    )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "queued"
    assert body["progress"] == {"done": 0, "total": 6 * 7}  # six items, five steps, two of them two passes
    assert [s["op"] for s in body["steps"]] == [s["op"] for s in STEPS]
    assert body["steps"][0] == {"op": "normalize_whitespace", "changed": 0, "excluded": 0}
    assert body["spec"][3]["threshold"] == 0.8
    assert CleaningRun.objects.get(id=body["id"]).created_by_id == _who(request, role).id


@pytest.mark.parametrize(("role", "code"), DENIED)
def test_others_cannot_start_a_run(request, role, code, project, manager, client_for):
    response = client_for(_who(request, role)).post(
        f"/api/v1/projects/{project.id}/cleaning-runs", {"steps": STEPS}, format="json"
    )
    assert response.status_code == code
    assert not CleaningRun.objects.exists()


def test_a_bad_step_answers_400_naming_it(project, manager, client_for):
    response = client_for(manager).post(
        f"/api/v1/projects/{project.id}/cleaning-runs",
        {"steps": [{"op": "normalize_whitespace"}, {"op": "near_dedup", "threshold": 2}]},
        format="json",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_step"
    assert "Step 2" in error["message"] and "near_dedup" in error["message"] and "threshold" in error["message"]


@pytest.mark.parametrize("body", [{}, {"steps": []}, {"steps": "normalize"}, {"steps": [42]}])
def test_malformed_bodies_answer_400(body, project, manager, client_for):
    response = client_for(manager).post(f"/api/v1/projects/{project.id}/cleaning-runs", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_a_second_run_while_one_is_queued_is_409(project, manager, client_for):
    client = client_for(manager)
    url = f"/api/v1/projects/{project.id}/cleaning-runs"
    assert client.post(url, {"steps": STEPS}, format="json").status_code == 202
    response = client.post(url, {"steps": STEPS}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cleaning_busy"


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_and_admins_read_a_run(request, role, finished_run, client_for):
    response = client_for(_who(request, role)).get(f"/api/v1/cleaning-runs/{finished_run.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["steps"][1]["pii"] == {"email": 1, "phone": 1}
    assert body["revert"] is None and body["reverted_at"] is None


@pytest.mark.parametrize(("role", "code"), DENIED)
def test_others_cannot_read_a_run(request, role, code, finished_run, client_for):
    assert client_for(_who(request, role)).get(f"/api/v1/cleaning-runs/{finished_run.id}").status_code == code


def test_a_missing_run_is_404(manager, client_for):
    assert client_for(manager).get("/api/v1/cleaning-runs/999999").status_code == 404


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_and_admins_list_runs(request, role, finished_run, client_for):
    response = client_for(_who(request, role)).get(f"/api/v1/projects/{finished_run.project_id}/cleaning-runs")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [finished_run.id]


@pytest.mark.parametrize(("role", "code"), DENIED)
def test_others_cannot_list_runs(request, role, code, project, client_for):
    assert client_for(_who(request, role)).get(f"/api/v1/projects/{project.id}/cleaning-runs").status_code == code


def test_the_run_list_costs_a_fixed_number_of_queries(
    project, messy_items, manager, run_cleaning, revert_cleaning, client_for, django_assert_max_num_queries
):
    for _ in range(3):
        revert_cleaning(run_cleaning(project, [{"op": "normalize_whitespace"}]))
    client = client_for(manager)
    # project; membership role; the page; the reverts of the page.
    with django_assert_max_num_queries(4):
        response = client.get(f"/api/v1/projects/{project.id}/cleaning-runs?page_size=2")
    page = response.json()
    assert len(page["results"]) == 2 and page["next"]
    assert all(r["revert"]["status"] == "succeeded" for r in page["results"])
    rest = client.get(page["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_managers_and_admins_revert_a_run(request, role, finished_run, client_for):
    client = client_for(_who(request, role))
    response = client.post(f"/api/v1/cleaning-runs/{finished_run.id}/revert")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["run"] == finished_run.id
    assert client.get(f"/api/v1/cleaning-reverts/{body['id']}").json()["status"] == "queued"
    assert client.get(f"/api/v1/cleaning-runs/{finished_run.id}").json()["revert"]["id"] == body["id"]


@pytest.mark.parametrize(("role", "code"), DENIED)
def test_others_cannot_revert_a_run(request, role, code, finished_run, client_for):
    assert client_for(_who(request, role)).post(f"/api/v1/cleaning-runs/{finished_run.id}/revert").status_code == code


def test_reverting_twice_is_409(finished_run, manager, revert_cleaning, client_for):
    revert_cleaning(finished_run)
    response = client_for(manager).post(f"/api/v1/cleaning-runs/{finished_run.id}/revert")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_reverted"


@pytest.mark.parametrize(("role", "code"), [("reviewer", 403), ("outsider", 404), (None, 401)])
def test_others_cannot_read_a_revert(request, role, code, finished_run, manager, client_for):
    revert_id = client_for(manager).post(f"/api/v1/cleaning-runs/{finished_run.id}/revert").json()["id"]
    assert client_for(_who(request, role)).get(f"/api/v1/cleaning-reverts/{revert_id}").status_code == code


@pytest.mark.parametrize("role", ["admin", "manager", "annotator", "outsider"])
def test_anyone_signed_in_reads_the_step_catalogue(request, role, client_for):
    response = client_for(_who(request, role)).get("/api/v1/cleaning-steps")
    assert response.status_code == 200
    ops = {entry["op"]: entry for entry in response.json()["results"]}
    assert {"normalize_whitespace", "min_length", "max_length", "exact_dedup", "near_dedup", "redact_pii", "language"} <= set(ops)
    threshold = next(p for p in ops["near_dedup"]["params"] if p["name"] == "threshold")
    assert threshold["default"] == 0.8 and threshold["type"] == "number"


def test_anonymous_cannot_read_the_step_catalogue(client_for, db):
    assert client_for(None).get("/api/v1/cleaning-steps").status_code == 401
