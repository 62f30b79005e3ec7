"""Diff of two snapshots by streaming both in item_id order (a merge join), one batch of each in
memory at a time. Pure: pyarrow and the standard library only."""
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
    relabeled: int = 0  # in both, with another label
    unchanged: int = 0  # in both, same label (the text may have been cleaned: see text_changed)
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


def _rows(folder: Path) -> Iterator[tuple[int, str, str]]:
    for batch in snapshot_batches(folder, columns=["item_id", "text", "label"]):
        yield from zip(*(batch.column(i).to_pylist() for i in range(3)), strict=True)


def snapshot_diff(new: Path, old: Path, *, limit: int = DIFF_LIST_LIMIT) -> SnapshotDiff:
    """What changed from ``old`` to ``new``. Both snapshots are sorted by item_id (the writer enforces
    it), so one pass over each suffices."""
    diff = SnapshotDiff()
    lists = diff.items
    end = (None, None, None)
    new_rows, old_rows = _rows(new), _rows(old)
    n, o = next(new_rows, end), next(old_rows, end)
    while n[0] is not None or o[0] is not None:
        if o[0] is None or (n[0] is not None and n[0] < o[0]):
            diff.added += 1
            diff.ids["added"].append(n[0])
            if len(lists["added"]) < limit:
                lists["added"].append({"item_id": n[0], "text": n[1], "label": n[2]})
            n = next(new_rows, end)
        elif n[0] is None or o[0] < n[0]:
            diff.removed += 1
            diff.ids["removed"].append(o[0])
            if len(lists["removed"]) < limit:
                lists["removed"].append({"item_id": o[0], "text": o[1], "label": o[2]})
            o = next(old_rows, end)
        else:
            if n[2] != o[2]:
                diff.relabeled += 1
                diff.ids["relabeled"].append(n[0])
                if len(lists["relabeled"]) < limit:
                    lists["relabeled"].append({"item_id": n[0], "text": n[1], "old_label": o[2], "new_label": n[2]})
            else:
                diff.unchanged += 1
                if n[1] != o[1]:
                    diff.text_changed += 1
            n, o = next(new_rows, end), next(old_rows, end)
    return diff
