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


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (`make messages` knows this name) and leaves it as it is: this
    module runs without Django; the API shows its errors in the request's language (``message_in``)."""
    return message


class SplitError(ValueError):
    """Fractions that cannot split; ``str(error)`` is English, ``message_in(gettext)`` the same sentence
    through Django's gettext (its ``template`` is marked with ``gettext_noop``, filled with ``values``)."""

    def __init__(self, message: str, values: dict | None = None):
        self.template, self.values = message, values or {}
        super().__init__(message % self.values)

    def message_in(self, gettext) -> str:
        return gettext(self.template) % self.values


def split_validate(fractions: Mapping[str, float]) -> dict[str, float]:
    """The fractions as {train, val, test} floats; raise SplitError unless each is in [0, 1] and they sum
    to 1 (within 1e-6)."""
    if not isinstance(fractions, Mapping):
        raise SplitError(gettext_noop("split must be an object {train, val, test}."))
    unknown = set(fractions) - set(SPLITS)
    if unknown:
        raise SplitError(
            gettext_noop("Unknown split name(s): %(names)s; use train, val and test."), {"names": ", ".join(sorted(unknown))}
        )
    clean: dict[str, float] = {}
    for name in SPLITS:
        value = fractions.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise SplitError(gettext_noop("split.%(name)s must be a number."), {"name": name})
        if not 0.0 <= value <= 1.0:
            raise SplitError(gettext_noop("split.%(name)s must be between 0 and 1."), {"name": name})
        clean[name] = float(value)
    if abs(sum(clean.values()) - 1.0) > 1e-6:
        raise SplitError(
            gettext_noop("split fractions must sum to 1 (they sum to %(total)s)."), {"total": f"{sum(clean.values()):.6g}"}
        )
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
