"""Version build and streamed export of 100k generated short texts on PostgreSQL.

Items and one label each are inserted with COPY (the bench measures the build and the export, not the
insert). The build is the real service (votes, majority vote, splits, snapshot, quality report with the
label-noise estimate); the exports go through the real view (DRF request, manifest checksum check,
StreamingHttpResponse consumed chunk by chunk). Beside them: PostgreSQL's own
``COPY (SELECT id, text, label ...) TO STDOUT`` of the same rows. Target: export >= 100k rows/s.
"""
from __future__ import annotations

import io
import random
import shutil
import time

from bench.common import Row, requires_postgres

ROWS = 100_000
TARGET = 100_000
WORDS = ("film", "plot", "actor", "score", "scene", "ending", "cast", "script", "pace", "camera")
GOOD = ("great", "moving", "sharp", "lovely", "clever")
BAD = ("dull", "clumsy", "flat", "boring", "messy")


def _texts(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        positive = rng.random() < 0.6
        mood = rng.choice(GOOD if positive else BAD)
        out.append((f"review {i}: the {rng.choice(WORDS)} was {mood}, the {rng.choice(WORDS)} {rng.choice(WORDS)}",
                    "positive" if positive else "negative"))
    return out


def _copy_rows(cursor, sql: str, rows) -> None:
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _seed(project, data) -> None:
    """Items and one "gold" annotation per item, by COPY."""
    from django.db import connection

    from projects.services import content_hash

    with connection.cursor() as wrapper:
        raw = wrapper.cursor  # the psycopg cursor, for COPY
        _copy_rows(
            raw,
            "COPY projects_item (project_id, text, raw_text, meta, content_hash, excluded_reason, annotation_count,"
            " created_at) FROM STDIN",
            ((project.id, t, t, "{}", content_hash(t), "", 1, "now") for t, _ in data),
        )
        raw.execute("SELECT id FROM projects_item WHERE project_id = %s ORDER BY id", [project.id])
        ids = [r[0] for r in raw.fetchall()]
        _copy_rows(
            raw,
            "COPY annotation_annotation (project_id, item_id, source, value, label, created_at) FROM STDIN",
            ((project.id, item_id, "gold", f'{{"label": "{label}"}}', label, "now")
             for item_id, (_, label) in zip(ids, data, strict=True)),
        )


def _stream(client, version, fmt: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(f"/api/v1/versions/{version.id}/export", {"format": fmt})
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    return time.perf_counter() - started, size


def _pg_copy(project_id: int) -> float:
    from django.db import connection

    sink = io.BytesIO()
    started = time.perf_counter()
    with connection.cursor() as wrapper:
        sql = (
            "COPY (SELECT i.id, i.text, a.label FROM projects_item i JOIN annotation_annotation a ON a.item_id = i.id"
            f" WHERE i.project_id = {int(project_id)} AND i.excluded_reason = '' ORDER BY i.id) TO STDOUT WITH CSV"
        )
        with wrapper.cursor.copy(sql) as copy:
            for block in copy:
                sink.write(block)
    return time.perf_counter() - started


def run() -> list[Row]:
    skipped = requires_postgres("export")
    if skipped:
        return skipped
    from rest_framework.test import APIClient

    from accounts.models import User
    from curation import services
    from curation.selectors import version_snapshot_dir
    from projects.models import Project

    user = User.objects.create(username=f"bench-export-{time.time_ns()}", is_admin=True)
    project = Project.objects.create(name="bench export", labels=["positive", "negative"], created_by=user)
    folder = None
    try:
        _seed(project, _texts(ROWS))
        started = time.perf_counter()
        version = services.version_create(project=project, split={"train": 0.8, "val": 0.1, "test": 0.1},
                                          created_by=user)
        version = services.version_execute(version_id=version.id)
        build_s = time.perf_counter() - started
        assert version.status == "succeeded", version.error
        folder = version_snapshot_dir(version)
        rows = sum(version.counts.values())
        timings = version.quality.get("timings_s", {})

        client = APIClient()
        client.force_authenticate(user)
        # The first request loads the URLconf and every app's API module: not part of an export's cost.
        assert client.get(f"/api/v1/versions/{version.id}").status_code == 200
        jsonl_s, jsonl_bytes = _stream(client, version, "jsonl")
        csv_s, csv_bytes = _stream(client, version, "csv")
        parquet_s, _ = _stream(client, version, "parquet")
        copy_s = _pg_copy(project.id)
        copy_note = f"PostgreSQL COPY (SELECT id, text, label) TO STDOUT: {rows / copy_s:,.0f} rows/s"
        breakdown = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        return [
            Row(f"version build {rows // 1000}k rows", build_s, "s", note=breakdown),
            Row(f"export JSONL {rows // 1000}k rows", rows / jsonl_s, "rows/s", f">= {TARGET}", rows / jsonl_s >= TARGET,
                f"{jsonl_bytes / jsonl_s / 1e6:.0f} MB/s; {copy_note}"),
            Row(f"export CSV {rows // 1000}k rows", rows / csv_s, "rows/s", f">= {TARGET}", rows / csv_s >= TARGET,
                f"{csv_bytes / csv_s / 1e6:.0f} MB/s; {copy_note}"),
            Row(f"export Parquet {rows // 1000}k rows", rows / parquet_s, "rows/s", note=copy_note),
        ]
    finally:
        project.delete()
        user.delete()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
            try:
                folder.parent.rmdir()  # project_<id>/, now empty
            except OSError:
                pass
