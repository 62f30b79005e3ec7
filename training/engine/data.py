"""Reading a version snapshot and batching it.

A snapshot folder holds ``data.parquet`` (item_id int64, text string, label string or null, split
"train"|"val"|"test", ...) and ``manifest.json`` (written last; its "labels" give the class order).
A folder without a manifest is an unfinished snapshot and is refused. The manifest's "task_type" says what
is trained: "classification" (absent in older snapshots; the ``label`` column), "multilabel" (the ``labels``
column: a list, possibly empty) or "spans" (the ``spans`` column: ``[{start, end, label}]`` in code points).
Rows without an answer (null) are skipped.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import torch

SPLITS = ("train", "val", "test")
COLUMNS = ["item_id", "text", "label", "split"]
TASK_COLUMNS = {"classification": "label", "multilabel": "labels", "spans": "spans"}


class SnapshotError(ValueError):
    """The snapshot is missing, unfinished, corrupt, or holds nothing to train on."""


@dataclass
class Split:
    name: str
    item_ids: np.ndarray  # int64 [N]
    texts: list[str]  # N texts
    targets: np.ndarray  # classification: int64 [N], index into Snapshot.labels; multilabel: float32 [N, C] 0/1
    spans: list[list[tuple[int, int, str]]] | None = None  # spans tasks: each text's gold spans

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Snapshot:
    labels: list[str]  # classes, multi-label labels, or entity types
    splits: dict[str, Split]  # every name in SPLITS, possibly empty
    task_type: str = "classification"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_snapshot(snapshot_dir: Path) -> Snapshot:
    """Read ``data.parquet`` checked against ``manifest.json``; SnapshotError with a readable reason."""
    snapshot_dir = Path(snapshot_dir)
    manifest_path = snapshot_dir / "manifest.json"
    data_path = snapshot_dir / "data.parquet"
    if not manifest_path.is_file():
        raise SnapshotError(f"The version snapshot at {snapshot_dir} has no manifest.json (unfinished or missing).")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"The snapshot manifest cannot be read: {exc}") from None
    labels = manifest.get("labels")
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise SnapshotError("The snapshot manifest has no list of labels.")
    if not data_path.is_file():
        raise SnapshotError(f"The version snapshot at {snapshot_dir} has no data.parquet.")
    expected = (manifest.get("files") or {}).get("data.parquet", {}).get("sha256")
    if expected and _sha256(data_path) != expected:
        raise SnapshotError("data.parquet does not match the checksum in manifest.json (the snapshot is corrupt).")

    task_type = manifest.get("task_type") or "classification"
    if task_type not in TASK_COLUMNS:
        raise SnapshotError(f"The snapshot's task type {task_type!r} is not one the engine trains.")
    answer = TASK_COLUMNS[task_type]
    columns_wanted = ["item_id", "text", "split", answer]
    try:
        table = pq.read_table(data_path, columns=columns_wanted)
    except Exception as exc:  # pyarrow raises several types (ArrowInvalid, KeyError for a missing column)
        raise SnapshotError(f"data.parquet cannot be read with columns {columns_wanted}: {exc}") from None
    columns = table.to_pydict()
    index = {label: i for i, label in enumerate(labels)}
    rows: dict[str, tuple[list[int], list[str], list]] = {name: ([], [], []) for name in SPLITS}
    unknown: set[str] = set()
    for item_id, text, value, split in zip(
        columns["item_id"], columns["text"], columns[answer], columns["split"], strict=True
    ):
        if value is None or split not in rows:
            continue
        names = [value] if task_type == "classification" else value if task_type == "multilabel" else [
            span["label"] for span in value]
        missing = {name for name in names if name not in index}
        if missing:
            unknown |= missing
            continue
        ids, texts, answers = rows[split]
        ids.append(item_id)
        texts.append(text or "")
        answers.append(value)
    if unknown:
        raise SnapshotError(f"Labels not in the manifest's label list: {sorted(unknown)[:10]}.")
    splits = {name: _split(name, ids, texts, answers, task_type, index) for name, (ids, texts, answers) in rows.items()}
    if not len(splits["train"]):
        raise SnapshotError("The version has no labelled items in its train split; nothing to train on.")
    return Snapshot(labels=list(labels), splits=splits, task_type=task_type)


def _split(name: str, ids: list[int], texts: list[str], answers: list, task_type: str, index: dict[str, int]) -> Split:
    item_ids = np.asarray(ids, dtype=np.int64)
    if task_type == "classification":
        return Split(name, item_ids, texts, np.asarray([index[a] for a in answers], dtype=np.int64))
    if task_type == "multilabel":
        targets = np.zeros((len(answers), len(index)), dtype=np.float32)  # [N, C]
        for row, chosen in enumerate(answers):
            targets[row, [index[label] for label in chosen]] = 1.0
        return Split(name, item_ids, texts, targets)
    spans = [[(int(s["start"]), int(s["end"]), s["label"]) for s in answer] for answer in answers]
    return Split(name, item_ids, texts, np.zeros(len(answers), dtype=np.int64), spans=spans)


@dataclass
class Encoded:
    """A split as tensors: ``ids`` int64 [N, L] right-padded, ``lengths`` [N], ``targets`` [N] (classification),
    [N, C] float (multi-label) or [N, L] tag ids (spans, ``token_targets``; IGNORE on specials and padding)."""

    ids: torch.Tensor
    lengths: torch.Tensor
    targets: torch.Tensor
    token_targets: bool = False

    def __len__(self) -> int:
        return len(self.targets)


POOL_BATCHES = 50  # length sorting happens inside pools of this many batches: similar lengths, still random


def batches(
    data: Encoded,
    batch_size: int,
    *,
    generator: torch.Generator | None = None,
    sort_by_length: bool = False,
    shard: tuple[int, int] | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Yield ``(rows, ids, mask, targets)``; shuffled when a generator is given.

    Each batch is cut to its longest text, so a batch of 10-token texts costs 10 positions, not L (dynamic
    padding). ``sort_by_length``: with a generator, the shuffled rows are cut into pools of ``POOL_BATCHES``
    batches, each pool sorted by length and cut into batches, and the batches shuffled (the bucketing of
    fairseq and Hugging Face's group_by_length; on VADER it took an epoch from 1 to 0.68 of its time); without
    one (evaluation), all rows in length order. The number of batches is ``ceil(N / batch_size)`` either way.
    ``shard=(rank, world)``: each batch's rows ``rank::world`` (a DistributedDataParallel process's part of the
    global batch; a batch with fewer rows than processes is given whole to each, so every process steps).
    """
    n = len(data)
    if generator is None:
        order = torch.argsort(data.lengths, stable=True) if sort_by_length else torch.arange(n)
        cut = [order[start : start + batch_size] for start in range(0, n, batch_size)]
    else:
        order = torch.randperm(n, generator=generator)
        if sort_by_length:
            cut = []
            span = batch_size * POOL_BATCHES
            for start in range(0, n, span):
                pool = order[start : start + span]
                pool = pool[torch.argsort(data.lengths[pool], descending=True, stable=True)]
                cut.extend(pool[k : k + batch_size] for k in range(0, len(pool), batch_size))
            cut = [cut[i] for i in torch.randperm(len(cut), generator=generator).tolist()]
        else:
            cut = [order[start : start + batch_size] for start in range(0, n, batch_size)]
    for rows in cut:  # rows: [B]
        if shard is not None and len(rows) >= shard[1]:
            rows = rows[shard[0] :: shard[1]]
        width = max(int(data.lengths[rows].max()), 1)
        ids = data.ids[rows, :width]  # [B, T]
        mask = torch.arange(width)[None, :] < data.lengths[rows][:, None]  # [B, T] True on real tokens
        targets = data.targets[rows]
        if data.token_targets:  # spans: one tag per token position, cut like the ids
            targets = targets[:, :width]
        yield rows, ids, mask, targets
