"""GET /versions/{id}/export: streamed from the verified snapshot, every format parses back."""
from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from django.http import StreamingHttpResponse

from curation.selectors import version_snapshot_dir
from curation.services import version_create
from curation.snapshot import DATA_FILE, MANIFEST_FILE
from tests.versions_tests.conftest import SPLIT, build, labeled_items


def _export(client, version, **params):
    return client.get(f"/api/v1/versions/{version.id}/export", params)


def _parse(fmt: str, response) -> list[dict]:
    data = b"".join(response.streaming_content)
    if fmt == "jsonl":
        return [json.loads(line) for line in data.decode("utf-8").splitlines()]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))
        return [{**r, "id": int(r["id"]), "confidence": float(r["confidence"])} for r in rows]
    return pq.read_table(io.BytesIO(data)).to_pylist()


def _snapshot_rows(version) -> list[dict]:
    rows = pq.read_table(version_snapshot_dir(version) / DATA_FILE).to_pylist()
    return [{"id": r["item_id"], "text": r["text"], "label": r["label"], "split": r["split"],
             "confidence": r["confidence"]} for r in rows]


@pytest.fixture
def version(project):
    items = labeled_items(project, 40)
    items[0].text = 'a text, with "quotes"\nand a second line'
    items[0].save(update_fields=["text"])
    return build(project)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_it_exports_every_row_in_each_format(client_for, manager, version, fmt):
    response = _export(client_for(manager), version, format=fmt)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == f'attachment; filename="Reviews-v{version.number}-all.{fmt}"'
    assert _parse(fmt, response) == _snapshot_rows(version)


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_it_exports_one_split(client_for, manager, version, split):
    rows = _parse("jsonl", _export(client_for(manager), version, format="jsonl", split=split))
    assert rows == [r for r in _snapshot_rows(version) if r["split"] == split]


def test_it_exports_jsonl_by_default(client_for, admin, version):
    response = _export(client_for(admin), version)
    assert response["Content-Type"] == "application/x-ndjson"
    assert len(_parse("jsonl", response)) == 40


def test_an_empty_split_is_a_valid_file(client_for, manager, project):
    labeled_items(project, 5)
    version = build(project, split={"train": 1.0, "val": 0.0, "test": 0.0})
    response = _export(client_for(manager), version, format="parquet", split="test")
    assert _parse("parquet", response) == []


@pytest.mark.parametrize(("params", "field"), [({"format": "xlsx"}, "format"), ({"split": "holdout"}, "split")])
def test_it_rejects_an_unknown_format_or_split(client_for, manager, version, params, field):
    response = _export(client_for(manager), version, **params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_an_unbuilt_version_cannot_be_exported(client_for, manager, project):
    labeled_items(project, 2)
    queued = version_create(project=project, split=SPLIT)
    response = _export(client_for(manager), queued, format="csv")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_built"


def test_a_tampered_snapshot_is_not_served(client_for, manager, version):
    data = version_snapshot_dir(version) / DATA_FILE
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    response = _export(client_for(manager), version, format="csv")
    assert response.status_code == 409 and response.json()["error"]["code"] == "snapshot_unavailable"


def test_a_snapshot_without_its_manifest_is_not_served(client_for, manager, version):
    (version_snapshot_dir(version) / MANIFEST_FILE).unlink()
    assert _export(client_for(manager), version).status_code == 409


@pytest.mark.parametrize("persona", ["reviewer", "annotator"])
def test_reviewers_and_annotators_cannot_export(request, client_for, version, persona):
    assert _export(client_for(request.getfixturevalue(persona)), version).status_code == 403


def test_outsider_cannot_export(client_for, outsider, version):
    assert _export(client_for(outsider), version).status_code == 404


def test_anonymous_cannot_export(client_for, version):
    assert _export(client_for(), version).status_code == 401


def test_csv_cells_a_spreadsheet_would_run_are_neutralised_unless_asked_to_keep_them(client_for, project, manager):
    from tests import factories
    from tests.versions_tests.conftest import votes

    texts = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\tTAB",
             "a plain review"]
    items = factories.make_items(project, texts)
    votes(items, ["positive"] * len(items))
    version = build(project, split={"train": 1.0, "val": 0.0, "test": 0.0})
    safe = {r["id"]: r["text"] for r in _parse("csv", _export(client_for(manager), version, format="csv"))}
    assert [safe[i.id] for i in items] == [f"'{t}" for t in texts[:5]] + ["a plain review"]
    raw = {r["id"]: r["text"] for r in _parse("csv", _export(client_for(manager), version, format="csv", formulas="keep"))}
    assert [raw[i.id] for i in items] == texts
    assert _export(client_for(manager), version, format="csv", formulas="eval").status_code == 400


def test_the_formula_rule_has_a_worked_example():
    import doctest

    import curation.exporters.delimited

    result = doctest.testmod(curation.exporters.delimited)
    assert result.attempted == 1 and result.failed == 0
