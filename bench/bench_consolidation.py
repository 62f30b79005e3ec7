"""Majority vote and Dawid–Skene over 1M generated annotations (200k items × 5 votes, 100 annotators, 5 labels).

Annotators have varied skill: 70 careful (right 60-95% of the time), 20 weak (35-60%), 10 spammers
(uniform guesses); a wrong answer is a uniformly chosen wrong label. Timings include encoding the
Python vote tuples (what the version build pays), not generating them. Target: Dawid–Skene < 10 s.
"""

from __future__ import annotations

import time

import numpy as np

from bench.common import Row

ITEMS = 200_000
VOTES_PER_ITEM = 5
ANNOTATORS = 100
LABELS = [f"label{k}" for k in range(5)]


def generate(*, items: int = ITEMS, seed: int = 0) -> tuple[list[tuple[int, str, str]], np.ndarray]:
    """(votes, truth): votes as (item, "user:<n>", label) tuples; truth[i] is item i's label index."""
    rng = np.random.default_rng(seed)
    n_labels = len(LABELS)
    accuracy = np.concatenate([rng.uniform(0.6, 0.95, 70), rng.uniform(0.35, 0.6, 20), np.full(10, 1 / n_labels)])
    truth = rng.integers(0, n_labels, items)
    # Five distinct annotators per item: a random start plus increasing offsets that stay below 100.
    offsets = np.concatenate(
        [np.zeros((items, 1), np.int64), np.cumsum(rng.integers(1, 20, (items, VOTES_PER_ITEM - 1)), axis=1)], axis=1
    )
    who = (rng.integers(0, ANNOTATORS, items)[:, None] + offsets) % ANNOTATORS
    right = rng.random(who.shape) < accuracy[who]
    wrong = (truth[:, None] + rng.integers(1, n_labels, who.shape)) % n_labels
    given = np.where(right, truth[:, None], wrong)
    names = np.array([f"user:{a}" for a in range(ANNOTATORS)], dtype=object)
    label_names = np.array(LABELS, dtype=object)
    item_ids = np.repeat(np.arange(items), VOTES_PER_ITEM)
    votes = list(zip(item_ids.tolist(), names[who.ravel()].tolist(), label_names[given.ravel()].tolist(), strict=True))
    return votes, truth


def _accuracy(consensus: dict, truth: np.ndarray) -> float:
    index = {label: k for k, label in enumerate(LABELS)}
    predicted = np.array([index[consensus[i].label] for i in range(len(truth))])
    return float((predicted == truth).mean())


def run() -> list[Row]:
    from annotation.consolidation import dawid_skene, majority_vote

    votes, truth = generate()
    n = f"{len(votes) / 1e6:.0f}M annotations"

    started = time.perf_counter()
    majority = majority_vote(votes, LABELS)
    majority_s = time.perf_counter() - started

    started = time.perf_counter()
    ds = dawid_skene(votes, LABELS)
    ds_s = time.perf_counter() - started

    majority_acc, ds_acc = _accuracy(majority, truth), _accuracy(ds.consensus, truth)
    return [
        Row(f"majority vote, {n}", round(majority_s, 2), "s"),
        Row(
            f"Dawid–Skene, {n}",
            round(ds_s, 2),
            "s",
            target="< 10",
            met=ds_s < 10,
            note=f"{ds.iterations} EM iterations, converged={ds.converged} (tol 1e-6 nats/vote)",
        ),
        Row("majority vote accuracy vs generated truth", round(majority_acc, 4), "ratio"),
        Row(
            "Dawid–Skene accuracy vs generated truth",
            round(ds_acc, 4),
            "ratio",
            target="> majority",
            met=ds_acc > majority_acc,
            note=f"{ds_acc - majority_acc:+.4f} over majority vote",
        ),
    ]
