"""The filesystem default: keys lie where the folders always were, a build's folder is stored in place
(no copy, no cache), and the settings that choose the storage."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from common.storage import (
    MANIFEST,
    DataDirStorage,
    StorageError,
    folder_local,
    folder_manifest,
    folder_publish,
    is_local,
    storage,
)
from config.env import EnvError
from config.settings.base import _datamoat_storage
from curation.selectors import version_snapshot_dir
from curation.snapshot import snapshot_open
from tests.versions_tests.conftest import build, labeled_items

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def areas(settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    settings.ARTIFACT_DIR = tmp_path / "artifacts"
    settings.DATAMOAT_STORAGE_CACHE_DIR = tmp_path / "storage-cache"
    return tmp_path


def test_a_build_is_stored_in_place_on_the_filesystem(areas, project):
    assert isinstance(storage(), DataDirStorage) and is_local()
    labeled_items(project, 40)
    version = build(project)
    assert version.snapshot_path == f"snapshots/project_{project.id}/v1"
    folder = version_snapshot_dir(version)
    assert folder == areas / "snapshots" / f"project_{project.id}" / "v1"
    inode = (folder / "data.parquet").stat().st_ino
    folder_publish(folder, version.snapshot_path)  # what the build did: nothing to copy
    assert (folder / "data.parquet").stat().st_ino == inode
    assert snapshot_open(folder)["content_hash"] == version.content_hash
    assert not (areas / "storage-cache").exists()


def test_each_area_follows_its_setting(areas, settings):
    settings.UPLOAD_DIR = areas / "elsewhere" / "uploads"
    assert folder_local("snapshots/project_2/v3") == areas / "snapshots" / "project_2" / "v3"
    assert folder_local("artifacts/run_5") == areas / "artifacts" / "run_5"
    assert storage().path("uploads/project-1/a.csv") == str(areas / "elsewhere" / "uploads" / "project-1" / "a.csv")
    assert storage().path("other/x") == os.path.join(settings.MEDIA_ROOT, "other", "x")
    with pytest.raises(Exception, match="outside"):
        storage().path("snapshots/../../etc/passwd")


def test_a_folder_from_elsewhere_is_copied_into_place_whole(areas):
    source = areas / "work"
    source.mkdir()
    (source / "weights.bin").write_bytes(b"\x00" * 1000)
    (source / "config.json").write_text("{}")
    manifest = folder_manifest(source, run=7)
    assert set(manifest["files"]) == {"weights.bin", "config.json"} and manifest["run"] == 7
    folder_publish(source, "artifacts/run_7")
    target = areas / "artifacts" / "run_7"
    assert sorted(p.name for p in target.iterdir()) == ["config.json", MANIFEST, "weights.bin"]
    (source / "weights.bin").write_bytes(b"\x01" * 10)  # published again: replaced whole
    folder_manifest(source)
    folder_publish(source, "artifacts/run_7")
    assert (target / "weights.bin").read_bytes() == b"\x01" * 10
    assert sorted(p.name for p in target.parent.iterdir()) == ["run_7"]  # no temp folder left


def test_a_stored_folder_holds_files_only(tmp_path):
    (tmp_path / "sub").mkdir()
    with pytest.raises(StorageError, match="plain file"):
        folder_manifest(tmp_path)


def test_a_version_built_before_the_storage_api_is_read_from_its_path(areas, project):
    labeled_items(project, 40)
    version = build(project)
    legacy = version_snapshot_dir(version)
    version.snapshot_path = str(legacy)  # what a build stored before: the absolute folder
    assert version_snapshot_dir(version) == legacy


# --- settings -------------------------------------------------------------------------------------


def test_the_filesystem_is_the_default():
    assert _datamoat_storage("") == {"BACKEND": "common.storage.DataDirStorage"}


def test_an_s3_url_configures_django_storages(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY_FILE", str(secret))
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("DATAMOAT_S3_ENDPOINT_URL", "http://minio:9000")
    config = _datamoat_storage("s3://datamoat-files/prod/v1")
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    options = config["OPTIONS"]
    assert (options["bucket_name"], options["location"]) == ("datamoat-files", "prod/v1")
    assert (options["endpoint_url"], options["addressing_style"]) == ("http://minio:9000", "path")
    assert (options["access_key"], options["secret_key"]) == ("AKIDEXAMPLE", "s3cr3t")
    assert options["file_overwrite"] is True


def test_on_aws_the_addressing_and_credentials_are_boto3s_own(monkeypatch):
    for name in ("DATAMOAT_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DATAMOAT_S3_ADDRESSING_STYLE"):
        monkeypatch.delenv(name, raising=False)
    options = _datamoat_storage("s3://datamoat-files")["OPTIONS"]
    assert options["location"] == "" and options["endpoint_url"] is None and options["addressing_style"] is None
    assert "access_key" not in options and "secret_key" not in options


@pytest.mark.parametrize(("env", "url", "message"), [
    ({}, "gs://bucket", "is not s3://bucket"),
    ({}, "s3:///prefix", "is not s3://bucket"),
    ({}, "s3://bucket/p?x=1", "is not s3://bucket"),
    ({"DATAMOAT_S3_ENDPOINT_URL": "minio:9000"}, "s3://bucket", "not an http:// or https:// URL"),
    ({"DATAMOAT_S3_ADDRESSING_STYLE": "dns"}, "s3://bucket", "is not auto, path or virtual"),
])
def test_a_malformed_storage_setting_stops_the_start(monkeypatch, env, url, message):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(EnvError, match=message):
        _datamoat_storage(url)


@pytest.mark.parametrize("url", ["", "s3://bucket/prefix"])
def test_the_production_settings_keep_the_shared_storage(tmp_path, url):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production", "DJANGO_SECRET_KEY": "x" * 50,
           "DATAMOAT_DATA_DIR": str(tmp_path), "DATAMOAT_STORAGE_URL": url,
           "PYTHONPATH": os.pathsep.join([str(REPO / "platform"), str(REPO)])}
    script = ("import django; django.setup(); from django.core.files.storage import storages; "
              "print(type(storages['datamoat']).__name__)")
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("S3Storage" if url else "DataDirStorage")
