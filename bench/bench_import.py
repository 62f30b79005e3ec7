"""Import throughput on PostgreSQL: 100k generated short texts as CSV, through the real import path
(spool, stream in chunks, hash, bulk insert, progress), beside PostgreSQL's own COPY of the same file
into a bare table. Peers measured on this machine import 2-6k rows/s."""
from __future__ import annotations

import csv
import os
import random
import tempfile
import time
from pathlib import Path

from bench.common import Row, requires_postgres

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
WORDS = "data label model quality version clean text review great poor plot actor scene story film".split()


def _write_csv(path: Path, rows: int, *, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for i in range(rows):
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
            writer.writerow([f"{words} #{i}", rng.choice(["pos", "neg"])])


def _copy_rows_per_s(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_copy (text text, label text)")
        started = time.perf_counter()
        with path.open("rb") as f, cursor.copy("COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_copy")
        (count,) = cursor.fetchone()
        cursor.execute("DROP TABLE bench_copy")
    return count / elapsed


def _import_rows_per_s(path: Path, *, label_field: str | None) -> tuple[float, int]:
    from accounts.models import User
    from accounts.services import user_create
    from ingestion.models import ImportJob
    from ingestion.services import import_create, import_execute
    from projects.models import Project
    from projects.services import project_create

    owner = user_create(username=f"bench-import-{time.time_ns()}", password="bench-pass-123")
    project = project_create(name="bench import", task_type="classification", labels=["pos", "neg"], created_by=owner)
    try:
        job = import_create(project=project, file=path, label_field=label_field, created_by=owner, dispatch=False)
        started = time.perf_counter()
        import_execute(job_id=job.id)
        elapsed = time.perf_counter() - started
        job = ImportJob.objects.get(id=job.id)
        if job.status != "succeeded":
            raise RuntimeError(f"import ended {job.status}: {job.error}")
        return job.created_count / elapsed, job.created_count
    finally:
        Project.objects.filter(id=project.id).delete()
        User.objects.filter(id=owner.id).delete()


def run() -> list[Row]:
    skipped = requires_postgres("import CSV")
    if skipped:
        return skipped
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        _write_csv(path, ROWS)
        copy_rate = _copy_rows_per_s(path)
        rate, created = _import_rows_per_s(path, label_field=None)
        labeled_rate, _ = _import_rows_per_s(path, label_field="label")
    note = f"PostgreSQL COPY of the same file: {copy_rate:,.0f} rows/s ({rate / copy_rate:.0%} of it); peers 2-6k rows/s"
    return [
        Row(f"import CSV {created:,} rows, texts only", rate, "rows/s", ">= 50000", rate >= 50000, note),
        Row(f"import CSV {created:,} rows + label annotations", labeled_rate, "rows/s", ">= 50000",
            labeled_rate >= 50000, "each row also stores an annotation by a named source"),
    ]
