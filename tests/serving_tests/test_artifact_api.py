"""GET /api/v1/runs/{id}/artifact: the run's artifacts folder and a model card as one streamed tar, whose
weights load back with the engine and predict as the run's model does; managers and admins only."""
from __future__ import annotations

import io
import os
import tarfile

import pytest
import torch

from accounts.roles import Role
from common.models import JobStatus
from common.storage import folder_manifest
from tests import factories
from training import engine
from training.models import Prediction, TrainingRun
from training.selectors import run_artifacts_dir

from .conftest import train_vader_run

pytestmark = pytest.mark.slow


@pytest.fixture
def project(db):
    return factories.make_project(name="VADER movies", labels=("negative", "positive"))


@pytest.fixture
def run(project, manager, served_models):
    return train_vader_run(project, manager)


def _download(client, run_id, **headers):
    return client.get(f"/api/v1/runs/{run_id}/artifact", **headers)


def _body(response) -> bytes:
    assert response.streaming  # written as it is read, never built whole first
    return b"".join(response.streaming_content)


def test_the_tar_holds_every_file_of_the_folder_and_the_model_card(client_for, manager, run):
    response = _download(client_for(manager), run.id)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-tar"
    assert response["Content-Disposition"] == f'attachment; filename="datamoat-run-{run.id}.tar"'
    body = _body(response)
    assert int(response["Content-Length"]) == len(body) and len(body) % tarfile.RECORDSIZE == 0
    folder = run_artifacts_dir(run)
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert {"model.safetensors", "tokenizer.json", "config.json", "metrics.json", "manifest.json"} <= set(files)
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        members = tar.getmembers()
        assert sorted(m.name for m in members) == sorted(f"datamoat-run-{run.id}/{n}" for n in [*files, "README.md"])
        assert all(m.isfile() for m in members)
        for name in files:
            assert tar.extractfile(f"datamoat-run-{run.id}/{name}").read() == (folder / name).read_bytes()


def test_the_weights_in_the_tar_load_back_and_predict_as_the_run_does(client_for, admin, run, tmp_path):
    body = _body(_download(client_for(admin), run.id))
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        tar.extractall(tmp_path, filter="data")
    loaded = engine.load_classifier(tmp_path / f"datamoat-run-{run.id}")
    original = engine.load_classifier(run_artifacts_dir(run))
    stored = list(Prediction.objects.filter(run=run).select_related("item").order_by("id"))
    texts = [p.item.text for p in stored]
    probabilities = loaded.predict_proba(texts)
    assert loaded.labels == original.labels == ["negative", "positive"]
    assert torch.equal(probabilities, original.predict_proba(texts))
    predicted = [loaded.labels[i] for i in probabilities.argmax(dim=-1).tolist()]
    agree = sum(a == p.predicted for a, p in zip(predicted, stored, strict=True))
    assert agree >= len(stored) - 1  # a float-noise tie at most (batches pad differently)


def test_the_model_card_names_the_version_its_quality_and_the_metrics(client_for, manager, run):
    body = _body(_download(client_for(manager), run.id))
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        card = tar.extractfile(f"datamoat-run-{run.id}/README.md").read().decode("utf-8")
    version = run.version
    test = run.metrics["test"]
    assert f"# Datamoat run {run.id}: VADER movies" in card
    assert f"- Dataset version: {version.number} (gold)" in card and version.content_hash in card
    assert f"| Items | {version.quality['items']['total']} |" in card
    noise = version.quality["label_noise"]["estimated_rate"]
    assert f"| Estimated label noise rate | {noise:.4f} |" in card and "| Percent agreement | n/a |" in card
    assert f"| test | {test['accuracy']:.4f} | {test['macro_f1']:.4f} | {test['count']} |" in card
    assert f"| val | {run.metrics['val']['accuracy']:.4f} |" in card
    for label, row in test["per_class"].items():
        assert f"| {label} | {row['precision']:.4f} | {row['recall']:.4f} | {row['f1']:.4f} | {row['support']} |" in card
    assert "0. negative" in card and "1. positive" in card  # the head's order
    assert '"epochs": 1' in card and "- Model: `transformer`" in card
    assert f'engine.load_classifier("datamoat-run-{run.id}")' in card


def test_it_streams_big_files_in_pieces_and_keeps_a_readme_of_the_folder(client_for, manager, run):
    folder = run_artifacts_dir(run)
    big = os.urandom(3 * 1024 * 1024 + 5)
    (folder / "extra.bin").write_bytes(big)
    (folder / "README.md").write_text("the base model's own card")
    folder_manifest(folder, run=run.id)
    response = _download(client_for(manager), run.id)
    pieces = list(response.streaming_content)
    assert max(len(p) for p in pieces) <= 1024 * 1024
    with tarfile.open(fileobj=io.BytesIO(b"".join(pieces))) as tar:
        top = f"datamoat-run-{run.id}"
        assert tar.extractfile(f"{top}/extra.bin").read() == big
        assert tar.extractfile(f"{top}/README.original.md").read() == b"the base model's own card"
        assert tar.extractfile(f"{top}/README.md").read().startswith(b"# Datamoat run")


def test_it_answers_a_client_that_accepts_only_tar(client_for, manager, run):
    response = _download(client_for(manager), run.id, HTTP_ACCEPT="application/x-tar")
    assert response.status_code == 200 and response["Content-Type"] == "application/x-tar"


# --- who may -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("role", "expected"), [("admin", 200), ("manager", 200), ("reviewer", 403),
                                                ("annotator", 403), ("outsider", 404), (None, 401)])
def test_who_may_download_the_artifact(request, client_for, run, role, expected):
    user = request.getfixturevalue(role) if role else None
    response = _download(client_for(user), run.id)
    assert response.status_code == expected
    if expected != 200:
        assert response.json()["error"]["code"]


def test_a_manager_of_another_project_gets_404(client_for, run):
    other = factories.make_project(name="Other")
    stranger = factories.make_member(other, factories.make_user("other_manager"), Role.MANAGER)
    assert _download(client_for(stranger), run.id).status_code == 404


# --- state ---------------------------------------------------------------------------------------
def test_a_run_that_has_not_succeeded_is_409(client_for, manager, project):
    from curation.models import DatasetVersion

    version = DatasetVersion.objects.create(project=project, number=1, status=JobStatus.SUCCEEDED)
    run = TrainingRun.objects.create(project=project, version=version, status=JobStatus.FAILED, config={})
    response = _download(client_for(manager), run.id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_succeeded"


def test_a_run_without_artifacts_is_409(client_for, manager, run):
    TrainingRun.objects.filter(id=run.id).update(artifacts_path="")
    response = _download(client_for(manager), run.id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "no_artifacts"


def test_a_run_with_a_file_missing_from_its_artifacts_is_409(client_for, manager, run):
    (run_artifacts_dir(run) / "tokenizer.json").unlink()
    response = _download(client_for(manager), run.id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "artifacts_unavailable"
