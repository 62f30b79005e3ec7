"""Stable train/val/test splits: an item's split depends only on its id, the seed and the fractions.

``u = blake2b(f"{seed}:{item_id}") / 2**64`` is uniform in [0, 1); the item goes to the first split whose
cumulative fraction exceeds ``u``. So an item keeps its split in every version built with the same seed
and fractions, whatever else was added, removed or relabeled; and changing the fractions only moves the
items whose ``u`` lies between the old and the new boundary.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping

SPLITS = ("train", "val", "test")
_SCALE = float(2**64)


class SplitError(ValueError):
    pass


def split_validate(fractions: Mapping[str, float]) -> dict[str, float]:
    """The fractions as {train, val, test} floats; raise SplitError unless each is in [0, 1] and they sum
    to 1 (within 1e-6)."""
    if not isinstance(fractions, Mapping):
        raise SplitError("split must be an object {train, val, test}.")
    unknown = set(fractions) - set(SPLITS)
    if unknown:
        raise SplitError(f"Unknown split name(s): {', '.join(sorted(unknown))}; use train, val and test.")
    clean: dict[str, float] = {}
    for name in SPLITS:
        value = fractions.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SplitError(f"split.{name} must be a number.")
        if not 0.0 <= value <= 1.0:
            raise SplitError(f"split.{name} must be between 0 and 1.")
        clean[name] = float(value)
    if abs(sum(clean.values()) - 1.0) > 1e-6:
        raise SplitError(f"split fractions must sum to 1 (they sum to {sum(clean.values()):.6g}).")
    return clean


def split_unit(item_id: int, seed: int) -> float:
    """The item's position in [0, 1), uniform over items and independent across seeds."""
    digest = hashlib.blake2b(f"{seed}:{item_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


class SplitAssigner:
    """Callable ``assign(item_id) -> "train" | "val" | "test"`` for fixed fractions and seed."""

    def __init__(self, fractions: Mapping[str, float], seed: int) -> None:
        clean = split_validate(fractions)
        self.seed = seed
        bounds = []
        total = 0.0
        for name in SPLITS:
            total += clean[name]
            bounds.append((total, name))
        # The last non-empty split takes everything above the float sum (which may be 0.9999999).
        last = next(name for name in reversed(SPLITS) if clean[name] > 0)
        self._bounds = [(b, n) for b, n in bounds if clean[n] > 0 and n != last] + [(math.inf, last)]

    def __call__(self, item_id: int) -> str:
        u = split_unit(item_id, self.seed)
        for bound, name in self._bounds:
            if u < bound:
                return name
        raise AssertionError("unreachable: the last bound is infinite")
