"""Diff of two snapshots by streaming both in item_id order (a merge join), one batch of each in
memory at a time. Pure: pyarrow and the standard library only.

An item is relabeled when its answer differs: the single label (classification), the label set
(multilabel: compared as sets) or the spans (compared as sets of (start, end, label)). Listed items
carry ``label`` and, where the snapshot has them, ``labels`` / ``spans`` (relabeled ones ``old_*`` and
``new_*``)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from curation.snapshot import snapshot_batches

DIFF_LIST_LIMIT = 1000  # items listed per kind; the counts are always exact


@dataclass
class SnapshotDiff:
    added: int = 0  # in the new snapshot only
    removed: int = 0  # in the old snapshot only
    relabeled: int = 0  # in both, with another label (label set, spans)
    unchanged: int = 0  # in both, same label (label set, spans) (the text may have been cleaned: see text_changed)
    text_changed: int = 0  # in both, same label, another text
    items: dict[str, list[dict]] = field(
        default_factory=lambda: {"added": [], "removed": [], "relabeled": []}
    )
    # Every changed item's id by kind (the lists above stop at ``limit``): what causes are found for.
    ids: dict[str, list[int]] = field(default_factory=lambda: {"added": [], "removed": [], "relabeled": []})

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "removed": self.removed,
            "relabeled": self.relabeled,
            "unchanged": self.unchanged,
            "text_changed": self.text_changed,
            "items": self.items,
        }


def _rows(folder: Path) -> Iterator[tuple[int, str, str | None, list | None, list | None]]:
    for batch in snapshot_batches(folder, columns=["item_id", "text", "label", "labels", "spans"]):
        yield from zip(*(batch.column(i).to_pylist() for i in range(5)), strict=True)


def _answer(row) -> tuple:
    """What the item is labelled with, comparable across versions (label sets and spans as sets)."""
    labels = None if row[3] is None else frozenset(row[3])
    spans = None if row[4] is None else frozenset((s["start"], s["end"], s["label"]) for s in row[4])
    return row[2], labels, spans


def _listed(row) -> dict:
    out = {"item_id": row[0], "text": row[1], "label": row[2]}
    if row[3] is not None:
        out["labels"] = row[3]
    if row[4] is not None:
        out["spans"] = row[4]
    return out


def _relabeled(new, old) -> dict:
    out = {"item_id": new[0], "text": new[1], "old_label": old[2], "new_label": new[2]}
    if new[3] is not None or old[3] is not None:
        out["old_labels"], out["new_labels"] = old[3], new[3]
    if new[4] is not None or old[4] is not None:
        out["old_spans"], out["new_spans"] = old[4], new[4]
    return out


def snapshot_diff(new: Path, old: Path, *, limit: int = DIFF_LIST_LIMIT) -> SnapshotDiff:
    """What changed from ``old`` to ``new``. Both snapshots are sorted by item_id (the writer enforces
    it), so one pass over each suffices."""
    diff = SnapshotDiff()
    lists = diff.items
    end = (None, None, None, None, None)
    new_rows, old_rows = _rows(new), _rows(old)
    n, o = next(new_rows, end), next(old_rows, end)
    while n[0] is not None or o[0] is not None:
        if o[0] is None or (n[0] is not None and n[0] < o[0]):
            diff.added += 1
            diff.ids["added"].append(n[0])
            if len(lists["added"]) < limit:
                lists["added"].append(_listed(n))
            n = next(new_rows, end)
        elif n[0] is None or o[0] < n[0]:
            diff.removed += 1
            diff.ids["removed"].append(o[0])
            if len(lists["removed"]) < limit:
                lists["removed"].append(_listed(o))
            o = next(old_rows, end)
        else:
            if _answer(n) != _answer(o):
                diff.relabeled += 1
                diff.ids["relabeled"].append(n[0])
                if len(lists["relabeled"]) < limit:
                    lists["relabeled"].append(_relabeled(n, o))
            else:
                diff.unchanged += 1
                if n[1] != o[1]:
                    diff.text_changed += 1
            n, o = next(new_rows, end), next(old_rows, end)
    return diff
