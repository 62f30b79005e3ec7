"""Version snapshots on disk: ``data.parquet`` plus ``manifest.json``, the manifest written last.

Layout of a snapshot folder (the contract the training engine reads):

    data.parquet   item_id int64, text string, label string, split string, confidence float64,
                   annotations int32, labels list<string>, spans list<struct<start int32, end int32,
                   label string>>; rows sorted by item_id, written in row groups
    manifest.json  {format, version, project, task_type, files: {name: {sha256, rows, bytes}}, labels,
                    counts, content_hash, created_at, ...}

``label`` is the single label of a classification project (null otherwise); ``labels`` the
consolidated label set of a multilabel project (possibly empty: "none of these"; null otherwise);
``spans`` the consolidated spans of a span project, offsets in code points of ``text`` (possibly
empty: no entity; null otherwise). Snapshots written before ``labels``/``spans`` existed read them
as null columns (``snapshot_batches``/``snapshot_table``); a manifest without ``task_type`` is
classification.

The writer fills a temporary sibling folder, checksums the data file, writes the manifest last and
renames the folder into place in one ``os.replace``. A folder without a manifest is not a snapshot:
``snapshot_open`` refuses it, and a failed build leaves no folder behind.

Where the finished folder is kept is ``common.storage``'s business: ``curation.services`` publishes it
under the key ``snapshots/project_<id>/v<n>`` (on the filesystem default the folder written here IS the
stored one), and readers get a local folder from ``curation.selectors.version_snapshot_dir``.

``content_hash`` is sha256 over the rows ``(item_id, text, label, split)`` in item_id order, each row
serialised as one JSON array and a newline (a row with ``labels`` or ``spans`` appends them to its
array: ``[item_id, text, label, split, labels, spans]``), so the same data gives the same hash in every build (it
does not depend on Parquet's bytes, compression or row-group sizes).

Pure: pyarrow and the standard library only.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common.storage import file_sha256
from curation.splits import SPLITS

FORMAT = 1
DATA_FILE = "data.parquet"
MANIFEST_FILE = "manifest.json"
ROW_GROUP_ROWS = 50_000  # ~3–5 MB per group for short texts: bounded memory, few groups to seek

SCHEMA = pa.schema(
    [
        ("item_id", pa.int64()),
        ("text", pa.string()),
        ("label", pa.string()),
        ("split", pa.string()),
        ("confidence", pa.float64()),
        ("annotations", pa.int32()),
        ("labels", pa.list_(pa.string())),
        ("spans", pa.list_(pa.struct([("start", pa.int32()), ("end", pa.int32()), ("label", pa.string())]))),
    ]
)
COLUMNS = tuple(SCHEMA.names)
SPANS_TYPE = SCHEMA.field("spans").type
LABELS_TYPE = SCHEMA.field("labels").type


class SnapshotError(Exception):
    """The folder is not a complete, intact snapshot."""


def _row_hash_update(digest, ids, texts, labels, splits, label_sets=None, spans=None) -> None:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    if label_sets is None and spans is None:
        rows = (encode([i, t, lab, s]) for i, t, lab, s in zip(ids, texts, labels, splits, strict=True))
    else:
        sets = label_sets if label_sets is not None else [None] * len(ids)
        found = spans if spans is not None else [None] * len(ids)
        rows = (
            encode([i, t, lab, s]) if ls is None and sp is None else encode([i, t, lab, s, ls, sp])
            for i, t, lab, s, ls, sp in zip(ids, texts, labels, splits, sets, found, strict=True)
        )
    digest.update("".join(r + "\n" for r in rows).encode("utf-8"))


class SnapshotWriter:
    """Write one snapshot. Use as a context manager: leaving the block by an exception (or without
    ``finish``) removes the temporary folder, so nothing half-written survives.

        with SnapshotWriter(final_dir) as writer:
            writer.append(item_ids, texts, labels, splits, confidences, annotations)  # any number of times
            manifest = writer.finish(manifest_extra)  # checksums, manifest last, rename into place
    """

    def __init__(self, final_dir: Path, *, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.final_dir = Path(final_dir)
        self.final_dir.parent.mkdir(parents=True, exist_ok=True)
        # A sibling in the same folder, so the final rename is atomic (same filesystem).
        self.tmp_dir = Path(tempfile.mkdtemp(prefix=f".{self.final_dir.name}.tmp-", dir=self.final_dir.parent))
        self._writer = pq.ParquetWriter(self.tmp_dir / DATA_FILE, SCHEMA, compression="zstd")
        self._row_group_rows = row_group_rows
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._digest = hashlib.sha256()
        self._last_id: int | None = None
        self.rows = 0
        self.counts = dict.fromkeys(SPLITS, 0)
        self._finished = False

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._finished:
            self.abort()

    def append(
        self,
        item_ids: Sequence[int],
        texts: Sequence[str],
        labels: Sequence[str],
        splits: Sequence[str],
        confidences: Sequence[float],
        annotations: Sequence[int],
        *,
        label_sets: Sequence[list[str] | None] | None = None,
        spans: Sequence[list[dict] | None] | None = None,
    ) -> None:
        """Append rows; item ids must be strictly increasing across all calls. ``label_sets`` (multilabel)
        and ``spans`` (span projects) are one entry per row, None for a column that does not apply."""
        if not item_ids:
            return
        if (self._last_id is not None and item_ids[0] <= self._last_id) or any(
            a >= b for a, b in zip(item_ids, item_ids[1:], strict=False)
        ):
            raise ValueError("snapshot rows must come in strictly increasing item_id order")
        self._last_id = item_ids[-1]
        batch = pa.RecordBatch.from_arrays(
            [
                pa.array(item_ids, pa.int64()),
                pa.array(texts, pa.string()),
                pa.array(labels, pa.string()),
                pa.array(splits, pa.string()),
                pa.array(confidences, pa.float64()),
                pa.array(annotations, pa.int32()),
                pa.array(label_sets, LABELS_TYPE) if label_sets is not None else pa.nulls(len(item_ids), LABELS_TYPE),
                pa.array(spans, SPANS_TYPE) if spans is not None else pa.nulls(len(item_ids), SPANS_TYPE),
            ],
            schema=SCHEMA,
        )
        _row_hash_update(self._digest, item_ids, texts, labels, splits, label_sets, spans)
        for name in splits:
            self.counts[name] += 1
        self.rows += len(item_ids)
        self._pending.append(batch)
        self._pending_rows += len(item_ids)
        if self._pending_rows >= self._row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            # One row group per flush: the groups stay ~row_group_rows each, never a 50k + 2k pair.
            self._writer.write_table(pa.Table.from_batches(self._pending), row_group_size=self._pending_rows)
            self._pending = []
            self._pending_rows = 0

    @property
    def content_hash(self) -> str:
        return self._digest.hexdigest()

    def data_path(self) -> Path:
        """The data file while it is being written (readable after ``close_data``)."""
        return self.tmp_dir / DATA_FILE

    def close_data(self) -> None:
        """Flush and close the data file; it can be read (for the quality report) before ``finish``."""
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None

    def finish(self, manifest_extra: dict) -> dict:
        """Checksum, write ``manifest.json`` last, fsync, and move the folder into place. An existing
        folder at the final path (left by an earlier attempt of the same build) is replaced."""
        self.close_data()
        data = self.tmp_dir / DATA_FILE
        manifest = {
            "format": FORMAT,
            **manifest_extra,
            "files": {DATA_FILE: {"sha256": file_sha256(data), "rows": self.rows, "bytes": data.stat().st_size}},
            "counts": dict(self.counts),
            "content_hash": self.content_hash,
            "created_at": datetime.now(UTC).isoformat(),
        }
        _fsync_file(data)
        manifest_path = self.tmp_dir / MANIFEST_FILE
        with manifest_path.open("w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        if self.final_dir.exists():
            shutil.rmtree(self.final_dir)
        os.replace(self.tmp_dir, self.final_dir)
        self._finished = True
        return manifest

    def abort(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # the file is being thrown away; its close error does not matter
                pass
            self._writer = None
        shutil.rmtree(self.tmp_dir, ignore_errors=True)
        self._finished = True


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def snapshot_open(folder: Path, *, verify: bool = True) -> dict:
    """The manifest of a complete snapshot. Raises SnapshotError when the manifest is missing or
    unreadable, a listed file is missing or has another size, or (``verify``) its sha256 differs."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{folder} has no manifest: it is not a complete snapshot.") from None
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{manifest_path} cannot be read: {exc}") from None
    for name, meta in manifest.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise SnapshotError(f"{path} is listed in the manifest but missing.")
        if path.stat().st_size != meta.get("bytes"):
            raise SnapshotError(f"{path} has {path.stat().st_size} bytes, the manifest says {meta.get('bytes')}.")
        if verify and file_sha256(path) != meta.get("sha256"):
            raise SnapshotError(f"{path} does not match its checksum in the manifest.")
    if DATA_FILE not in manifest.get("files", {}):
        raise SnapshotError(f"{folder}'s manifest lists no {DATA_FILE}.")
    return manifest


def snapshot_batches(
    folder: Path, *, columns: Sequence[str] | None = None, split: str | None = None, batch_rows: int = 65_536
) -> Iterator[pa.RecordBatch]:
    """The snapshot's rows in item_id order, batch by batch (one row group in memory at a time).
    ``split`` keeps only that split's rows. Does not verify the manifest: call ``snapshot_open`` first."""
    wanted = list(columns or COLUMNS)
    with pq.ParquetFile(Path(folder) / DATA_FILE) as parquet:
        present = set(parquet.schema_arrow.names)
        stored = [c for c in wanted if c in present]
        read = stored if split is None or "split" in stored else [*stored, "split"]
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=read):
            if split is not None:
                batch = batch.filter(pc.equal(batch.column("split"), split))
                if batch.num_rows == 0:
                    continue
            if read != wanted:
                batch = _with_columns(batch, wanted)
            yield batch


def _missing_type(name: str) -> pa.DataType:
    return SCHEMA.field(name).type if name in SCHEMA.names else pa.string()


def _with_columns(batch, wanted: Sequence[str]):
    """``batch`` with exactly ``wanted``, in that order; a column an older snapshot lacks reads as nulls."""
    present = set(batch.schema.names)
    arrays = [batch.column(c) if c in present else pa.nulls(batch.num_rows, _missing_type(c)) for c in wanted]
    if isinstance(batch, pa.Table):
        return pa.table(arrays, names=list(wanted))
    return pa.RecordBatch.from_arrays(arrays, names=list(wanted))


def snapshot_table(folder: Path, *, columns: Sequence[str] | None = None) -> pa.Table:
    """The whole snapshot (selected columns) as one Arrow table: for reports over a version, where
    every row is needed at once; Arrow keeps 1M short texts in ~100 MB. A column an older snapshot
    lacks (``labels``, ``spans``) reads as nulls."""
    path = Path(folder) / DATA_FILE
    wanted = list(columns or COLUMNS)
    present = set(pq.read_schema(path).names)
    table = pq.read_table(path, columns=[c for c in wanted if c in present])
    return table if table.column_names == wanted else _with_columns(table, wanted)
