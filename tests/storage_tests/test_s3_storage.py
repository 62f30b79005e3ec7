"""Snapshots and run artifacts through the storage API against an S3-compatible server (moto in server
mode): the whole path (build, export, diff, train, read the artifacts), and a worker on another
machine that has none of the web machine's files, downloads what it needs and checks it."""
from __future__ import annotations

import json
import threading

import pytest

from common.errors import Conflict
from common.storage import (
    MANIFEST,
    StorageError,
    file_delete,
    file_local,
    file_publish,
    file_sha256,
    folder_local,
    storages_reset,
)
from curation.selectors import snapshot_key, version_snapshot_dir
from curation.snapshot import DATA_FILE, snapshot_open, snapshot_table
from tests.storage_tests.conftest import stored_keys
from tests.training_tests.snapshots import TINY
from tests.versions_tests.conftest import build, labeled_items
from training import engine
from training.selectors import run_artifacts_dir
from training.services import run_create, run_execute

ARTIFACTS = {"model.safetensors", "tokenizer.json", "config.json", "metrics.json", MANIFEST}


def _jsonl(response) -> list[dict]:
    return [json.loads(line) for line in b"".join(response.streaming_content).decode("utf-8").splitlines()]


def _snapshot_key(version) -> str:
    return snapshot_key(project_id=version.project_id, number=version.number)


def test_build_export_diff_train_and_artifacts_all_go_through_the_s3_storage(s3, machines, project, manager,
                                                                              client_for):
    web = machines("web")
    labeled_items(project, 60)
    first = build(project)
    assert first.status == "succeeded", first.error
    key = _snapshot_key(first)
    assert first.snapshot_path == key
    assert stored_keys(s3) == [f"shared/{key}/{DATA_FILE}", f"shared/{key}/{MANIFEST}"]
    # The finished build folder became this machine's cached copy: nothing left behind, nothing to download.
    assert web.files() == [f"storage-cache/{key}/{DATA_FILE}", f"storage-cache/{key}/{MANIFEST}"]

    client = client_for(manager)
    response = client.get(f"/api/v1/versions/{first.id}/export", {"format": "jsonl"})
    assert response.status_code == 200
    exported = _jsonl(response)
    table = snapshot_table(version_snapshot_dir(first), columns=["item_id", "label"]).to_pylist()
    assert [(r["id"], r["label"]) for r in exported] == [(r["item_id"], r["label"]) for r in table]
    assert len(exported) == 60

    labeled_items(project, 10, prefix="more")
    second = build(project)
    assert second.status == "succeeded", second.error
    diff = client.get(f"/api/v1/versions/{second.id}/diff", {"against": first.id})
    assert diff.status_code == 200
    assert (diff.json()["added"], diff.json()["removed"], diff.json()["unchanged"]) == (10, 0, 60)

    run = run_execute(run_id=run_create(version=second, config=TINY, created_by=manager).id)
    assert run.status == "succeeded", run.error
    assert run.artifacts_path == f"artifacts/run_{run.id}"
    assert {k.rsplit("/", 1)[1] for k in stored_keys(s3) if k.startswith(f"shared/artifacts/run_{run.id}/")} == ARTIFACTS
    assert not (web.root / "artifacts" / f"run_{run.id}").exists()  # moved into the cache once stored
    folder = run_artifacts_dir(run)
    assert {p.name for p in folder.iterdir()} == ARTIFACTS
    classifier = engine.load_classifier(folder)
    assert [label for label, _ in classifier.predict(["review number 1000: great film"])] == ["positive"]


def test_a_worker_on_another_machine_downloads_checks_and_heals_its_copies(s3, machines, project, manager):
    labeled_items(project, 60)
    version = build(project)
    key = _snapshot_key(version)
    web_copy = machines("web").root / "storage-cache" / key

    worker = machines("worker")
    assert worker.files() == []
    folder = version_snapshot_dir(version)
    assert folder == worker.root / "storage-cache" / key
    manifest = snapshot_open(folder)  # complete, and every checksum holds
    assert manifest["content_hash"] == version.content_hash
    assert file_sha256(folder / DATA_FILE) == file_sha256(web_copy / DATA_FILE)

    # A damaged copy (same size, other bytes) is found by its checksum and fetched again; so is a lost one.
    data = folder / DATA_FILE
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    assert snapshot_open(version_snapshot_dir(version))["content_hash"] == version.content_hash
    data.unlink()
    assert snapshot_open(version_snapshot_dir(version))["content_hash"] == version.content_hash
    assert sorted(p.name for p in folder.parent.iterdir()) == [f"v{version.number}"]  # no temp folder left

    # The worker trains on its copy and stores the artifacts; a third machine reads them.
    run = run_execute(run_id=run_create(version=version, config=TINY, created_by=manager).id)
    assert run.status == "succeeded", run.error
    reader = machines("reader")
    folder = run_artifacts_dir(run)
    assert folder == reader.root / "storage-cache" / f"artifacts/run_{run.id}"
    assert {p.name for p in folder.iterdir()} == ARTIFACTS
    stored = json.loads((folder / MANIFEST).read_text())["files"]
    assert all(file_sha256(folder / name) == meta["sha256"] for name, meta in stored.items())


def test_a_folder_without_its_manifest_is_not_stored(s3, machines, project, manager, client_for):
    """The manifest is uploaded last: a folder whose upload stopped before it (here: removed) does not
    exist for any reader, and the API says so with a 409 instead of serving half a snapshot."""
    client, bucket = s3
    labeled_items(project, 40)
    version = build(project)
    client.delete_object(Bucket=bucket, Key=f"shared/{_snapshot_key(version)}/{MANIFEST}")
    worker = machines("worker")
    with pytest.raises(Conflict) as caught:
        version_snapshot_dir(version)
    assert caught.value.code == "snapshot_unavailable"
    response = client_for(manager).get(f"/api/v1/versions/{version.id}/export")
    assert response.status_code == 409 and response.json()["error"]["code"] == "snapshot_unavailable"
    run = run_execute(run_id=run_create(version=version, config=TINY).id)
    assert run.status == "failed" and run.error.startswith("Training could not start")
    assert worker.files() == []


def test_a_stored_file_that_does_not_match_its_manifest_is_refused(s3, machines, project):
    client, bucket = s3
    labeled_items(project, 40)
    version = build(project)
    name = f"shared/{_snapshot_key(version)}/{DATA_FILE}"
    raw = bytearray(client.get_object(Bucket=bucket, Key=name)["Body"].read())
    raw[len(raw) // 2] ^= 0xFF
    client.put_object(Bucket=bucket, Key=name, Body=bytes(raw))
    worker = machines("worker")
    with pytest.raises(StorageError, match="does not match its manifest"):
        folder_local(_snapshot_key(version))
    assert worker.files() == []  # the download was thrown away


def test_two_processes_fetching_one_folder_at_once_each_get_a_complete_copy(s3, machines, project):
    labeled_items(project, 40)
    version = build(project)
    key = _snapshot_key(version)
    worker = machines("worker")
    start = threading.Barrier(4)
    results, errors = [], []

    def fetch():
        try:
            start.wait()
            results.append(folder_local(key))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert set(results) == {worker.root / "storage-cache" / key}
    assert snapshot_open(results[0])["content_hash"] == version.content_hash
    assert sorted(p.name for p in results[0].parent.iterdir()) == [f"v{version.number}"]


def test_an_upload_stored_on_the_web_machine_is_read_on_a_worker(s3, machines):
    """The file helpers that uploads use: stored once spooled, read anywhere, deleted everywhere."""
    web = machines("web")
    spooled = web.root / "uploads" / "project-1" / "a1b2.csv"
    spooled.parent.mkdir(parents=True)
    spooled.write_text("text,label\ngreat film,positive\n")
    file_publish(spooled, "uploads/project-1/a1b2.csv")
    assert stored_keys(s3) == ["shared/uploads/project-1/a1b2.csv"]
    assert web.files() == ["storage-cache/uploads/project-1/a1b2.csv"]  # moved, not copied

    worker = machines("worker")
    local = file_local("uploads/project-1/a1b2.csv")
    assert local == worker.root / "storage-cache" / "uploads/project-1/a1b2.csv"
    assert local.read_text() == "text,label\ngreat film,positive\n"
    local.write_text("cut")  # another size: fetched again
    assert file_local("uploads/project-1/a1b2.csv").read_text().startswith("text,label")

    file_delete("uploads/project-1/a1b2.csv")
    assert stored_keys(s3) == [] and worker.files() == []
    with pytest.raises(StorageError, match="not stored"):
        file_local("uploads/project-1/a1b2.csv")


def test_a_build_whose_upload_fails_fails_with_the_reason_and_leaves_nothing(s3, machines, project, settings):
    from config.settings.base import _datamoat_storage

    settings.STORAGES = {**settings.STORAGES, "datamoat": _datamoat_storage("s3://datamoat-no-such-bucket/x")}
    storages_reset()
    labeled_items(project, 40)
    version = build(project)
    assert version.status == "failed" and version.snapshot_path == ""
    assert f"StorageError: Storing {_snapshot_key(version)} failed" in version.error
    assert machines("web").files() == [] and stored_keys(s3) == []


@pytest.mark.django_db
def test_an_import_received_by_the_web_machine_runs_on_a_worker(s3, machines, project, tmp_path):
    from ingestion.services import import_create, import_execute
    from projects.models import Item

    source = tmp_path / "reviews.csv"
    source.write_text("text,label\ngreat film,positive\nawful film,negative\n")
    machines("web")
    job = import_create(project=project, file=source, label_field="label", dispatch=False)
    assert job.file_path.startswith(f"uploads/project-{project.id}/")
    assert stored_keys(s3) == [f"shared/{job.file_path}"]
    worker = machines("worker")
    done = import_execute(job_id=job.id)
    assert done.status == "succeeded", done.error
    assert sorted(Item.objects.filter(project=project).values_list("text", flat=True)) == ["awful film", "great film"]
    assert worker.files() == [f"storage-cache/{job.file_path}"]
