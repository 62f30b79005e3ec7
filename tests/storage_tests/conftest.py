"""Shared files through an S3-compatible server: moto in server mode (a real HTTP server on a free port,
reached by boto3 over the network as a real deployment would), and "machines": each a data folder of
its own (snapshot, artifact and upload work areas, storage cache), so a test can write on one and read
on another that has none of the first one's local files."""
from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from common.storage import storages_reset


@pytest.fixture(scope="session")
def s3_endpoint():
    boto3 = pytest.importorskip("boto3")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's server logs every request
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    yield endpoint, boto3
    server.stop()


class Machine:
    """One host's local folders; ``use()`` points the settings at them."""

    def __init__(self, settings, root: Path):
        self.settings = settings
        self.root = root

    def use(self) -> Machine:
        self.settings.SNAPSHOT_DIR = self.root / "snapshots"
        self.settings.ARTIFACT_DIR = self.root / "artifacts"
        self.settings.UPLOAD_DIR = self.root / "uploads"
        self.settings.DATAMOAT_STORAGE_CACHE_DIR = self.root / "storage-cache"
        return self

    def files(self) -> list[str]:
        """Every file under this machine's folders, relative to its root."""
        return sorted(str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file())


@pytest.fixture
def machines(settings, tmp_path):
    """``machines("web")``, ``machines("worker")``: each call makes (or returns) that machine and
    switches the settings to it. Starts on "web"."""
    made: dict[str, Machine] = {}

    def use(name: str) -> Machine:
        if name not in made:
            made[name] = Machine(settings, tmp_path / name)
        return made[name].use()

    use("web")
    return use


@pytest.fixture
def s3(s3_endpoint, settings, monkeypatch, machines):
    """STORAGES["datamoat"] is django-storages' S3Storage on a new bucket of the moto server, configured
    from the environment exactly as the settings do it (DATAMOAT_STORAGE_URL and friends). Yields the
    boto3 client and the bucket name, to look at or damage what is stored."""
    endpoint, boto3 = s3_endpoint
    from config.settings.base import _datamoat_storage

    bucket = f"datamoat-{uuid.uuid4().hex[:12]}"
    for name, value in {
        "DATAMOAT_S3_ENDPOINT_URL": endpoint, "DATAMOAT_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {**settings.STORAGES, "datamoat": _datamoat_storage(f"s3://{bucket}/shared")}
    storages_reset()  # Django resets on a STORAGES change too; this makes it explicit
    yield client, bucket
    storages_reset()


def stored_keys(s3) -> list[str]:
    client, bucket = s3
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))
