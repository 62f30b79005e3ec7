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


# ---- multilabel and span versions --------------------------------------------------------------------

NOISE_NOT_APPLICABLE = "n/a: the label-noise estimate is for single-label classification only"
SPAN_LENGTH_BUCKETS = ((1, 1), (2, 2), (3, 5), (6, 10), (11, 20), (21, 50), (51, None))


def _bucket_name(low: int, high: int | None) -> str:
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


def _set_rows(table: pa.Table, column: str) -> list[tuple[str, list]]:
    """(split, value list) per row of a multilabel or span snapshot; a null value reads as []."""
    return list(zip(table.column("split").to_pylist(), (v or [] for v in table.column(column).to_pylist()),
                    strict=True))


def multilabel_label_section(table: pa.Table, labels: Sequence[str]) -> dict:
    """Items carrying each label (an item counts once per label it has), overall and per split, the
    share of items, the imbalance ratio of those counts, and the items with the empty set."""
    rows = _set_rows(table, "labels")
    overall = dict.fromkeys(labels, 0)
    by_split = {name: dict.fromkeys(labels, 0) for name in SPLITS}
    empty = 0
    for split, chosen in rows:
        if not chosen:
            empty += 1
        for label in chosen:
            if label in overall:
                overall[label] += 1
                by_split[split][label] += 1
    present = [n for n in overall.values() if n > 0]
    missing = [label for label, n in overall.items() if n == 0]
    section = {
        "unit": "items",
        "distribution": overall,
        "shares": {label: (n / len(rows) if rows else None) for label, n in overall.items()},
        "by_split": by_split,
        "imbalance_ratio": (max(present) / min(present)) if present and not missing else None,
        "missing_labels": missing,
        "empty_items": empty,
        "mean_labels_per_item": (sum(len(c) for _, c in rows) / len(rows)) if rows else None,
    }
    if missing:
        section["note"] = "imbalance ratio undefined: some labels have no item in this version"
    return section


def span_label_section(table: pa.Table, labels: Sequence[str]) -> dict:
    """Spans per entity type, overall and per split, their shares of all spans and the imbalance ratio."""
    rows = _set_rows(table, "spans")
    overall = dict.fromkeys(labels, 0)
    by_split = {name: dict.fromkeys(labels, 0) for name in SPLITS}
    for split, spans in rows:
        for span in spans:
            if span["label"] in overall:
                overall[span["label"]] += 1
                by_split[split][span["label"]] += 1
    total = sum(overall.values())
    present = [n for n in overall.values() if n > 0]
    missing = [label for label, n in overall.items() if n == 0]
    section = {
        "unit": "spans",
        "distribution": overall,
        "shares": {label: (n / total if total else None) for label, n in overall.items()},
        "by_split": by_split,
        "imbalance_ratio": (max(present) / min(present)) if present and not missing else None,
        "missing_labels": missing,
        "empty_items": sum(1 for _, spans in rows if not spans),
    }
    if missing:
        section["note"] = "imbalance ratio undefined: some entity types have no span in this version"
    return section


def span_section(table: pa.Table, labels: Sequence[str]) -> dict:
    """Span counts (total, per item) and lengths in code points (mean, min, max, histogram, per type)."""
    rows = _set_rows(table, "spans")
    per_item = [len(spans) for _, spans in rows]
    lengths = [span["end"] - span["start"] for _, spans in rows for span in spans]
    histogram = {_bucket_name(lo, hi): 0 for lo, hi in SPAN_LENGTH_BUCKETS}
    for n in lengths:
        for lo, hi in SPAN_LENGTH_BUCKETS:
            if n >= lo and (hi is None or n <= hi):
                histogram[_bucket_name(lo, hi)] += 1
                break
    by_label: dict[str, dict] = {}
    for label in labels:
        mine = [span["end"] - span["start"] for _, spans in rows for span in spans if span["label"] == label]
        by_label[label] = {"count": len(mine), "mean_length": (sum(mine) / len(mine)) if mine else None}
    return {
        "total": len(lengths),
        "items_with_spans": sum(1 for n in per_item if n),
        "per_item": {
            "mean": (sum(per_item) / len(per_item)) if per_item else None,
            "min": min(per_item) if per_item else None,
            "max": max(per_item) if per_item else None,
        },
        "length": {
            "mean": (sum(lengths) / len(lengths)) if lengths else None,
            "min": min(lengths) if lengths else None,
            "max": max(lengths) if lengths else None,
            "histogram": histogram,
        },
        "by_label": by_label,
    }


def _span_f1(a: tuple, b: tuple) -> float:
    if not a and not b:
        return 1.0
    common = len(set(a) & set(b))
    return 2 * common / (len(a) + len(b))


def structured_agreement_section(votes: list[tuple], labels: Sequence[str], task_type: str, report: Callable) -> dict:
    """Agreement of multilabel and span votes ``(item_id, annotator_key, value tuple)``:
    ``percent_agreement`` is the share of annotator pairs on an item whose whole answers are equal;
    multilabel adds ``per_label`` (each label as a chosen/not-chosen rating: Fleiss' kappa and
    Krippendorff's alpha from ``report``, ``share`` = share of ratings choosing it); spans add
    ``span_f1``, the mean exact-match F1 over annotator pairs."""
    per_item: dict = {}
    for item_id, author, value in votes:
        per_item.setdefault(item_id, {})[author] = value
    compared = {item_id: answers for item_id, answers in per_item.items() if len(answers) > 1}
    pairs = equal = 0
    f1_sum = 0.0
    for answers in compared.values():
        values = list(answers.values())
        for i in range(len(values)):
            for j in range(i + 1, len(values)):
                pairs += 1
                equal += values[i] == values[j]
                f1_sum += _span_f1(values[i], values[j])
    section: dict = {
        "items_compared": len(compared),
        "ratings": sum(len(a) for a in compared.values()),
        "annotator_count": len({author for _, author, _ in votes}),
        "percent_agreement": (equal / pairs) if pairs else None,
    }
    if not compared:
        section["note"] = "n/a: no item has answers by two annotators"
    if task_type == "spans":
        section["span_f1"] = (f1_sum / pairs) if pairs else None
        return section
    per_label = {}
    for label in labels:
        binary = [(item_id, author, "yes" if label in value else "no")
                  for item_id, answers in compared.items() for author, value in answers.items()]
        try:
            figures = report(binary, ["yes", "no"]) if binary else {}
        except ReportCancelled:
            raise
        except Exception as exc:  # recorded, see agreement_section
            logger.exception("multilabel agreement failed")
            figures = {}
            section["note"] = f"n/a: agreement failed ({type(exc).__name__}: {exc})"
        yes = (figures.get("per_label") or {}).get("yes") or {}
        per_label[label] = {
            "ratings": len(binary),
            "share": yes.get("share"),
            "fleiss_kappa": figures.get("fleiss_kappa"),
            "krippendorff_alpha": figures.get("krippendorff_alpha"),
        }
    section["per_label"] = per_label
    return _jsonable(section)


def structured_quality_report(
    *,
    table: pa.Table,
    labels: Sequence[str],
    task_type: str,
    votes: list[tuple],
    method: str,
    reviewed: int,
    cleaning: dict,
    agreement: Callable,
    unlabeled_items: int,
    on_phase: Callable[[str], None] = _no_phase,
) -> dict:
    """The report of a multilabel or span version: the sections of ``quality_report`` that fit, with
    label figures over label sets (multilabel) or spans (spans), a ``spans`` section for span
    projects, and ``label_noise`` n/a (its estimate needs single labels). Consolidation is per label or
    per exact span by the version's method (``curation.structured``): ``method_used`` says so."""
    report: dict = {"task_type": task_type, "unlabeled_items": unlabeled_items, "cleaning": cleaning}
    on_phase("items")
    report["items"] = split_section(table)
    on_phase("labels")
    report["labels"] = (span_label_section if task_type == "spans" else multilabel_label_section)(table, labels)
    if task_type == "spans":
        report["spans"] = span_section(table, labels)
    on_phase("annotations_per_item")
    report["annotations_per_item"] = annotation_section(table)
    on_phase("agreement")
    report["agreement"] = structured_agreement_section(votes, labels, task_type, agreement)
    on_phase("consolidation")
    report["consolidation"] = {**confidence_section(table, method=method, reviewed=reviewed), "method_used": method}
    on_phase("label_noise")
    report["label_noise"] = {"estimated_rate": None, "suspects": [], "note": NOISE_NOT_APPLICABLE}
    on_phase("done")
    return _jsonable(report)
