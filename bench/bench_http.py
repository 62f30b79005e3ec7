"""HTTP mode (issue 13): the platform started as ``make run`` starts it, measured the way a user meets it.

``python -m bench http`` starts ``manage.py serve`` (gunicorn, data worker with beat, trainer) on a fresh
temporary DATAMOAT_DATA_DIR, on the embedded default (SQLite + filesystem broker) and, when DATABASE_URL
is set, again on PostgreSQL + Redis (a database of the bench's own, ``datamoat_bench_http``, dropped and
created; Redis database BENCH_HTTP_REDIS_DB, flushed). Everything goes through the REST API with
keep-alive clients (``requests.Session``):

- import a CSV of BENCH_HTTP_ROWS review-like rows (the peers' ``make_data.py`` generator, copied
  below): upload to finished job, rows/s, and where its time went (upload answer, queued until a
  worker claimed it, running), from the job's own timestamps;
- one annotator's next+submit, median and p95; four annotators at once, p95 and items handed to two
  of them (k = 1);
- next+submit p95 of one annotator on the first project WHILE the same file is imported into a second
  one (the issue: labeling p95 reached 4 s during a 200k import on SQLite);
- the file with a label column imported into a third project (labels become annotations), a version
  of it (BENCH_HTTP_ROWS items) exported as JSONL, and the whole first project exported (every item
  with its current annotations, streamed);
- PSS of every process of ``serve`` (``/proc/<pid>/smaps_rollup`` over the process tree) at rest, after
  start-up, and at peak, and of the web server (gunicorn) alone; whether any process holds torch.

With BENCH_HTTP_BIG_ROWS=1000000 it also imports a file that big into a fourth project while another user
calls GET /me and the annotator labels the first project: their p95 during the import.

Each figure is printed beside the issue's target and the peers' figures. One run; the machine has two
shared cores, so compare figures measured within one run, and read the load average in the notes.
"""
from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import REPO, Row, free_port, p95, wait_for_port

ROWS = int(os.environ.get("BENCH_HTTP_ROWS", "100000"))
ITERATIONS = int(os.environ.get("BENCH_HTTP_ITERATIONS", "300"))  # one annotator's loop (peerbench: 300)
K_ITERATIONS = int(os.environ.get("BENCH_HTTP_K_ITERATIONS", "100"))  # each of the four annotators
ANNOTATORS = 4
# BENCH_HTTP_BIG_ROWS (e.g. 1000000): also import a file this big into a project of its own while another
# user calls GET /me and an annotator labels (the issue: a 1M-row import made /me p95 180 ms). Off by default.
BIG_ROWS = int(os.environ.get("BENCH_HTTP_BIG_ROWS", "0"))
REDIS_DB = int(os.environ.get("BENCH_HTTP_REDIS_DB", "9"))
PG_DATABASE = "datamoat_bench_http"
PASSWORD = "bench-http-pass-1"
LABELS = ["positive", "negative", "neutral"]
POLL_S = 0.05  # the bench's poll of a job (the peers' harness polls every 0.2 s)

# The peers' and Datamoat's figures before this work, from /work/shared/peers/README.md (= issue 13's
# table): 100k rows, one run each, this kind of machine (2 cores). Keys: measure -> {column: value}.
PEERS_SOURCE = "../shared/peers/README.md"
PEERS = {
    "import_rows_s": {"Label Studio 1.23": 6922, "doccano 1.8": 6094, "Datamoat before, embedded": 11001,
                      "Datamoat before, PostgreSQL": 34857},
    "loop1_median_ms": {"Label Studio 1.23": 260, "doccano 1.8": 158, "Datamoat before, embedded": 96,
                        "Datamoat before, PostgreSQL": 96},
    "loop1_p95_ms": {"Label Studio 1.23": 317, "doccano 1.8": 211, "Datamoat before, embedded": 104,
                     "Datamoat before, PostgreSQL": 100},
    "loopk_p95_ms": {"Label Studio 1.23": 2148, "doccano 1.8": 1154, "Datamoat before, embedded": 114,
                     "Datamoat before, PostgreSQL": 104},
    "double_handouts": {"Label Studio 1.23": 12, "doccano 1.8": 25, "Datamoat before, embedded": 0,
                        "Datamoat before, PostgreSQL": 0},
    "export_s": {"Label Studio 1.23": 134, "doccano 1.8": 5.6},
    "peak_pss_mb": {"Label Studio 1.23": 719, "doccano 1.8": 1422, "Datamoat before, embedded": 1124,
                    "Datamoat before, PostgreSQL": 1075},
}


def _peers(key: str, backend: str) -> str:
    other = "PostgreSQL" if backend == "embedded" else "embedded"
    shown = {k: v for k, v in PEERS[key].items() if not k.endswith(other)}
    return "peers: " + ", ".join(f"{k} {v:,}" for k, v in shown.items())


# --- data: make_data.py of the peers' harness (deterministic synthetic reviews), copied --------------

_PRODUCTS = ["headphones", "coffee maker", "blender", "phone case", "backpack", "desk lamp", "keyboard", "monitor",
             "running shoes", "water bottle", "tent", "charger", "vacuum cleaner", "toaster", "novel", "board game",
             "jacket", "mattress", "router", "camera", "frying pan", "office chair", "smart watch", "speaker"]
_POS = ["great", "excellent", "solid", "reliable", "comfortable", "sturdy", "fast", "beautiful", "quiet", "intuitive",
        "well made", "worth the money"]
_NEG = ["terrible", "flimsy", "slow", "noisy", "disappointing", "broken", "cheap", "uncomfortable", "overpriced",
        "confusing", "fragile", "useless"]
_NEU = ["okay", "average", "fine", "standard", "as described", "decent", "ordinary", "acceptable", "unremarkable",
        "typical"]
_ASPECTS = ["battery life", "build quality", "price", "design", "customer service", "delivery", "packaging", "sound",
            "size", "weight", "setup", "manual", "color", "material", "warranty", "instructions"]
_OPENERS = ["I bought this", "We ordered the", "My partner picked up this", "Got this", "After two weeks with the",
            "I have been using the", "Received the", "Tried the", "Returned the", "Gifted the"]
_CLOSERS = ["Would recommend.", "Would not buy again.", "Not sure yet.", "Five stars.", "One star.",
            "Three stars, I guess.", "Happy overall.", "Expected more.", "It does the job.", "Shipping was quick.",
            "Took a while to arrive."]
_FILLER = ["to be honest", "in my opinion", "so far", "for the most part", "overall", "compared to my old one",
           "for daily use", "at this price", "out of the box"]


def _sentence(rng: random.Random, product: str) -> str:
    kind = rng.random()
    if kind < 0.25:
        return f"{rng.choice(_OPENERS)} {product} {rng.choice(_FILLER)}."
    if kind < 0.5:
        return f"The {rng.choice(_ASPECTS)} is {rng.choice(rng.choice([_POS, _NEG, _NEU]))} {rng.choice(_FILLER)}."
    if kind < 0.7:
        return (f"It feels {rng.choice(_POS + _NEG + _NEU)} but the "
                f"{rng.choice(_ASPECTS)} could be {rng.choice(_POS + _NEU)}.")
    if kind < 0.85:
        return f"{rng.choice(_CLOSERS)}"
    return (f"I used it for {rng.randint(1, 30)} days and the {rng.choice(_ASPECTS)} "
            f"stayed {rng.choice(_POS + _NEG + _NEU)}.")


def _text(rng: random.Random) -> str:
    target = rng.randint(10, 60)
    product = rng.choice(_PRODUCTS)
    words: list[str] = []
    while len(words) < target:
        words.extend(_sentence(rng, product).split())
    text = " ".join(words[:target])
    return text if text.endswith(".") else text + "."


def review_rows(n: int, seed: int = 20240601, dup_rate: float = 0.01) -> list[dict]:
    """The peers' data set: ``n`` rows ``{id, text}``, about 1% repeating an earlier text."""
    rng = random.Random(seed)
    texts: list[str] = []
    for _ in range(n):
        texts.append(texts[rng.randrange(len(texts))] if texts and rng.random() < dup_rate else _text(rng))
    return [{"id": f"r{i + 1:07d}", "text": t} for i, t in enumerate(texts)]


def write_csv(path: Path, rows: list[dict], *, labelled: bool = False) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        fields = ["id", "text", "label"] if labelled else ["id", "text"]
        writer = csv.DictWriter(f, fieldnames=fields, quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        for i, row in enumerate(rows):
            writer.writerow({**row, "label": LABELS[i % 3]} if labelled else row)
    return path


# --- processes and memory -------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def process_tree(root: int) -> list[int]:
    """``root`` and its live descendants."""
    kids, out, stack = _children(), [], [root]
    while stack:
        pid = stack.pop()
        if os.path.exists(f"/proc/{pid}"):
            out.append(pid)
            stack.extend(kids.get(pid, []))
    return out


def pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def holds_torch(pid: int) -> bool:
    """Whether the process has torch's shared library mapped (it imported torch)."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return any("libtorch" in line for line in f)
    except OSError:
        return False


def memory(root: int) -> dict:
    """PSS in MB of the whole tree and of the web server's part (gunicorn and its workers), and which
    processes map torch."""
    pids = process_tree(root)
    web = set()
    for pid in pids:
        if pid != root and "-m gunicorn config.wsgi" in cmdline(pid):  # the master; its workers below it
            web.update(process_tree(pid))
    sizes = {pid: pss_kb(pid) for pid in pids}
    return {
        "all_mb": sum(sizes.values()) / 1024,
        "web_mb": sum(v for p, v in sizes.items() if p in web) / 1024,
        "torch": [f"{pid} {cmdline(pid)[:80]}" for pid in pids if holds_torch(pid)],
        "by_process": {pid: (round(v / 1024, 1), cmdline(pid)[:100]) for pid, v in sizes.items()},
    }


class PeakSampler(threading.Thread):
    """PSS of the tree under ``root`` every ``interval`` s; keeps the peaks (all, web)."""

    def __init__(self, root: int, interval: float = 0.5):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_all = self.peak_web = 0.0
        self.torch_seen: set[str] = set()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            m = memory(self.root)
            self.peak_all, self.peak_web = max(self.peak_all, m["all_mb"]), max(self.peak_web, m["web_mb"])
            self.torch_seen.update(m["torch"])
            self.done.wait(self.interval)

    def stop(self) -> None:
        self.done.set()
        self.join()


# --- the platform ---------------------------------------------------------------------------------


def _pg_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{PG_DATABASE}"))


def _pg_fresh(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DATABASE}")


def _redis_url() -> str:
    base = os.environ.get("BENCH_HTTP_REDIS_URL", "redis://127.0.0.1:6379")
    return f"{base.rstrip('/')}/{REDIS_DB}"


def _redis_flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def platform_env(data_dir: Path, backend: str, repo: Path = REPO) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DATAMOAT_CACHE_URL")}
    env.update({
        "DATAMOAT_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DJANGO_DEBUG": "false",
        "PYTHONPATH": f"{repo / 'platform'}{os.pathsep}{repo}",
        # Sign-in throttling would answer the bench's own sign-ins 429.
        "DATAMOAT_LOGIN_THROTTLE_RATE": "1000000/min", "DATAMOAT_LOGIN_USER_THROTTLE_RATE": "1000000/min",
    })
    if backend == "postgres":
        env["DATABASE_URL"] = _pg_url(os.environ["DATABASE_URL"])
        env["CELERY_BROKER_URL"] = _redis_url()
    return env


def _manage(env: dict, repo: Path, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=repo, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def _die_with_bench() -> None:
    """In serve, between fork and exec: SIGTERM when the bench dies, however it dies (Linux)."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


@contextmanager
def platform(backend: str, repo: Path = REPO):
    """``make run`` of the checkout ``repo`` on a fresh data folder: migrate, an admin, ``manage.py
    serve``. Yields (base URL, serve's pid); stops serve (SIGTERM, as Ctrl-C) and removes the folder."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-http-{backend}-"))
    env = platform_env(data_dir, backend, repo)
    if backend == "postgres":
        _pg_fresh(os.environ["DATABASE_URL"])
        _redis_flush(env["CELERY_BROKER_URL"])
    _manage(env, repo, "migrate", "--no-input")
    _manage(env, repo, "shell", "-c",
            f"from accounts.services import user_create; user_create(username='bench', password={PASSWORD!r}, "
            "is_admin=True)")
    port = free_port()
    log = open(data_dir / "serve.log", "wb")
    serve = subprocess.Popen([sys.executable, "manage.py", "serve", "--addr", f"127.0.0.1:{port}"], cwd=repo, env=env,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                             preexec_fn=_die_with_bench if sys.platform.startswith("linux") else None)
    try:
        wait_for_port(port, process=serve)
        yield f"http://127.0.0.1:{port}", serve.pid, data_dir
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        log.close()
        if os.environ.get("BENCH_HTTP_KEEP"):
            print(f"   kept {data_dir}", flush=True)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


# --- the client -----------------------------------------------------------------------------------


class Client:
    """One keep-alive API client (a ``requests.Session`` with a token)."""

    def __init__(self, base: str, username: str, password: str = PASSWORD):
        import requests

        self.base = base + "/api/v1"
        self.session = requests.Session()
        r = self.session.post(self.base + "/auth/token", json={"username": username, "password": password}, timeout=60)
        r.raise_for_status()
        self.session.headers["Authorization"] = "Token " + r.json()["token"]

    def call(self, method: str, path: str, expect: tuple[int, ...] = (200, 201, 202, 204), **kw):
        r = self.session.request(method, self.base + path, timeout=kw.pop("timeout", 600), **kw)
        if r.status_code not in expect:
            raise RuntimeError(f"{method} {path} answered {r.status_code}: {r.text[:300]}")
        return r

    def wait_job(self, path: str, timeout_s: float = 3600) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            job = self.call("GET", path).json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                if job["status"] != "succeeded":
                    raise RuntimeError(f"{path} {job['status']}: {job.get('error')}")
                return job
            time.sleep(POLL_S)
        raise RuntimeError(f"{path} did not finish within {timeout_s:g} s")


def _stamp(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def timed_import(admin: Client, project_id: int, path: Path, **fields) -> dict:
    """Upload → finished job; the wall time and its parts from the job's own timestamps."""
    t0 = time.time()
    with open(path, "rb") as f:
        job = admin.call("POST", f"/projects/{project_id}/imports", files={"file": (path.name, f)}, data=fields).json()
    answered = time.time()
    job = admin.wait_job(f"/imports/{job['id']}")
    wall = time.time() - t0
    return {
        "wall_s": wall, "upload_s": answered - t0,
        "queued_s": _stamp(job["started_at"]) - _stamp(job["created_at"]),
        "running_s": _stamp(job["finished_at"]) - _stamp(job["started_at"]),
        "created": job["created"], "duplicates": job["duplicates"], "annotations": job["annotations"],
    }


def annotator_loop(client: Client, project_id: int, iterations: int, latencies: list, handed: list,
                   stop: threading.Event | None = None) -> None:
    """next + submit ``iterations`` times (or until ``stop``); milliseconds per iteration."""
    for i in range(iterations):
        if stop is not None and stop.is_set():
            return
        t0 = time.perf_counter()
        r = client.call("POST", f"/projects/{project_id}/next")
        if r.status_code == 204:
            return
        item = r.json()["item"]["id"]
        handed.append(item)
        client.call("POST", f"/items/{item}/annotations", json={"value": {"label": LABELS[i % 3]}, "lead_time_ms": 500})
        latencies.append((time.perf_counter() - t0) * 1000)


def _annotators(admin: Client, base: str, project_id: int, names: list[str]) -> list[Client]:
    for name in names:
        admin.call("POST", "/users", json={"username": name, "password": PASSWORD}, expect=(201,))
        admin.call("POST", f"/projects/{project_id}/members", json={"username": name, "role": "annotator"},
                   expect=(201,))
    return [Client(base, name) for name in names]


def _export(admin: Client, path: str) -> tuple[float, int, int]:
    """Seconds to download ``path`` whole (streamed), its bytes and lines."""
    t0 = time.perf_counter()
    size = lines = 0
    with admin.session.get(admin.base + path, stream=True, timeout=3600) as r:
        if r.status_code != 200:
            raise RuntimeError(f"GET {path} answered {r.status_code}: {r.text[:300]}")
        for piece in r.iter_content(chunk_size=1 << 16):
            size += len(piece)
            lines += piece.count(b"\n")
    return time.perf_counter() - t0, size, lines


# --- the scenario ---------------------------------------------------------------------------------


def _poll(client: Client, path: str, latencies: list, stop: threading.Event) -> None:
    """GET ``path`` back to back until ``stop``; milliseconds per call."""
    while not stop.is_set():
        t0 = time.perf_counter()
        client.call("GET", path)
        latencies.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.01)  # a user's pace, not a load test


def _big_import(admin: Client, base: str, project: int, annotator: Client, path: Path) -> dict:
    """The big file into a project of its own while one user polls GET /me and an annotator labels ``project``."""
    other = admin.call("POST", "/projects", json={
        "name": "bench-http-big", "task_type": "classification", "labels": LABELS, "annotations_per_item": 1,
    }).json()["id"]
    watcher = _annotators(admin, base, other, ["watcher"])[0]
    me: list[float] = []
    labeling: list[float] = []
    stop = threading.Event()
    threads = [threading.Thread(target=_poll, args=(watcher, "/me", me, stop)),
               threading.Thread(target=annotator_loop, args=(annotator, project, 10**9, labeling, [], stop))]
    for thread in threads:
        thread.start()
    try:
        result = timed_import(admin, other, path)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return {**result, "me": me, "labeling": labeling}


def measure(backend: str, data: Path, labelled: Path, repo: Path = REPO, big: Path | None = None) -> dict:
    out: dict = {"load_before": os.getloadavg()[0]}
    with platform(backend, repo) as (base, serve_pid, _data_dir):
        admin = Client(base, "bench")
        sampler = PeakSampler(serve_pid)
        sampler.start()
        project = admin.call("POST", "/projects", json={
            "name": "bench-http", "task_type": "classification", "labels": LABELS, "annotations_per_item": 1,
        }).json()["id"]
        # Warm-up: a 3-row import proves the workers are up (a user does not upload within a second of
        # `make run` either); then the platform at rest.
        warm = data.parent / "warm.csv"
        write_csv(warm, review_rows(3, seed=7))
        timed_import(admin, project, warm)
        time.sleep(3)
        out["rest"] = memory(serve_pid)

        out["import"] = timed_import(admin, project, data)

        one = _annotators(admin, base, project, ["annotator0"])[0]
        latencies: list[float] = []
        annotator_loop(one, project, 10, [], [])  # warm-up: each web worker's first request
        annotator_loop(one, project, ITERATIONS, latencies, [])
        out["loop1"] = latencies

        clients = _annotators(admin, base, project, [f"annotator{i + 1}" for i in range(ANNOTATORS)])
        lat_k: list[float] = []
        handed: list[list] = [[] for _ in clients]
        threads = [threading.Thread(target=annotator_loop, args=(c, project, K_ITERATIONS, lat_k, handed[i]))
                   for i, c in enumerate(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        owners = Counter(item for items in handed for item in set(items))
        out["loopk"] = lat_k
        out["double_handouts"] = sum(1 for n in owners.values() if n > 1)

        # The same file into a second project while annotator0 keeps labeling the first (SQLite: one
        # writer at a time, so each submit waits for the import's transaction in progress).
        other = admin.call("POST", "/projects", json={
            "name": "bench-http-beside", "task_type": "classification", "labels": LABELS, "annotations_per_item": 1,
        }).json()["id"]
        during: list[float] = []
        stop = threading.Event()
        labeler = threading.Thread(target=annotator_loop, args=(one, project, 10**9, during, [], stop))
        labeler.start()
        try:
            out["import_beside"] = timed_import(admin, other, data)
        finally:
            stop.set()
            labeler.join()
        out["during_import"] = during

        if big is not None:
            out["big"] = _big_import(admin, base, project, one, big)

        # Labels imported as annotations by a named source: a version of ROWS labelled items to export.
        second = admin.call("POST", "/projects", json={
            "name": "bench-http-labelled", "task_type": "classification", "labels": LABELS, "annotations_per_item": 1,
        }).json()["id"]
        out["import_labelled"] = timed_import(admin, second, labelled, label_field="label")

        version = admin.call("POST", f"/projects/{second}/versions", json={
            "consolidation": "majority", "split": {"train": 0.8, "val": 0.1, "test": 0.1},
        }).json()["id"]
        admin.wait_job(f"/versions/{version}")
        out["export_version"] = _export(admin, f"/versions/{version}/export?format=jsonl&split=all")
        try:
            out["export_project"] = _export(admin, f"/projects/{project}/export?format=jsonl")
        except RuntimeError as exc:  # a platform without the endpoint
            out["export_project"] = None
            print(f"   project export: {exc}", flush=True)
        sampler.stop()
        out["peak_all"], out["peak_web"] = sampler.peak_all, sampler.peak_web
        out["torch_seen"] = sorted(sampler.torch_seen)
        time.sleep(3)
        out["after"] = memory(serve_pid)
    out["load_after"] = os.getloadavg()[0]
    return out


def rows_for(backend: str, r: dict, tag: str = "") -> list[Row]:
    name = f"http {backend}{tag}"
    rows: list[Row] = []
    imp = r["import"]
    rate = ROWS / imp["wall_s"]
    target = 25_000 if backend == "embedded" else 50_000
    rows.append(Row(f"{name}: import CSV {ROWS:,} rows, upload to finished job", rate, "rows/s", f">= {target:,}",
                    rate >= target, f"{_peers('import_rows_s', backend)} ({PEERS_SOURCE})"))
    rows.append(Row(f"{name}: import's parts: upload answer / queued / running", imp["wall_s"], "s", "", None,
                    f"{imp['upload_s']:.2f} / {imp['queued_s']:.2f} / {imp['running_s']:.2f} s; "
                    f"created {imp['created']:,}, duplicates {imp['duplicates']:,}"))
    lab = r["import_labelled"]
    rows.append(Row(f"{name}: import labelled CSV {ROWS:,} rows (labels as annotations)", ROWS / lab["wall_s"],
                    "rows/s", "", None, f"{lab['annotations']:,} annotations; running {lab['running_s']:.2f} s"))
    if r.get("big"):
        big = r["big"]
        rows.append(Row(f"{name}: import CSV {BIG_ROWS:,} rows", BIG_ROWS / big["wall_s"], "rows/s", "", None,
                        f"running {big['running_s']:.1f} s; created {big['created']:,}"))
        for key, what in (("me", "GET /me p95 of another user"), ("labeling", "1 annotator next+submit p95")):
            values = big[key]
            rows.append(Row(f"{name}: {what} during the {BIG_ROWS:,}-row import", p95(values) if values else None,
                            "ms", "<= 50", bool(values) and p95(values) <= 50,
                            f"n={len(values)}, median {statistics.median(values) if values else 0:.0f} ms, "
                            f"max {max(values) if values else 0:.0f} ms"))
    beside = r["import_beside"]
    rows.append(Row(f"{name}: import CSV {ROWS:,} rows while 1 annotator labels", ROWS / beside["wall_s"], "rows/s",
                    "", None, f"running {beside['running_s']:.2f} s"))
    for key, label, latencies, target in (
        ("loop1", "1 annotator next+submit median", r["loop1"], 15),
        ("loop1", "1 annotator next+submit p95", r["loop1"], 25),
        ("loopk", f"{ANNOTATORS} annotators next+submit p95", r["loopk"], 25 if backend == "postgres" else 60),
    ):
        value = statistics.median(latencies) if "median" in label else p95(latencies)
        peer_key = {"loop1": "loop1_median_ms" if "median" in label else "loop1_p95_ms", "loopk": "loopk_p95_ms"}[key]
        rows.append(Row(f"{name}: {label}", value, "ms", f"<= {target}", value <= target,
                        f"n={len(latencies)}; {_peers(peer_key, backend)}"))
    rows.append(Row(f"{name}: items handed to two annotators at once (k=1)", r["double_handouts"], "items", "0",
                    r["double_handouts"] == 0, _peers("double_handouts", backend)))
    during = r["during_import"]
    rows.append(Row(f"{name}: 1 annotator next+submit p95 during that import", p95(during) if during else None,
                    "ms", "<= 50", bool(during) and p95(during) <= 50,
                    f"n={len(during)}, max {max(during) if during else 0:.0f} ms"))
    seconds, size, lines = r["export_version"]
    rows.append(Row(f"{name}: export a {ROWS:,}-item version as JSONL", seconds, "s", "<= 1", seconds <= 1,
                    f"{lines:,} rows, {size / 1e6:.1f} MB; {_peers('export_s', backend)} (whole project, JSON)"))
    seconds, size, lines = r["export_project"] or (None, 0, 0)
    rows.append(Row(f"{name}: export the whole project (items + annotations) as JSONL", seconds, "s", "", None,
                    f"{lines:,} items, {size / 1e6:.1f} MB; {_peers('export_s', backend)}"))
    rest = r["rest"]
    rows.append(Row(f"{name}: PSS of all processes of serve at rest", rest["all_mb"], "MB", "<= 600",
                    rest["all_mb"] <= 600, f"{len(rest['by_process'])} processes; torch mapped by: "
                    f"{', '.join(rest['torch']) or 'none'}"))
    rows.append(Row(f"{name}: PSS of the web server at rest", rest["web_mb"], "MB", "<= 250", rest["web_mb"] <= 250))
    rows.append(Row(f"{name}: peak PSS of all processes of serve", r["peak_all"], "MB", "", None,
                    f"web alone {r['peak_web']:.0f} MB; {_peers('peak_pss_mb', backend)}; torch seen in: "
                    f"{', '.join(r['torch_seen']) or 'none'}"))
    rows.append(Row(f"{name}: load average before / after", r["load_before"], "", "", None,
                    f"after {r['load_after']:.1f} (2 cores; others' work shares them)"))
    return rows


def _ratios(backend: str, before: dict, after: dict) -> list[Row]:
    """After / before of the same figures, both measured in this run (the machine's load moves both)."""
    def rate(r):
        return ROWS / r["import"]["wall_s"]

    pairs = [
        ("import rows/s", rate(after) / rate(before)),
        ("1 annotator next+submit median", statistics.median(before["loop1"]) / statistics.median(after["loop1"])),
        ("4 annotators p95", p95(before["loopk"]) / p95(after["loopk"])),
        ("next+submit p95 during an import", p95(before["during_import"]) / p95(after["during_import"])
         if before["during_import"] and after["during_import"] else None),
        ("PSS at rest", before["rest"]["all_mb"] / after["rest"]["all_mb"]),
        ("peak PSS", before["peak_all"] / after["peak_all"]),
    ]
    return [Row(f"http {backend}: {what}, before / after (x better)", value, "ratio", "", None, "same run")
            for what, value in pairs]


def run() -> list[Row]:
    """BENCH_HTTP_BEFORE_REPO: another checkout (e.g. ``git archive HEAD | tar -x -C DIR``) measured
    right before this one on each database, with the ratios of the two."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop serve and clean up on SIGTERM too
    backends = os.environ.get("BENCH_HTTP_BACKENDS") or ("embedded,postgres" if os.environ.get("DATABASE_URL")
                                                           else "embedded")
    before_repo = os.environ.get("BENCH_HTTP_BEFORE_REPO")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-http-data-") as folder:
        reviews = review_rows(ROWS)
        data = write_csv(Path(folder) / f"reviews-{ROWS}.csv", reviews)
        labelled = write_csv(Path(folder) / f"reviews-{ROWS}-labelled.csv", reviews, labelled=True)
        big = write_csv(Path(folder) / f"reviews-{BIG_ROWS}.csv", review_rows(BIG_ROWS, seed=11)) if BIG_ROWS else None
        for backend in (b.strip() for b in backends.split(",")):
            before = None
            if before_repo:
                print(f"   {backend} before ({before_repo}): ", end="", flush=True)
                before = measure(backend, data, labelled, Path(before_repo))
                print("done", flush=True)
                rows.extend(rows_for(backend, before, " before"))
            print(f"   {backend}: ", end="", flush=True)
            result = measure(backend, data, labelled, big=big)
            print("done", flush=True)
            if os.environ.get("BENCH_HTTP_VERBOSE"):
                for name, r in (("before", before), ("after", result)):
                    for when in ("rest", "after") if r else ():
                        print(f"   {name} {when}:", r[when]["by_process"], flush=True)
            rows.extend(rows_for(backend, result, " after" if before else ""))
            if before:
                rows.extend(_ratios(backend, before, result))
    return rows
