"""doccano JSONL, the shape doccano's dataset import takes: one object per line,
``{"text": ..., "label": [...], "item_id": 12, "split": "train"}`` (keys other than text and label
become the example's metadata in doccano).

``label`` is the list of category names for text classification (one name) and multilabel (the set,
possibly empty), and ``[[start, end, label], ...]`` for sequence labelling; offsets are code points.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from .batches import Batch, batch_columns

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def doccano_label(task_type: str, label, labels, spans) -> list:
    if task_type == "spans":
        return [[s["start"], s["end"], s["label"]] for s in spans or []]
    if task_type == "multilabel":
        return list(labels or [])
    return [label] if label is not None else []


def write_doccano(batches: Iterable[Batch], columns=None, *, task_type: str = "classification") -> Iterator[bytes]:
    for batch in batches:
        ids, texts, splits, labels_, label_sets, spans = batch_columns(
            batch, ["id", "text", "split", "label", "labels", "spans"])
        lines = [
            _dumps({"text": text, "label": doccano_label(task_type, label, label_set, found), "item_id": item_id,
                    "split": split})
            for item_id, text, split, label, label_set, found in zip(ids, texts, splits, labels_, label_sets, spans,
                                                                     strict=True)
        ]
        if lines:
            yield ("\n".join(lines) + "\n").encode("utf-8")
