"""Version snapshots written by hand, in the format of INTERFACES.md, so training is tested without
waiting for (or depending on) the version build."""
from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

LABELS = ["positive", "negative"]
_WORDS = {"positive": ["good", "great", "lovely", "superb"], "negative": ["bad", "awful", "dull", "poor"]}
_FILLER = "the a film plot actor scene music story camera script was is very quite rather long short".split()


def toy_rows(n: int = 240, *, seed: int = 0) -> list[tuple[int, str, str, str]]:
    """(item_id, text, label, split): one sentiment word among filler, so a model can learn it.
    Distinct texts; splits 60/20/20 by position."""
    rng = random.Random(seed)
    rows, seen = [], set()
    for i in range(n):
        label = LABELS[i % 2]
        while True:  # distinct texts: items are unique by content within a project
            words = rng.choices(_FILLER, k=rng.randint(3, 8))
            words.insert(rng.randrange(len(words) + 1), rng.choice(_WORDS[label]))
            if " ".join(words) not in seen:
                seen.add(" ".join(words))
                break
        split = "train" if i % 10 < 6 else "val" if i % 10 < 8 else "test"
        rows.append((1000 + i, " ".join(words), label, split))
    return rows


def write_snapshot(folder: Path, rows: Iterable[tuple[int, str, str | None, str]], *, labels=LABELS,
                   manifest: bool = True, task_type: str = "classification") -> Path:
    """Write ``data.parquet`` and then ``manifest.json`` (last, with the file's sha256) to ``folder``."""
    rows = list(rows)
    folder.mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {
            "item_id": pa.array([r[0] for r in rows], pa.int64()),
            "text": pa.array([r[1] for r in rows], pa.string()),
            "label": pa.array([r[2] if task_type == "classification" else None for r in rows], pa.string()),
            **({"labels": pa.array([r[2] for r in rows], pa.list_(pa.string()))} if task_type == "multilabel" else {}),
            **({"spans": pa.array([r[2] for r in rows], pa.list_(pa.struct(
                [("start", pa.int32()), ("end", pa.int32()), ("label", pa.string())])))} if task_type == "spans" else {}),
            "split": pa.array([r[3] for r in rows], pa.string()),
            "confidence": pa.array([1.0] * len(rows), pa.float64()),
            "annotations": pa.array([1] * len(rows), pa.int32()),
        }
    )
    data = folder / "data.parquet"
    pq.write_table(table, data)
    if manifest:
        blob = data.read_bytes()
        counts = {s: sum(1 for r in rows if r[3] == s) for s in ("train", "val", "test")}
        (folder / "manifest.json").write_text(json.dumps({
            "version": 1, "project": 1, "labels": list(labels), "counts": counts, "task_type": task_type,
            "files": {"data.parquet": {"sha256": hashlib.sha256(blob).hexdigest(), "rows": len(rows), "bytes": len(blob)}},
            "content_hash": hashlib.sha256(blob).hexdigest(), "created_at": "2024-01-01T00:00:00Z",
        }))
    return folder


# Small enough to train in about a second on one contended CPU core.
TINY = {"vocab_size": 200, "d_model": 32, "n_heads": 2, "n_layers": 1, "d_ff": 64, "max_length": 16,
        "dropout": 0.0, "epochs": 4, "batch_size": 16, "learning_rate": 3e-3, "device": "cpu"}
