"""The training endpoints: allow and deny per role, shapes, keyset lists with bounded queries."""
import pytest

from common.models import JobStatus
from training.models import TrainingRun
from training.services import run_create, run_execute

from .snapshots import TINY

ROLES = ["admin", "manager", "reviewer", "annotator", "outsider"]


@pytest.fixture
def version(project, make_version):
    return make_version(project)


@pytest.fixture
def trained_run(version):
    return run_execute(run_id=run_create(version=version, config=TINY).id)


def _as(request, client_for, role):
    return client_for(request.getfixturevalue(role) if role else None)


# --- launch -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "expected"), [("admin", 202), ("manager", 202), ("reviewer", 403),
                                                ("annotator", 403), ("outsider", 404), (None, 401)])
def test_who_may_launch_a_run(request, client_for, version, role, expected):
    response = _as(request, client_for, role).post(f"/api/v1/versions/{version.id}/runs", {"epochs": 1}, format="json")
    assert response.status_code == expected, response.content
    assert TrainingRun.objects.count() == (1 if expected == 202 else 0)


def test_it_answers_202_with_the_queued_run_and_its_version(client_for, manager, version):
    response = client_for(manager).post(f"/api/v1/versions/{version.id}/runs",
                                        {"model": "transformer", "epochs": 2, "max_length": 32}, format="json")
    body = response.json()
    assert response.status_code == 202
    assert body["status"] == "queued" and body["progress"] == {"done": 0, "total": 0}
    assert body["config"]["train"]["epochs"] == 2 and body["config"]["model"]["max_length"] == 32
    assert body["version"]["number"] == version.number
    assert body["version"]["quality"]["estimated_noise_rate"] == 0.04
    assert body["version"]["quality"]["krippendorff_alpha"] == 0.8


def test_manager_cannot_launch_on_a_version_that_is_not_built(client_for, manager, project, make_version):
    version = make_version(project, status=JobStatus.FAILED)
    response = client_for(manager).post(f"/api/v1/versions/{version.id}/runs", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_not_built"


@pytest.mark.parametrize("body", [{"epochs": 0}, {"epochs": "many"}, {"layers": 2}, {"model": "lstm"},
                                  {"n_heads": 3, "d_model": 128}])
def test_manager_cannot_launch_with_a_bad_config(client_for, manager, version, body):
    response = client_for(manager).post(f"/api/v1/versions/{version.id}/runs", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["fields"] and error["message"]


# --- list ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "expected"), [("admin", 200), ("manager", 200), ("reviewer", 200),
                                                ("annotator", 403), ("outsider", 404), (None, 401)])
def test_who_may_list_runs(request, client_for, project, version, role, expected):
    run_create(version=version, config={})
    response = _as(request, client_for, role).get(f"/api/v1/projects/{project.id}/runs")
    assert response.status_code == expected


def test_it_lists_runs_newest_first_in_keyset_pages_with_bounded_queries(
    client_for, reviewer, project, version, make_version, django_assert_max_num_queries, settings
):
    settings.DATAMOAT_MAX_QUEUED_RUNS = 5
    other = make_version(project, rows=[(0, "another text", "positive", "train")])
    runs = [run_create(version=v, config={}) for v in (version, other, version, other, version)]
    client = client_for(reviewer)
    with django_assert_max_num_queries(4):  # session user, project, role, one page with its versions
        first = client.get(f"/api/v1/projects/{project.id}/runs?page_size=3").json()
    assert [r["id"] for r in first["results"]] == [r.id for r in runs[::-1][:3]]
    assert {r["version"]["number"] for r in first["results"]} == {1, 2}
    assert "history" not in first["results"][0]
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == [r.id for r in runs[1::-1]] and second["next"] is None


# --- detail -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "expected"), [("admin", 200), ("manager", 200), ("reviewer", 200),
                                                ("annotator", 403), ("outsider", 404), (None, 401)])
def test_who_may_read_a_run(request, client_for, version, role, expected):
    run = run_create(version=version, config={})
    assert _as(request, client_for, role).get(f"/api/v1/runs/{run.id}").status_code == expected


def test_a_finished_run_carries_device_history_and_metrics(client_for, reviewer, trained_run):
    body = client_for(reviewer).get(f"/api/v1/runs/{trained_run.id}").json()
    assert body["status"] == "succeeded" and body["device"] == "cpu fp32"
    assert body["progress"] == {"done": 36, "total": 36}
    assert {"step", "epoch", "loss"} <= set(body["history"][0])
    metrics = body["metrics"]
    assert {"accuracy", "macro_f1", "per_class", "confusion_matrix", "labels", "val", "test"} <= set(metrics)
    assert set(metrics["per_class"]["positive"]) == {"precision", "recall", "f1", "support"}
    assert body["version"]["quality"]["percent_agreement"] == 0.9


def test_a_missing_run_is_404(client_for, admin):
    assert client_for(admin).get("/api/v1/runs/999999").status_code == 404


# --- cancel -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "expected"), [("admin", 202), ("manager", 202), ("reviewer", 403),
                                                ("annotator", 403), ("outsider", 404), (None, 401)])
def test_who_may_cancel_a_run(request, client_for, version, role, expected):
    run = run_create(version=version, config={})
    response = _as(request, client_for, role).post(f"/api/v1/runs/{run.id}/cancel")
    assert response.status_code == expected
    run.refresh_from_db()
    assert run.status == (JobStatus.CANCELLED if expected == 202 else JobStatus.QUEUED)


def test_manager_cannot_cancel_a_finished_run(client_for, manager, trained_run):
    response = client_for(manager).post(f"/api/v1/runs/{trained_run.id}/cancel")
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_finished"


# --- predictions --------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "expected"), [("admin", 200), ("manager", 200), ("reviewer", 200),
                                                ("annotator", 403), ("outsider", 404), (None, 401)])
def test_who_may_read_predictions(request, client_for, version, role, expected):
    run = run_create(version=version, config={})
    assert _as(request, client_for, role).get(f"/api/v1/runs/{run.id}/predictions").status_code == expected


def test_it_pages_predictions_by_split_with_bounded_queries(client_for, reviewer, trained_run, version,
                                                           django_assert_max_num_queries):
    client = client_for(reviewer)
    seen = []
    url = f"/api/v1/runs/{trained_run.id}/predictions?split=test&page_size=20"
    while url:
        with django_assert_max_num_queries(4):  # user, run with project and version, role, one page
            page = client.get(url).json()
        seen += page["results"]
        url = page["next"]
    assert len(seen) == len({p["item_id"] for p in seen}) == version.counts["test"]
    first = seen[0]
    assert set(first) == {"id", "item_id", "text", "label", "predicted", "confidence", "split", "correct",
                          "labels", "predicted_labels", "spans", "predicted_spans"}
    assert first["spans"] is None and first["labels"] is None  # a classification run
    assert all(p["split"] == "test" for p in seen)


def test_it_filters_predictions_to_the_mistakes(client_for, reviewer, trained_run):
    client = client_for(reviewer)
    wrong = client.get(f"/api/v1/runs/{trained_run.id}/predictions?correct=false&page_size=1000").json()["results"]
    right = client.get(f"/api/v1/runs/{trained_run.id}/predictions?correct=true&page_size=1000").json()["results"]
    assert all(not p["correct"] for p in wrong) and all(p["correct"] for p in right)
    assert len(wrong) + len(right) == trained_run.predictions.count()


@pytest.mark.parametrize("query", ["split=train", "split=everything", "correct=maybe", "cursor=%%%"])
def test_a_bad_prediction_query_is_400(client_for, reviewer, trained_run, query):
    response = client_for(reviewer).get(f"/api/v1/runs/{trained_run.id}/predictions?{query}")
    assert response.status_code == 400 and response.json()["error"]["message"]


def test_it_queues_a_fine_tuning_run_by_model_name(client_for, manager, version):
    response = client_for(manager).post(f"/api/v1/versions/{version.id}/runs", {"model": "minilm", "gpus": 2},
                                        format="json")
    body = response.json()
    assert response.status_code == 202, body
    assert (body["model"], body["gpus"]) == ("minilm", 2)
    assert body["config"]["model"]["name"] == "minilm"
    assert body["config"]["train"]["learning_rate"] == 1e-4  # the fine-tuning default
    assert body["config"]["model"]["max_length"] == 0  # chosen from the data when it trains


@pytest.mark.parametrize(("model", "code"), [("bert-base", "invalid"), ("hf:../secrets", "invalid"),
                                             ("hf:acme/absent", "unknown_model")])
def test_it_refuses_a_model_it_cannot_train_by_field(client_for, manager, version, settings, tmp_path, model, code):
    settings.DATAMOAT_MODELS_DIR = tmp_path
    response = client_for(manager).post(f"/api/v1/versions/{version.id}/runs", {"model": model}, format="json")
    body = response.json()
    assert response.status_code == 400, body
    assert body["error"]["code"] == code and "model" in body["error"]["fields"]
    assert not TrainingRun.objects.exists()
