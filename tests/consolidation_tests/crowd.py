"""A generated crowd with known truth: skilled annotators of varied accuracy and uniform-random spammers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Crowd:
    labels: list[str]
    votes: list[tuple[int, str, str]]
    truth: dict[int, str]
    annotators: list[str]
    spammers: set[str]


def generate_crowd(*, items: int, labels: int, good: int, spammers: int, votes_per_item: int, seed: int) -> Crowd:
    """Each item gets votes from distinct random annotators; a skilled one is right with probability
    0.55-0.9 and otherwise picks a wrong label uniformly; a spammer picks any label uniformly."""
    rng = np.random.default_rng(seed)
    names = [f"good{a}" for a in range(good)] + [f"spam{a}" for a in range(spammers)]
    accuracy = np.concatenate([rng.uniform(0.55, 0.9, good), np.full(spammers, 1.0 / labels)])
    label_names = [f"L{k}" for k in range(labels)]
    truth = rng.integers(0, labels, items)
    votes = []
    for item in range(items):
        for a in rng.choice(len(names), votes_per_item, replace=False):
            given = truth[item]
            if a >= good:
                given = rng.integers(0, labels)
            elif rng.random() > accuracy[a]:
                given = (truth[item] + rng.integers(1, labels)) % labels
            votes.append((item, names[a], label_names[given]))
    return Crowd(
        labels=label_names,
        votes=votes,
        truth={i: label_names[t] for i, t in enumerate(truth)},
        annotators=names,
        spammers=set(names[good:]),
    )
