"""The quality report of a version, computed from its snapshot (what the version really holds), its
votes, and the cleaning figures the caller reads from the database. JSON-serialisable, stored with the
version and never recomputed (the version is immutable).

Undefined figures are None with a ``note`` saying why (a ratio with an empty class, agreement with one
vote per item, noise on too little data), never 0 or 1. Pure: no Django; agreement and the noise
estimate come from their own pure modules (the caller passes them in), and a failure there is recorded
in the report instead of failing the build.

A report on a big version runs for minutes (the 5-fold noise estimate alone ~70 s on 100k texts), so
``quality_report`` calls ``on_phase(name)`` before each section and each fold of the noise estimate:
the build beats its job's heartbeat there, and may raise ``ReportCancelled`` to stop the report.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curation.splits import SPLITS, split_unit

logger = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.6  # consolidated labels below this share/posterior count as "low confidence"
SUSPECTS_KEPT = 200  # the report keeps the most suspicious items; the rate covers all of them
# Below this a 5-fold baseline trains on a few dozen texts: its noise rate would be mostly its own error
# (and each estimate costs ~1 s of fixed overhead), so the report says n/a instead.
NOISE_MIN_ROWS = 100
# Above this the estimate runs on a stable hash sample: 5-fold TF-IDF + LR took ~70 s on 100k short
# texts in bench_export (loaded 2-core machine); 50k rows bound the rate's standard error below 0.3%.
NOISE_MAX_ROWS = 50_000


def _value_counts(column: pa.ChunkedArray) -> dict:
    counts = pc.value_counts(column)
    return {v.as_py(): c.as_py() for v, c in zip(counts.field("values"), counts.field("counts"), strict=True)}


def split_section(table: pa.Table) -> dict:
    counts = _value_counts(table.column("split")) if table.num_rows else {}
    return {"total": table.num_rows, **{name: counts.get(name, 0) for name in SPLITS}}


def label_section(table: pa.Table, labels: Sequence[str]) -> dict:
    """Label counts overall and per split, in project label order, and the imbalance ratio
    max/min class count (None when a project label has no item: the ratio is unbounded)."""
    overall = _value_counts(table.column("label")) if table.num_rows else {}
    ordered = {label: overall.get(label, 0) for label in labels}
    by_split = {}
    for name in SPLITS:
        part = table.filter(pc.equal(table.column("split"), name)) if table.num_rows else table
        counts = _value_counts(part.column("label")) if part.num_rows else {}
        by_split[name] = {label: counts.get(label, 0) for label in labels}
    present = [n for n in ordered.values() if n > 0]
    missing = [label for label, n in ordered.items() if n == 0]
    section = {
        "distribution": ordered,
        "shares": {label: (n / table.num_rows if table.num_rows else None) for label, n in ordered.items()},
        "by_split": by_split,
        "imbalance_ratio": (max(present) / min(present)) if present and not missing else None,
        "missing_labels": missing,
    }
    if missing:
        section["note"] = "imbalance ratio undefined: some labels have no item in this version"
    return section


def annotation_section(table: pa.Table) -> dict:
    """Annotations (votes) per item in the version: mean, min, max and a histogram {votes: items}."""
    if not table.num_rows:
        return {"mean": None, "min": None, "max": None, "histogram": {}}
    column = table.column("annotations")
    histogram = _value_counts(column)
    return {
        "mean": pc.mean(column).as_py(),
        "min": pc.min(column).as_py(),
        "max": pc.max(column).as_py(),
        "histogram": {str(k): histogram[k] for k in sorted(histogram)},
    }


def confidence_section(table: pa.Table, *, method: str, reviewed: int) -> dict:
    if not table.num_rows:
        return {"method": method, "mean": None, "low_share": None, "low_threshold": LOW_CONFIDENCE,
                "reviewed": reviewed}
    column = table.column("confidence")
    low = pc.sum(pc.less(column, LOW_CONFIDENCE)).as_py() or 0
    return {
        "method": method,
        "mean": pc.mean(column).as_py(),
        "low_share": low / table.num_rows,
        "low_threshold": LOW_CONFIDENCE,
        "reviewed": reviewed,  # items whose label a reviewer set (confidence 1.0)
    }


class ReportCancelled(Exception):
    """Raised by an ``on_phase`` callback to stop the report; never recorded as a failed figure."""


def _no_phase(name: str) -> None:
    pass


def agreement_section(votes: list[tuple], labels: Sequence[str], report: Callable) -> dict:
    """``annotation.agreement.agreement_report`` over the version's votes, or a dict with a note."""
    try:
        return _jsonable(report(votes, labels))
    except ReportCancelled:
        raise
    except Exception as exc:  # recorded in the report: a statistic failing must not lose the version
        logger.exception("agreement report failed")
        return {"note": f"n/a: agreement failed ({type(exc).__name__}: {exc})", "items_compared": 0}


def noise_sample(item_ids: np.ndarray, *, seed: int, limit: int = NOISE_MAX_ROWS) -> np.ndarray | None:
    """Row positions of a stable sample when there are more than ``limit`` rows, else None (all)."""
    if len(item_ids) <= limit:
        return None
    keys = np.fromiter((split_unit(int(i), seed + 1) for i in item_ids), dtype=np.float64, count=len(item_ids))
    return np.sort(np.argsort(keys, kind="stable")[:limit])


def noise_section(
    table: pa.Table, *, seed: int, estimator: Callable, on_phase: Callable[[str], None] = _no_phase,
    reviewed: frozenset[int] = frozenset(),
) -> dict:
    """The estimated label-noise rate and the top suspects {item_id, given, suggested, self_confidence}.
    ``estimator`` is ``curation.noise.estimate_label_noise``'s shape; ``on_phase`` is called before each fold.

    Items in ``reviewed`` (a reviewer's verdict is final) still train the estimate but are never
    suspects: reviewed evidence does not come back. ``all_suspects`` holds every suspect, ranked, for
    the review queue; the caller stores it there, not in the report."""
    if table.num_rows < NOISE_MIN_ROWS:
        return {"estimated_rate": None, "suspects": [],
                "note": f"n/a: fewer than {NOISE_MIN_ROWS} labeled items, too few for a 5-fold estimate"}
    item_ids = table.column("item_id").to_numpy()
    picked = noise_sample(item_ids, seed=seed)
    part = table if picked is None else table.take(pa.array(picked))
    texts = part.column("text").to_pylist()
    given = part.column("label").to_pylist()
    ids = part.column("item_id").to_pylist()
    try:
        result = estimator(texts, given, folds=5, seed=seed, on_fold=lambda k: on_phase(f"label_noise fold {k}"))
    except ReportCancelled:
        raise
    except Exception as exc:  # recorded, see agreement_section
        logger.exception("label-noise estimate failed")
        return {"estimated_rate": None, "suspects": [], "note": f"n/a: estimate failed ({type(exc).__name__}: {exc})"}
    if result is None:
        return {"estimated_rate": None, "suspects": [], "note": "n/a: too little data per label for 5 folds"}
    suspects = [
        {
            "item_id": ids[s.index],
            "given": s.given,
            "suggested": s.suggested,
            "self_confidence": float(s.self_confidence),
        }
        for s in result.suspects
        if ids[s.index] not in reviewed
    ]
    return {
        "estimated_rate": float(result.estimated_rate),
        "method": result.method,
        "rows": len(ids),
        "sampled": picked is not None,
        "suspect_count": len(suspects),
        "reviewed_left_out": len(result.suspects) - len(suspects),
        "suspects": suspects[:SUSPECTS_KEPT],
        "all_suspects": suspects,
    }


def quality_report(
    *,
    table: pa.Table,
    labels: Sequence[str],
    votes: list[tuple],
    method: str,
    reviewed: int,
    cleaning: dict,
    seed: int,
    agreement: Callable,
    noise: Callable,
    unlabeled_items: int,
    on_phase: Callable[[str], None] = _no_phase,
    reviewed_ids: frozenset[int] = frozenset(),
) -> dict:
    """The whole report. ``table`` is the snapshot (all columns), ``votes`` the version's
    (item_id, annotator_key, label) votes, ``cleaning`` what ``cleaning_figures`` read, ``agreement``
    ``annotation.agreement.agreement_report`` and ``noise`` ``curation.noise.estimate_label_noise``.
    ``on_phase`` is called with each name of ``REPORT_PHASES`` before its section is computed, and
    with "label_noise fold k" before each fold; what it raises (``ReportCancelled``) stops the report."""
    report: dict = {"unlabeled_items": unlabeled_items, "cleaning": cleaning}
    on_phase("items")
    report["items"] = split_section(table)
    on_phase("labels")
    report["labels"] = label_section(table, labels)
    on_phase("annotations_per_item")
    report["annotations_per_item"] = annotation_section(table)
    on_phase("agreement")
    report["agreement"] = agreement_section(votes, labels, agreement)
    on_phase("consolidation")
    report["consolidation"] = confidence_section(table, method=method, reviewed=reviewed)
    on_phase("label_noise")
    report["label_noise"] = noise_section(table, seed=seed, estimator=noise, on_phase=on_phase, reviewed=reviewed_ids)
    on_phase("done")
    return _jsonable(report)


REPORT_PHASES = ("items", "labels", "annotations_per_item", "agreement", "consolidation", "label_noise", "done")


def _jsonable(value):
    """Plain JSON types: numpy scalars and arrays become Python numbers and lists, NaN becomes None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summary(quality: dict) -> dict:
    """The report without its long lists (for version lists)."""
    if not quality:
        return quality
    short = dict(quality)
    noise = short.get("label_noise")
    if isinstance(noise, dict) and "suspects" in noise:
        short["label_noise"] = {k: v for k, v in noise.items() if k != "suspects"}
    return short
