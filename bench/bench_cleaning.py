"""Cleaning benchmarks (issue 3): near-duplicate quality beside datasketch's plain LSH, near-dup and
PII redaction over a million short texts. Pure steps, no database.

``BENCH_SCALE`` (default 1) scales the 1M-text benches (0.1 → 100k); the quality corpus is fixed.
The near-dup scale bench runs in a child process so its peak RSS (``ru_maxrss``) is its own.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import subprocess
import sys
import time
import tracemalloc

from bench.common import REPO, Row

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
THRESHOLD = 0.8


def _vocabulary(rng: random.Random, size: int) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = sorted({"".join(rng.choices(letters, k=rng.randint(2, 9))) for _ in range(size)})
    rng.shuffle(words)
    weights = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))  # Zipf-like
    return words, weights  # cumulative: random.choices would re-add 30k weights on every call


def _sentence(rng, vocab, low: int, high: int) -> str:
    words, cum_weights = vocab
    return " ".join(rng.choices(words, cum_weights=cum_weights, k=rng.randint(low, high)))


def _mutate_to(rng: random.Random, text: str, level: float, shingles, jaccard) -> tuple[str, float]:
    """Substitute characters one at a time until the exact Jaccard drops to ``level`` or just below."""
    original = shingles(text)
    chars = list(text)
    sim = 1.0
    while sim > level + 0.005:
        pos = rng.randrange(len(chars))
        if chars[pos] != " ":
            chars[pos] = rng.choice("abcdefghijklmnopqrstuvwxyz")
        sim = jaccard(original, shingles("".join(chars)))
    return "".join(chars), sim


def _quality_corpus(seed: int = 3):
    from cleaning.steps.minhash import char_shingles
    from cleaning.steps.near_dedup import jaccard

    rng = random.Random(seed)
    vocab = _vocabulary(rng, 20_000)
    texts = [_sentence(rng, vocab, 8, 25) for _ in range(20_000)]
    pairs = []  # (original text, copy text, exact jaccard)
    for level in (0.81, 0.85, 0.9, 0.95, 0.6, 0.65, 0.7, 0.75, 0.78):
        for _ in range(300):
            base = _sentence(rng, vocab, 30, 45)
            copy, sim = _mutate_to(rng, base, level, lambda t: char_shingles(t, 5), jaccard)
            pairs.append((base, copy, sim))
    everything = texts + [t for base, copy, _ in pairs for t in (base, copy)]
    order = list(range(len(everything)))
    rng.shuffle(order)  # originals and copies spread over the id range
    position = {old: new + 1 for new, old in enumerate(order)}
    corpus = [None] * len(everything)
    for old, new in position.items():
        corpus[new - 1] = (new, everything[old])
    truth = {}
    for k, (_base, _copy, sim) in enumerate(pairs):
        a, b = position[len(texts) + 2 * k], position[len(texts) + 2 * k + 1]
        truth[(min(a, b), max(a, b))] = sim
    return corpus, truth


def _score(reported: set, truth: dict, texts: dict) -> tuple[float, float]:
    from cleaning.steps.minhash import char_shingles
    from cleaning.steps.near_dedup import jaccard

    positives = {pair for pair, sim in truth.items() if sim >= THRESHOLD}
    found = len(positives & reported)
    correct = sum(
        1 for a, b in reported if jaccard(char_shingles(texts[a], 5), char_shingles(texts[b], 5)) >= THRESHOLD
    )
    recall = found / len(positives) if positives else 1.0
    precision = correct / len(reported) if reported else 1.0
    return recall, precision


def _bench_quality() -> list[Row]:
    from datasketch import MinHash, MinHashLSH

    from cleaning.steps import build_step, run_in_memory
    from cleaning.steps.minhash import char_shingles
    from cleaning.steps.text import comparison_key

    corpus, truth = _quality_corpus()
    texts = {i: comparison_key(t) for i, t in corpus}
    positives = sum(1 for sim in truth.values() if sim >= THRESHOLD)
    levels = sorted({round(s, 2) for s in truth.values()})

    started = time.perf_counter()
    state, counts = run_in_memory([build_step({"op": "near_dedup", "threshold": THRESHOLD})], corpus, batch_size=5000)
    ours_s = time.perf_counter() - started
    ours = {(e["details"]["near_duplicate_of"], i) for i, e in state.items() if e["excluded"]}
    ours_recall, ours_precision = _score(ours, truth, texts)

    started = time.perf_counter()
    sets = [[s.encode() for s in char_shingles(texts[i], 5)] for i, _ in corpus]
    hashes = MinHash.bulk(sets, num_perm=128)
    tracemalloc.start()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128)
    for (i, _), mh in zip(corpus, hashes, strict=True):
        lsh.insert(i, mh)
    lsh_bytes = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    plain = set()
    for (i, _), mh in zip(corpus, hashes, strict=True):
        plain.update((min(i, j), max(i, j)) for j in lsh.query(mh) if j != i)
    plain_s = time.perf_counter() - started
    plain_recall, plain_precision = _score(plain, truth, texts)

    n = len(corpus)
    info = f"{n} texts, {len(truth)} planted pairs (J {levels[0]}..{levels[-1]}), {positives} at J >= 0.8"
    c = counts[0]
    return [
        Row("near-dup recall @0.8: ours (MinHash+LSH+exact)", ours_recall, "ratio", ">= 0.97", ours_recall >= 0.97,
            f"{info}; bands {c['bands']}x{c['rows']}, {c['candidates']} candidates, {ours_s:.1f} s"),
        Row("near-dup precision @0.8: ours", ours_precision, "ratio", "1.0", ours_precision == 1.0),
        Row("near-dup recall @0.8: datasketch MinHashLSH plain", plain_recall, "ratio", "", None,
            f"threshold=0.8, num_perm=128 (bands {lsh.b}x{lsh.r}), no exact check, {plain_s:.1f} s"),
        Row("near-dup precision @0.8: datasketch MinHashLSH plain", plain_precision, "ratio", "", None,
            f"{len(plain)} pairs reported"),
        Row("datasketch MinHashLSH index memory, per 1M texts", lsh_bytes / n * 1e6 / 2**20, "MB", "", None,
            f"tracemalloc over {n} inserts, extrapolated; ours keeps {c['bands']} x 8 B per text"),
    ]


def _short_texts(n: int, seed: int = 11, batch: int = 10_000):
    """Batches of (id, text): 8-20 Zipf words; one text in twenty a lightly edited copy of a recent one."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 30_000)
    words = vocab[0]
    recent: list[str] = []
    next_id = 1
    while next_id <= n:
        rows = []
        for _ in range(min(batch, n - next_id + 1)):
            if recent and rng.random() < 0.05:
                tokens = rng.choice(recent).split()
                tokens[rng.randrange(len(tokens))] = rng.choice(words)
                text = " ".join(tokens)
            else:
                text = _sentence(rng, vocab, 8, 20)
                if len(recent) < 1000:
                    recent.append(text)
                else:
                    recent[rng.randrange(1000)] = text
            rows.append((next_id, text))
            next_id += 1
        yield rows


def neardup_child(n: int) -> dict:
    """Runs in a fresh interpreter: near_dedup over n generated short texts; time and peak RSS."""
    import resource

    from cleaning.steps import build_step

    step = build_step({"op": "near_dedup", "threshold": THRESHOLD})
    spent = 0.0
    batches = []
    for rows in _short_texts(n):
        started = time.perf_counter()
        step.observe(rows)
        spent += time.perf_counter() - started
        batches.append([i for i, _ in rows])  # ids only: the step, not the bench, holds the texts
    started = time.perf_counter()
    step.prepare()
    excluded = sum(len(step.process_batch([(i, "") for i in ids]).outcomes) for ids in batches)
    spent += time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": spent, "peak_rss_mb": peak, "excluded": excluded, **step.summary()}


def _bench_neardup_scale() -> list[Row]:
    n = int(1_000_000 * SCALE)
    code = f"import json; from bench.bench_cleaning import neardup_child; print(json.dumps(neardup_child({n})))"
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'platform'}:{REPO}"}
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    note = (f"{n} short texts (8-20 words), {got['excluded']} near-dups excluded, "
            f"{got['candidates']} candidates, bands {got['bands']}x{got['rows']}")
    label = f"near-dup over {n // 1000}k short texts"
    full = n >= 1_000_000
    return [
        Row(f"{label}: time", got["seconds"], "s", "< 180 at 1M", got["seconds"] < 180 if full else None, note),
        Row(f"{label}: peak RSS", got["peak_rss_mb"], "MB", "< 4096 at 1M",
            got["peak_rss_mb"] < 4096 if full else None, "whole child process (interpreter, numpy, corpus batches)"),
    ]


def _pii_texts(n: int, seed: int = 5, batch: int = 10_000):
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 20_000)
    samples = [
        lambda: f"mail {rng.choice(['ann', 'li.wei', 'bob+x'])}{rng.randint(1, 999)}@example.org",
        lambda: f"call +1 650-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        lambda: f"手机 1{rng.choice('3589')}{rng.randint(100000000, 999999999)}",
        lambda: "card 4111 1111 1111 1111",
        lambda: f"from 10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        lambda: "iban GB82 WEST 1234 5698 7654 32",
        lambda: "id 110101199003071233",
        lambda: f"order {rng.randint(1000, 99999999)} shipped on 2024-05-{rng.randint(10, 28)}",
    ]
    next_id = 1
    while next_id <= n:
        rows = []
        for _ in range(min(batch, n - next_id + 1)):
            text = _sentence(rng, vocab, 8, 20)
            if rng.random() < 0.15:
                text = f"{text} {rng.choice(samples)()} {_sentence(rng, vocab, 2, 6)}"
            rows.append((next_id, text))
            next_id += 1
        yield rows


def _bench_pii() -> list[Row]:
    from cleaning.steps import build_step

    n = int(1_000_000 * SCALE)
    step = build_step({"op": "redact_pii"})
    spent, found = 0.0, {}
    for rows in _pii_texts(n):
        started = time.perf_counter()
        result = step.process_batch(rows)
        spent += time.perf_counter() - started
        for kind, count in result.extra["pii"].items():
            found[kind] = found.get(kind, 0) + count
    return [Row(f"PII redaction over {n // 1000}k texts", n / spent, "texts/s", "", None,
                f"{spent:.1f} s; 15% carry PII; found {json.dumps(found, sort_keys=True)}")]


def run() -> list[Row]:
    return [*_bench_quality(), *_bench_neardup_scale(), *_bench_pii()]
