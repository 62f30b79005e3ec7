"""Labeling under concurrency, through the real HTTP API on PostgreSQL.

A project of 100k short texts asking for ONE annotation per item; gunicorn serves the API on
loopback; 1 and then 4 annotator threads loop `POST next` + `POST annotations` with token auth on
keep-alive connections. Reported: next+submit latency per iteration (median, p95) beside the target
(p95 <= 25 ms with 4), and how many items were handed to two people (target 0), counted from the
database afterwards. Peers measured on this machine take 70-270 ms per iteration.
"""
from __future__ import annotations

import http.client
import json
import os
import statistics
import time

from bench.common import Row, gunicorn, p95, requires_postgres, run_clients

ITEMS = int(os.environ.get("BENCH_LABEL_ITEMS", "100000"))
ITERATIONS = int(os.environ.get("BENCH_LABEL_ITERATIONS", "300"))  # per annotator
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
# Extra gunicorn arguments, e.g. "--worker-class gthread --threads 4" (keep-alive connections).
GUNICORN_ARGS = os.environ.get("BENCH_GUNICORN_ARGS", "").split()


def _seed(n_annotators: int):
    from django.db import connection

    from accounts.roles import Role
    from accounts.services import token_for, user_create
    from projects.models import Membership
    from projects.services import content_hash, project_create

    admin = user_create(username=f"bench-admin-{time.time_ns()}", password="bench-pass-123")
    project = project_create(
        name="bench labeling", task_type="classification", labels=["a", "b", "c"], created_by=admin
    )
    # COPY is the fastest way in; this is set-up, not what is measured.
    with connection.cursor() as cursor, cursor.copy(
        "COPY projects_item (project_id, text, raw_text, meta, content_hash, excluded_reason, annotation_count,"
        " created_at) FROM STDIN"
    ) as copy:
        for i in range(ITEMS):
            text = f"bench item {i} with a few words of text"
            copy.write_row((project.id, text, text, "{}", content_hash(text), "", 0, "2026-01-01T00:00:00Z"))
    tokens = []
    for a in range(n_annotators):
        user = user_create(username=f"bench-ann-{a}-{time.time_ns()}", password="bench-pass-123")
        Membership.objects.create(project=project, user=user, role=Role.ANNOTATOR)
        tokens.append(token_for(user=user))
    return admin, project, tokens


def _annotator(token: str, port: int, project_id: int, iterations: int, latencies: list, errors: list, start):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    labels = ["a", "b", "c"]
    start.wait()
    for i in range(iterations):
        t0 = time.perf_counter()
        conn.request("POST", f"/api/v1/projects/{project_id}/next", body="{}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            errors.append(f"next {response.status} {body[:200]!r}")
            return
        item_id = json.loads(body)["item"]["id"]
        payload = json.dumps({"value": {"label": labels[i % 3]}, "lead_time_ms": 1000})
        conn.request("POST", f"/api/v1/items/{item_id}/annotations", body=payload, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 201:
            errors.append(f"annotate {response.status} {body[:200]!r}")
            return
        latencies.append((time.perf_counter() - t0) * 1000)
    conn.close()


def _measure(port: int, project_id: int, tokens: list[str]) -> tuple[list[float], list[str]]:
    return run_clients(_annotator, tokens, port, project_id, ITERATIONS)


def run() -> list[Row]:
    skipped = requires_postgres("labeling next+submit")
    if skipped:
        return skipped
    from django.db import connection
    from django.db.models import Count

    from accounts.models import User
    from annotation.models import Annotation
    from projects.models import Project

    _admin, project, tokens = _seed(5)
    connection.close()
    rows: list[Row] = []
    try:
        with gunicorn(workers=WORKERS, extra_args=GUNICORN_ARGS) as port:
            _measure(port, project.id, tokens[4:5])  # warm-up: imports, connections, plans
            for n in (1, 4):
                latencies, errors = _measure(port, project.id, tokens[:n])
                if errors:
                    rows.append(Row(f"next+submit, {n} annotator(s)", None, "ms", note=f"errors: {errors[:2]}"))
                    continue
                median, high = statistics.median(latencies), p95(latencies)
                target = "<= 25" if n == 4 else ""
                rows.append(Row(f"next+submit median, {n} annotator(s)", median, "ms",
                                note=f"{len(latencies)} iterations"))
                rows.append(Row(f"next+submit p95, {n} annotator(s)", high, "ms", target, (high <= 25) if n == 4 else None,
                                note=f"{ITEMS:,} items, gunicorn {WORKERS} workers; peers: 70-270 ms"))
        doubled = (
            Annotation.objects.filter(project=project).values("item_id").annotate(n=Count("id")).filter(n__gt=1).count()
        )
        rows.append(Row("items handed to two people (k=1)", doubled, "items", "0", doubled == 0))
    finally:
        Project.objects.filter(id=project.id).delete()
        User.objects.filter(username__startswith="bench-").delete()
    return rows
