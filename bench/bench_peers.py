"""The peers' own harness (``../shared/peers/peerbench.py``, Datamoat only) against ``manage.py serve``
started as ``make run`` starts it (``bench_http.platform``: a fresh data folder, embedded and, with
DATABASE_URL, again on PostgreSQL + Redis), so its figures sit beside Label Studio's and doccano's from
the same harness (``../shared/peers/README.md``). BENCH_PEERS_DIR: where the harness is (default
``../shared/peers`` beside the checkout; without it this bench says so and measures nothing);
BENCH_PEERS_ROWS: the data size (default 100000). One run (``--reps 1``) per backend.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_http import PASSWORD, _peers, platform
from bench.common import REPO, Row

PEERS_DIR = Path(os.environ.get("BENCH_PEERS_DIR", REPO.parent / "shared" / "peers"))
ROWS = int(os.environ.get("BENCH_PEERS_ROWS", "100000"))


def _harness(backend: str, data: Path, work: Path) -> dict:
    with platform(backend) as (base, serve_pid, _data_dir):
        env = {**os.environ, "PEERBENCH_URL": base, "PEERBENCH_HEALTH": "/", "PEERBENCH_ADMIN": "bench",
               "PEERBENCH_PASSWORD": PASSWORD, "PEERBENCH_PIDS": str(serve_pid)}
        out = work / f"peerbench-{backend}.json"
        subprocess.run(
            [sys.executable, str(PEERS_DIR / "peerbench.py"), "--peers", "datamoat", "--sizes", str(ROWS), "--reps", "1",
             "--data", str(data), "--workdir", str(work / backend), "--out", str(out)],
            env=env, cwd=work, check=True, stdout=subprocess.DEVNULL,
        )
    return json.loads(out.read_text())["summary"][f"datamoat/{ROWS}"]


def rows_for(backend: str, s: dict) -> list[Row]:
    name = f"peers' harness, {backend}"
    rate, median, p95, k_p95 = (s.get(k) for k in ("import_csv_rows_per_s", "loop1_median_ms", "loop1_p95_ms",
                                                    "loopk_p95_ms"))
    rate_target, k_target = (25_000, 60) if backend == "embedded" else (50_000, 25)
    return [
        Row(f"{name}: import CSV {ROWS:,} rows", rate, "rows/s", f">= {rate_target:,}",
            rate is not None and rate >= rate_target, _peers("import_rows_s", backend)),
        Row(f"{name}: 1 annotator next+submit median / p95", median, "ms", "<= 15 / <= 25",
            median is not None and p95 is not None and median <= 15 and p95 <= 25,
            f"p95 {p95} ms; {_peers('loop1_median_ms', backend)}"),
        Row(f"{name}: 4 annotators p95", k_p95, "ms", f"<= {k_target}", k_p95 is not None and k_p95 <= k_target,
            _peers("loopk_p95_ms", backend)),
        Row(f"{name}: items handed to two annotators at once", s.get("dup_handed_to_several"), "items", "0",
            s.get("dup_handed_to_several") == 0, _peers("double_handouts", backend)),
        Row(f"{name}: export JSON (a version built, then exported)", s.get("export_json_s"), "s", "", None,
            _peers("export_s", backend)),
        Row(f"{name}: peak PSS of the server processes", s.get("peak_pss_sum_mb"), "MB", "", None,
            _peers("peak_pss_mb", backend)),
    ]


def run() -> list[Row]:
    if not (PEERS_DIR / "peerbench.py").exists():
        return [Row("peers' harness", None, "", "", None, f"not found at {PEERS_DIR} (BENCH_PEERS_DIR): not run")]
    backends = ["embedded", "postgres"] if os.environ.get("DATABASE_URL") else ["embedded"]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as folder:
        work = Path(folder)
        data = work / "data"
        subprocess.run([sys.executable, str(PEERS_DIR / "make_data.py"), "--n", str(ROWS), "--out", str(data)],
                       check=True, stdout=subprocess.DEVNULL)
        for backend in backends:
            print(f"   {backend}: ", end="", flush=True)
            rows.extend(rows_for(backend, _harness(backend, data, work)))
            print("done", flush=True)
    return rows
