"""The review queue under concurrency, through the real HTTP API on PostgreSQL.

A project of 20k items, every one an open ``suspect`` review candidate; gunicorn serves the API on
loopback; 1 and then 4 reviewer threads loop ``POST review-next`` + ``POST reviews`` (accept) with token
auth on keep-alive connections. Reported: review-next + verdict latency per iteration (median, p95)
beside the labeling target (p95 <= 25 ms with 4), and how many items two reviewers reviewed (target 0).
"""
from __future__ import annotations

import http.client
import json
import os
import statistics
import time

from bench.common import Row, gunicorn, p95, requires_postgres, run_clients

ITEMS = int(os.environ.get("BENCH_REVIEW_ITEMS", "20000"))
ITERATIONS = int(os.environ.get("BENCH_REVIEW_ITERATIONS", "200"))  # per reviewer


def _seed(n_reviewers: int):
    from accounts.roles import Role
    from accounts.services import token_for, user_create
    from annotation.review_services import review_candidates_replace
    from projects.models import Item, Membership
    from projects.services import content_hash, project_create

    stamp = time.time_ns()
    admin = user_create(username=f"bench-radmin-{stamp}", password="bench-pass-123")
    project = project_create(name="bench review", task_type="classification", labels=["a", "b", "c"], created_by=admin)
    texts = [f"bench review item {i} with a few words" for i in range(ITEMS)]
    items = Item.objects.bulk_create(
        (Item(project=project, text=t, raw_text=t, content_hash=content_hash(t)) for t in texts), batch_size=5000
    )
    review_candidates_replace(
        project_id=project.id, kind="suspect",
        entries=[(item.id, 1 - i / ITEMS, {"given": "a", "suggested": "b", "self_confidence": i / ITEMS, "rank": i + 1,
                                           "version": 1}) for i, item in enumerate(items)],
    )
    tokens = []
    for r in range(n_reviewers):
        user = user_create(username=f"bench-rev-{r}-{stamp}", password="bench-pass-123")
        Membership.objects.create(project=project, user=user, role=Role.REVIEWER)
        tokens.append(token_for(user=user))
    return project, tokens, stamp


def _reviewer(token, port, project_id, iterations, latencies, errors, start):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    start.wait()
    for _ in range(iterations):
        t0 = time.perf_counter()
        conn.request("POST", f"/api/v1/projects/{project_id}/review-next", body="{}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            errors.append(f"review-next {response.status} {body[:200]!r}")
            return
        item_id = json.loads(body)["item"]["id"]
        conn.request("POST", f"/api/v1/items/{item_id}/reviews", body='{"verdict": "accept"}', headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 201:
            errors.append(f"review {response.status} {body[:200]!r}")
            return
        latencies.append((time.perf_counter() - t0) * 1000)
    conn.close()


def _measure(port, project_id, tokens, iterations):
    return run_clients(_reviewer, tokens, port, project_id, iterations)


def run() -> list[Row]:
    skipped = requires_postgres("review-next + verdict")
    if skipped:
        return skipped
    from django.db import connection
    from django.db.models import Count

    from accounts.models import User
    from annotation.models import Review
    from projects.models import Project

    project, tokens, stamp = _seed(5)
    connection.close()
    rows: list[Row] = []
    try:
        with gunicorn(workers=4) as port:
            _measure(port, project.id, tokens[4:5], 20)  # warm-up
            for n in (1, 4):
                latencies, errors = _measure(port, project.id, tokens[:n], ITERATIONS)
                if errors:
                    rows.append(Row(f"review-next+verdict, {n} reviewer(s)", None, "ms", note=f"errors: {errors[:2]}"))
                    continue
                median, high = statistics.median(latencies), p95(latencies)
                rows.append(Row(f"review-next+verdict median, {n} reviewer(s)", median, "ms",
                                note=f"{len(latencies)} iterations"))
                rows.append(Row(f"review-next+verdict p95, {n} reviewer(s)", high, "ms", "<= 25" if n == 4 else "",
                                (high <= 25) if n == 4 else None, note=f"{ITEMS:,} open suspects, gunicorn 4 workers"))
        twice = Review.objects.filter(project=project).values("item_id").annotate(n=Count("id")).filter(n__gt=1).count()
        rows.append(Row("items reviewed by two reviewers", twice, "items", "0", twice == 0))
    finally:
        Project.objects.filter(id=project.id).delete()
        User.objects.filter(username__endswith=f"-{stamp}").delete()
    return rows
