"""CoNLL → import → version → CoNLL export, through the services and the API, on the real WNUT-16 file: every
tweet comes back token for token and tag for tag (the import's spans, the build's consolidation, the
snapshot and the exporter's whitespace tokenizer, all in between)."""
from __future__ import annotations

import pytest

from curation.services import version_create, version_execute
from ingestion.models import ImportJob
from ingestion.services import import_create, import_execute
from tests import factories
from tests.ingestion_tests.test_span_readers import wnut_path

pytestmark = pytest.mark.django_db

LIMIT = 300  # tweets: enough for every entity type, quick


def _sentences(text: str, separator=None) -> list[tuple[tuple[str, str], ...]]:
    out, current = [], []
    for line in text.splitlines():
        if line.strip():
            token, tag = line.rsplit(separator, 1)
            current.append((token.strip(), tag.strip()))
        elif current:
            out.append(tuple(current))
            current = []
    return out + ([tuple(current)] if current else [])


def test_a_conll_file_comes_back_from_a_version_export_exactly(tmp_path, manager, client_for):
    original = _sentences(wnut_path().read_text(encoding="utf-8"), "\t")[:LIMIT]
    path = tmp_path / "wnut.conll"
    path.write_text("\n\n".join("\n".join(f"{token}\t{tag}" for token, tag in s) for s in original) + "\n",
                    encoding="utf-8")
    types = sorted({tag[2:] for s in original for _, tag in s if tag != "O"})
    project = factories.make_project(labels=types, task_type="spans")
    project.memberships.create(user=manager, role="manager")
    job = import_create(project=project, file=path, format="conll", created_by=manager, dispatch=False)
    import_execute(job_id=job.id)
    job = ImportJob.objects.get(id=job.id)
    assert job.status == "succeeded", job.error
    version = version_execute(version_id=version_create(project=project, consolidation="majority",
                                                        split={"train": 0.8, "val": 0.1, "test": 0.1}, seed=0).id)
    assert version.status == "succeeded", version.error
    response = client_for(manager).get(f"/api/v1/versions/{version.id}/export?format=conll&tokenizer=whitespace")
    assert response.status_code == 200
    exported = _sentences(b"".join(response.streaming_content).decode("utf-8"))
    # Items are unique by text. A tweet the file repeats is one item whose copies are separate votes (sources
    # "label", "label#2"), consolidated by majority: compare the tweets the file holds once, exactly.
    texts = [tuple(token for token, _ in s) for s in original]
    once = {s for s, text in zip(original, texts, strict=True) if texts.count(text) == 1}
    assert once <= set(exported) and len(once) > 250
    assert len(exported) == job.created_count == len(set(texts))
