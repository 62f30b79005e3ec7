"""POST /api/v1/runs/{id}/predict: a finished run's model answers for texts sent to it, with the same
labels the run stored for its own val/test items; managers and admins only; loaded once per process."""
from __future__ import annotations

import threading

import pytest

from accounts.roles import Role
from common.models import JobStatus
from tests import factories
from training import serving
from training.models import Prediction, TrainingRun
from training.services import run_create

from .conftest import TINY_RUN, train_vader_run

pytestmark = pytest.mark.slow


@pytest.fixture
def project(db):
    return factories.make_project(name="VADER movies", labels=("negative", "positive"))


@pytest.fixture
def run(project, manager, served_models):
    return train_vader_run(project, manager)


def _predict(client, run_id, texts):
    return client.post(f"/api/v1/runs/{run_id}/predict", {"texts": texts}, format="json")


def test_it_answers_the_labels_the_run_stored_for_its_own_items(client_for, manager, run):
    stored = list(Prediction.objects.filter(run=run).select_related("item").order_by("id"))
    assert {p.split for p in stored} == {"val", "test"} and len(stored) >= 80
    response = _predict(client_for(manager), run.id, [p.item.text for p in stored])
    assert response.status_code == 200, response.content
    answers = response.json()
    assert len(answers) == len(stored)
    for prediction, answer in zip(stored, answers, strict=True):
        probabilities = answer["probabilities"]
        assert list(probabilities) == ["negative", "positive"]  # the model's head order
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert answer["label"] == max(probabilities, key=probabilities.get)
        # Batching pads differently here than in the run's evaluation: equal up to float noise.
        assert probabilities[prediction.predicted] == pytest.approx(prediction.confidence, abs=1e-4)
        assert answer["label"] == prediction.predicted or (
            probabilities[answer["label"]] - probabilities[prediction.predicted] < 1e-4
        )
    assert sum(a["label"] == p.predicted for a, p in zip(answers, stored, strict=True)) >= len(stored) - 1


def test_it_answers_in_input_order_and_the_second_call_reuses_the_loaded_model(client_for, admin, run, served_models):
    client = client_for(admin)
    texts = ["A wonderful, moving film.", "Dull, tedious and far too long.", "A wonderful, moving film."]
    first = _predict(client, run.id, texts).json()
    assert served_models.loads == 1
    second = _predict(client, run.id, texts[::-1]).json()
    assert served_models.loads == 1  # not loaded again
    assert second == first[::-1] and first[0] == first[2]


def test_it_cuts_a_very_long_text_to_the_models_length(client_for, manager, run):
    long_text = " ".join(["a wonderful film"] * 5000)
    response = _predict(client_for(manager), run.id, [long_text, " ".join(["a wonderful film"] * 40)])
    assert response.status_code == 200
    long_answer, short_answer = response.json()
    # max_length is 32 tokens: both texts start with the same 120 words
    assert long_answer["probabilities"] == pytest.approx(short_answer["probabilities"], abs=1e-6)


def test_it_takes_1000_texts_and_refuses_1001_with_413(client_for, manager, run, served_models):
    client = client_for(manager)
    texts = [f"film number {i} was {'great' if i % 2 else 'awful'}" for i in range(1001)]
    ok = _predict(client, run.id, texts[:1000])
    assert ok.status_code == 200 and len(ok.json()) == 1000
    too_many = _predict(client, run.id, texts)
    assert too_many.status_code == 413
    error = too_many.json()["error"]
    assert error["code"] == "too_many_texts" and "texts" in error["fields"] and "1000" in error["message"]


@pytest.mark.parametrize("body", [{}, {"texts": []}, {"texts": "one text"}, {"texts": ["fine", ""]},
                                  {"texts": ["fine", 3]}, {"texts": ["fine", None]}, {"texts": [["nested"]]},
                                  ["a list body"]])
def test_a_bad_body_is_400_with_field_errors(client_for, manager, run, body, served_models):
    response = client_for(manager).post(f"/api/v1/runs/{run.id}/predict", body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["message"] and (error["fields"] or body == ["a list body"])
    if isinstance(body, dict):
        assert "texts" in error["fields"]
    assert served_models.loads == 0  # refused before loading anything


def test_a_form_body_is_415(client_for, manager, run):
    response = client_for(manager).post(f"/api/v1/runs/{run.id}/predict", {"texts": "x"})
    assert response.status_code == 415


# --- who may -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "expected"), [("admin", 200), ("manager", 200), ("reviewer", 403),
                                                ("annotator", 403), ("outsider", 404), (None, 401)])
def test_who_may_predict(request, client_for, run, role, expected):
    user = request.getfixturevalue(role) if role else None
    response = _predict(client_for(user), run.id, ["a fine film"])
    assert response.status_code == expected, response.content


def test_a_manager_of_another_project_gets_404(client_for, run):
    other = factories.make_project(name="Other")
    stranger = factories.make_member(other, factories.make_user("other_manager"), Role.MANAGER)
    assert _predict(client_for(stranger), run.id, ["a fine film"]).status_code == 404


def test_an_unknown_run_is_404(client_for, admin):
    assert _predict(client_for(admin), 999_999, ["a fine film"]).status_code == 404


# --- state ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.CANCELLED])
def test_a_run_that_has_not_succeeded_is_409(client_for, manager, project, status, served_models):
    from curation.models import DatasetVersion

    version = DatasetVersion.objects.create(project=project, number=1, status=JobStatus.SUCCEEDED)
    run = TrainingRun.objects.create(project=project, version=version, status=status, config={})
    response = _predict(client_for(manager), run.id, ["a fine film"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_succeeded"
    assert served_models.loads == 0


def test_a_run_without_artifacts_is_409(client_for, manager, run):
    TrainingRun.objects.filter(id=run.id).update(artifacts_path="")
    response = _predict(client_for(manager), run.id, ["a fine film"])
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_artifacts"


def test_a_run_whose_artifacts_are_damaged_is_409(client_for, manager, run):
    from training.selectors import run_artifacts_dir

    (run_artifacts_dir(run) / "model.safetensors").write_bytes(b"not weights")
    response = _predict(client_for(manager), run.id, ["a fine film"])
    assert response.status_code == 409 and response.json()["error"]["code"] == "artifacts_unavailable"


# --- the cache -----------------------------------------------------------------------------------
def test_the_cache_keeps_at_most_the_configured_number_of_models(settings, run, served_models):
    settings.DATAMOAT_SERVING_MODELS = 1
    second = run_create(version=run.version, config={**TINY_RUN, "seed": 1})
    from training.services import run_execute

    second = run_execute(run_id=second.id)
    assert second.status == JobStatus.SUCCEEDED
    for each in (run, second, run):
        serving.run_predict(run=each, texts=["a fine film"])
    assert served_models.loads == 3  # the first was evicted by the second, then loaded again
    assert [key[0] for key in served_models.keys()] == [run.id]


def test_threads_asking_at_once_load_the_model_once(run, served_models):
    """gunicorn's threads share a process: the first request loads, the others wait for that load."""
    start = threading.Barrier(4)
    answers, errors = [], []

    def ask():
        start.wait()
        try:
            answers.append(serving.run_predict(run=run, texts=["a fine film", "an awful film"]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(answers) == 4
    assert served_models.loads == 1
    assert all(answer == answers[0] for answer in answers)


def test_the_limit_is_explained_in_the_callers_language(client_for, manager, project):
    from curation.models import DatasetVersion

    version = DatasetVersion.objects.create(project=project, number=1, status=JobStatus.SUCCEEDED)
    run = TrainingRun.objects.create(project=project, version=version, status=JobStatus.QUEUED, config={})
    response = client_for(manager).post(f"/api/v1/runs/{run.id}/predict", {"texts": ["x"] * 1001}, format="json",
                                        HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "每个请求最多 1000 条文本；此请求有 1001 条。"
