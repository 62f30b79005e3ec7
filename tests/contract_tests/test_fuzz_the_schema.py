"""Schemathesis fuzzes every operation of /api/v1/schema against a live server: no 5xx, and every
answer conforms to the schema (status, content type, body). Run as its CLI in a subprocess, the way a
user would, with a site admin's token and a project with data so that ids resolve."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.services import token_for
from projects.models import Item
from tests import factories
from tests.versions_tests.conftest import votes

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_schemathesis_finds_no_5xx_and_no_schema_violation(live_server, tmp_path, settings):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    admin = factories.make_user("fuzz-admin", is_admin=True)
    project = factories.make_project(name="fuzzed")
    items = factories.make_items(project, [f"a fuzzed text number {i}" for i in range(12)])
    votes(items, ["positive" if i % 2 else "negative" for i in range(12)])
    # votes() writes the rows alone; the items' counters must say so, as every real path keeps them (a label
    # delete moves them down, and the database refuses a count below zero).
    Item.objects.filter(id__in=[item.id for item in items]).update(annotation_count=1)
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    done = subprocess.run(
        [cli, "run", f"{live_server.url}/api/v1/schema", "--checks", CHECKS, "--max-examples", "10",
         "--phases", "examples,fuzzing", "-H", f"Authorization: Token {token_for(user=admin)}",
         # Signing out and revoking tokens would revoke the fuzzer's own credentials half-way.
         "--exclude-path-regex", "/auth/|/tokens", "--seed", "1",
         "--request-timeout", "20", "--suppress-health-check", "all", "--no-color"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,  # its .schemathesis/ cache goes there
    )
    tail = (done.stdout + done.stderr)[-6000:]
    assert done.returncode == 0, tail
