"""Exact duplicates on normalised text (case-folded, whitespace collapsed): the lowest id is kept.

Memory: one 16-byte BLAKE2b digest and an int per distinct text (~120 B with dict overhead, so about
120 MB for a million distinct texts), whatever the texts' length.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

from .base import BatchResult, Outcome, Param, Row, Step
from .text import comparison_key, fold_chinese

FOLD_CHINESE = Param(
    "fold_chinese", bool,
    "Compare traditional and simplified Chinese as one script (OpenCC, traditional to simplified).",
    default=False,
)


def _digest(text: str, fold: bool) -> bytes:
    key = comparison_key(text)
    if fold:
        key = fold_chinese(key)
    return hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()


class ExactDedup(Step):
    op = "exact_dedup"
    description = "Exclude items whose normalised text (case-folded, whitespace collapsed) repeats an earlier item's."
    whole_project = True
    params = (FOLD_CHINESE,)

    def __init__(self, **params):
        super().__init__(**params)
        self.first: dict[bytes, int] = {}

    def observe(self, rows: Sequence[Row]) -> None:
        first = self.first
        for item_id, text in rows:
            key = _digest(text, self.p["fold_chinese"])
            kept = first.get(key)
            if kept is None or item_id < kept:
                first[key] = item_id

    def process_batch(self, rows: Sequence[Row]) -> BatchResult:
        outcomes = []
        for item_id, text in rows:
            kept = self.first.get(_digest(text, self.p["fold_chinese"]), item_id)
            if kept != item_id:
                outcomes.append(Outcome(item_id, excluded=f"duplicate of #{kept}", details={"duplicate_of": kept}))
        return BatchResult(outcomes)
