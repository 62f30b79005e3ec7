"""Agreement over 1M generated annotations: 200k items x 5 annotators drawn from a pool of 50, 5 labels.

Each annotator is right with their own probability (0.5-0.95), otherwise picks a uniform label, so the
figures are neither 0 nor 1. ``agreement_report`` is timed from the Python vote tuples (encoding
included: what the API pays after the query), best of five, wall and CPU time. Beside it, on the same data: the
``krippendorff`` package (nominal alpha from its reliability matrix, and from value counts) and
scikit-learn's ``cohen_kappa_score`` called once per annotator pair. Target: the report < 2 s.
"""
from __future__ import annotations

import os
import time
import tracemalloc

import numpy as np

from bench.common import Row

ITEMS = 200_000
PER_ITEM = 5
POOL = 50
LABELS = [f"label{k}" for k in range(5)]


def generate(*, items: int = ITEMS, seed: int = 0) -> tuple[list[tuple[int, str, str]], np.ndarray, np.ndarray]:
    """(votes, who, given): votes as (item, "user:<n>", label); who/given are (items x 5) codes."""
    rng = np.random.default_rng(seed)
    accuracy = rng.uniform(0.5, 0.95, POOL)
    truth = rng.integers(0, len(LABELS), items)
    # Five distinct annotators per item: the first five of a random permutation of the pool.
    who = np.argsort(rng.random((items, POOL)), axis=1)[:, :PER_ITEM]
    right = rng.random(who.shape) < accuracy[who]
    given = np.where(right, truth[:, None], rng.integers(0, len(LABELS), who.shape))
    names = np.array([f"user:{a}" for a in range(POOL)], dtype=object)
    label_names = np.array(LABELS, dtype=object)
    item_ids = np.repeat(np.arange(items), PER_ITEM)
    votes = list(zip(item_ids.tolist(), names[who.ravel()].tolist(), label_names[given.ravel()].tolist(), strict=True))
    return votes, who, given


def _best_of(n: int, fn):
    """(best wall seconds, best CPU seconds of this process, result). The CPU figure is what the work
    costs when the machine is shared (the wall figure then includes waiting for a core)."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall, cpu, result


def _peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def run() -> list[Row]:
    import krippendorff
    from sklearn.metrics import cohen_kappa_score

    from annotation.agreement import agreement_report, krippendorff_alpha, rating_table

    votes, who, given = generate()
    label = f"{len(votes) / 1e6:.0f}M annotations, {ITEMS // 1000}k items"

    report_s, report_cpu, report = _best_of(5, lambda: agreement_report(votes, LABELS))
    table = rating_table(votes, LABELS)
    counts = table.counts
    alpha_s, _, alpha = _best_of(3, lambda: krippendorff_alpha(counts))
    alpha_mb = _peak_mb(lambda: krippendorff_alpha(counts))

    matrix = np.full((POOL, ITEMS), np.nan)
    matrix[who.ravel(), np.repeat(np.arange(ITEMS), PER_ITEM)] = given.ravel()
    package_s, _, package_alpha = _best_of(1, lambda: krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
    package_mb = _peak_mb(lambda: krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))
    counts_s, _, _ = _best_of(1, lambda: krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))
    assert abs(package_alpha - alpha) < 1e-9, (package_alpha, alpha)

    # scikit-learn once per pair, on the pairs' aligned labels (gathering them is not timed).
    by_rater: dict[int, dict[int, int]] = {}
    for item, rater, code in zip(table.item.tolist(), table.rater.tolist(), table.label.tolist(), strict=True):
        by_rater.setdefault(rater, {})[item] = code
    pairs = []
    for a in range(len(table.raters)):
        for b in range(a + 1, len(table.raters)):
            shared = by_rater[a].keys() & by_rater[b].keys()
            pairs.append(([by_rater[a][i] for i in shared], [by_rater[b][i] for i in shared]))
    codes = list(range(len(LABELS)))
    started = time.perf_counter()
    for ya, yb in pairs:
        cohen_kappa_score(ya, yb, labels=codes)
    sklearn_s = time.perf_counter() - started

    figures = (
        f"alpha={report['krippendorff_alpha']:.3f} fleiss={report['fleiss_kappa']:.3f} "
        f"pct={report['percent_agreement']:.3f}, {len(report['cohen_kappa'])} pairs; CPU {report_cpu:.2f} s, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    return [
        Row(f"agreement_report, {label}", report_s, "s", "< 2", report_s < 2, figures),
        Row("  Krippendorff alpha (ours, from counts)", alpha_s, "s", note=f"peak {alpha_mb:.0f} MB"),
        Row(
            "  krippendorff 0.9 package, same data",
            package_s,
            "s",
            note=f"from its {POOL}x{ITEMS // 1000}k reliability matrix ({matrix.nbytes / 1e6:.0f} MB) + "
            f"peak {package_mb:.0f} MB; from value counts {counts_s:.2f} s; same alpha",
        ),
        Row(
            f"  sklearn cohen_kappa_score x {len(pairs)} pairs",
            sklearn_s,
            "s",
            note="one call per pair (gathering the pairs' labels not timed); the report computes all pairs at once",
        ),
    ]
