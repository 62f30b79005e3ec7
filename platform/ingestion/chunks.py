"""One import run, chunk by chunk: ``chunk_prepare`` (pure Python: labels, hashes, in-chunk duplicates,
and on PostgreSQL the chunk's COPY rows) runs in a reader thread ahead of ``chunk_store`` (the
database), so parsing the next chunk overlaps the database's work on this one. Measured on 100k short
texts: the main thread waits on the database for about 90% of an import; what it waits for is the
item table's indexes and foreign-key checks (see ``ingestion.inserts``).

A chunk commits only while its attempt still owns the job: its last statement, the one UPDATE of the
job's counters, progress and heartbeat, is conditional on the job running with this attempt's number.
When the reaper failed the job meanwhile (and undid it, holding the job row's lock, which the UPDATE
waits for), a user cancelled it (the worker then undoes it), or a retry claimed it again (a retry
undoes first), the UPDATE touches nothing and the chunk rolls back: nothing of this attempt comes in
after the undo.
"""
from __future__ import annotations

import hashlib
import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from annotation.imported import annotations_import
from common.models import JobStatus
from ingestion.inserts import copy_payload, existing_items, items_insert_new, sqlite_rows
from ingestion.labels import LabelParser
from ingestion.models import ImportedAnnotation, ImportJob
from ingestion.readers import Chunk, RowError
from projects.models import Project

MAX_ROW_ERRORS = 1000


@dataclass
class Run:
    job: ImportJob
    project: Project
    text_field: str
    label_field: str | None
    annotator_field: str | None
    source: str | None  # the source of label_field labels (without annotator_field)
    labels: LabelParser
    copy: bool  # PostgreSQL: chunk_prepare also encodes the chunk for COPY
    sqlite: bool = False  # SQLite: chunk_prepare also builds the INSERT's parameters
    hidden: frozenset[str] = frozenset()  # columns kept in Item.hidden, never shown to annotators
    total: int = 0  # the survey's row estimate, the progress bar's total
    created: int = 0
    duplicates: int = 0
    annotations: int = 0
    skipped: int = 0
    done: int = 0
    row_errors: list[dict] = field(default_factory=list)
    preexisting_seen: set[str] = field(default_factory=set)


@dataclass
class Prepared:
    # content hash → (text, meta, hidden), first occurrence in the chunk
    entries: dict[str, tuple[str, dict, dict]]
    wanted: list[tuple[str, str, dict]]  # (content hash, source, annotation value)
    errors: list[RowError]
    repeats: int  # rows whose text already came earlier in the chunk
    seen: int
    counts: dict[str, int]  # content hash → distinct sources labelling it in the chunk
    payload: bytes | list | None  # the entries as COPY rows (PostgreSQL) or INSERT rows (SQLite), built ahead


def run_start(job: ImportJob, *, total: int = 0) -> Run:
    project = Project.objects.get(id=job.project_id)
    options = job.options
    label_field = options.get("label_field")
    return Run(
        job=job,
        project=project,
        text_field=options.get("text_field") or "text",
        label_field=label_field,
        annotator_field=options.get("annotator_field"),
        source=options.get("label_source") or label_field,
        labels=LabelParser(task_type=project.task_type, labels=project.labels),
        copy=connection.vendor == "postgresql",
        sqlite=connection.vendor == "sqlite",
        hidden=frozenset(options.get("hidden_fields") or ()),
        total=total,
    )


def _annotator(raw, field_name: str) -> tuple[str | None, str | None]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, f"The annotator field {field_name!r} is empty for a labelled row."
    if isinstance(raw, (dict, list)):
        return None, f"The annotator field {field_name!r} is not a name."
    name = str(raw).strip()
    if len(name) > 200:
        return None, "The annotator name is longer than 200 characters."
    return name, None


def _conflict_source(firsts: dict, digest: str, source: str, value: dict) -> str:
    """The source a labelled row's annotation is stored by. A row that repeats a text with another label
    than the first copy's is evidence, never a silent drop: its label becomes an annotation by
    ``"<source>#2"`` (``#3``... for further distinct labels), which agreement counts and the review
    queue shows as a disagreement. Repeats with the same label fold into the first (one annotation)."""
    seen = firsts.setdefault((digest, source), [])
    if value in seen:
        index = seen.index(value)
    else:
        seen.append(value)
        index = len(seen) - 1
    return source if index == 0 else f"{source}#{index + 1}"[:200]


def chunk_prepare(run: Run, chunk: Chunk) -> Prepared:
    """Pure: check labels, hash texts, fold rows that repeat a text. No database."""
    text_field, label_field, annotator_field, hidden = run.text_field, run.label_field, run.annotator_field, run.hidden
    reserved = {text_field, label_field, annotator_field}
    errors = list(chunk.errors)
    entries: dict[str, tuple[str, dict, dict]] = {}
    wanted: list[tuple[str, str, dict]] = []
    pairs: set[tuple[str, str]] = set()
    firsts: dict[tuple[str, str], list[dict]] = {}
    counts: dict[str, int] = {}
    repeats = 0
    sha256 = hashlib.sha256
    for row, record in chunk.records:
        text = record[text_field]
        value = None
        if label_field:
            value, problem = run.labels.parse(record.get(label_field))
            source = run.source
            if value is not None and annotator_field:
                source, problem = _annotator(record.get(annotator_field), annotator_field)
            if problem:
                errors.append(RowError(row, problem))
                continue
        digest = sha256(text.encode()).hexdigest()  # == projects.services.content_hash(text)
        if digest in entries:
            repeats += 1
        elif len(record) == 1:
            entries[digest] = (text, {}, {})
        elif not hidden:
            entries[digest] = (text, {k: v for k, v in record.items() if k not in reserved}, {})
        else:
            entries[digest] = (
                text,
                {k: v for k, v in record.items() if k not in reserved and k not in hidden},
                {k: v for k, v in record.items() if k in hidden and k not in reserved},
            )
        if value is not None:
            source = _conflict_source(firsts, digest, source, value)
            wanted.append((digest, source, value))
            if (digest, source) not in pairs:  # annotations_import keeps the first value of a pair
                pairs.add((digest, source))
                counts[digest] = counts.get(digest, 0) + 1
    return Prepared(
        entries=entries,
        wanted=wanted,
        errors=errors,
        repeats=repeats,
        seen=chunk.seen,
        counts=counts,
        payload=(copy_payload(entries, counts) if run.copy else sqlite_rows(entries, counts) if run.sqlite else None)
        if entries else None,
    )


def chunk_store(run: Run, prepared: Prepared) -> None:
    """Insert the chunk's new items and its annotations, and count them on ``run``. Call inside the
    chunk's transaction; end the transaction (one chunk or several) with ``chunk_report``."""
    entries, wanted, annotator_field = prepared.entries, prepared.wanted, run.annotator_field
    # New items are inserted with their counter already counting the annotations added below.
    counts = prepared.counts
    new = items_insert_new(
        project_id=run.project.id, job_id=run.job.id, entries=entries, counts=counts, payload=prepared.payload
    )
    run.created += len(new)
    ids = dict(new)
    foreign: set[int] = set()  # items this job did not create: its annotations on them are tracked
    others = [digest for digest in entries if digest not in new]
    if others and (wanted or annotator_field):
        for digest, (item_id, job_id) in existing_items(project_id=run.project.id, hashes=others).items():
            ids[digest] = item_id
            if job_id != run.job.id:
                foreign.add(item_id)
            if not annotator_field:
                run.duplicates += 1
            elif job_id != run.job.id and digest not in run.preexisting_seen:
                run.preexisting_seen.add(digest)  # in the project before this import
                run.duplicates += 1
    elif others:
        run.duplicates += len(others)
    if not annotator_field:
        run.duplicates += prepared.repeats  # with an annotator field, rows sharing a text are the format

    if wanted:
        rows = [(ids[digest], source, value) for digest, source, value in wanted if digest in ids]
        counted = {item_id: counts[digest] for digest, item_id in new.items() if digest in counts}
        created: list[tuple[int, int]] | None = [] if foreign else None
        run.annotations += annotations_import(project=run.project, rows=rows, counted=counted, created=created)
        if created:
            # Undoing a failed import deletes these; annotations on its own items go with the items.
            ImportedAnnotation.objects.bulk_create(
                [
                    ImportedAnnotation(job_id=run.job.id, annotation_id=annotation_id)
                    for annotation_id, item_id in created
                    if item_id in foreign
                ],
                batch_size=5000,
            )
    run.skipped += len(prepared.errors)
    room = MAX_ROW_ERRORS - len(run.row_errors)
    if room > 0:
        run.row_errors.extend(e.as_dict() for e in sorted(prepared.errors, key=lambda e: e.row)[:room])
    run.done += prepared.seen


def chunk_report(run: Run) -> bool:
    """Save the counters, progress and heartbeat on the job. False when this attempt no longer owns the
    job (reaped, cancelled, claimed again): the caller must roll the transaction back."""
    # The transaction's last statement: it waits for the job row's lock, so a reaper, a cancel or a retry
    # that moved the job (and undid its items) before this commits is seen here, and the chunk rolls back.
    return (
        ImportJob.objects.filter(id=run.job.id, status=JobStatus.RUNNING, attempts=run.job.attempts).update(
            created_count=run.created,
            duplicate_count=run.duplicates,
            annotation_count=run.annotations,
            skipped_rows=run.skipped,
            row_errors=run.row_errors,
            progress_done=run.done,
            progress_total=max(run.total, run.done),
            heartbeat_at=timezone.now(),
        )
        == 1
    )


_DONE = object()


@contextmanager
def quick_gil_handover(interval: float = 0.0005) -> Iterator[None]:
    """Lower the interpreter's thread switch interval (5 ms by default) while an import runs.

    The main thread returns from a dozen database calls per chunk, and each time the busy reader
    thread may hold the GIL for up to the switch interval before handing it over: up to 60 ms per
    chunk in which the database idles. Process-wide, but a worker runs one task per process; the
    previous value comes back on leaving. Measured here on 100k rows (best of 2, load 3.4): 27.6k
    rows/s with 5 ms, 32.5k with 0.5 ms; within this machine's noise, but never slower."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, interval))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


class Prefetched:
    """The consumer's side of ``prefetch``: an iterator, and ``ready()``, whether its next item (or the
    producer's exception) is already there, so taking it would not wait."""

    _NOTHING = object()

    def __init__(self, slots: queue.Queue):
        self.slots = slots
        self.peeked = self._NOTHING

    def __iter__(self) -> Prefetched:
        return self

    def __next__(self):
        entry, self.peeked = (self.peeked if self.peeked is not self._NOTHING else self.slots.get()), self._NOTHING
        item, exc = entry
        if exc is not None:
            raise exc
        if item is _DONE:
            self.peeked = entry  # stays exhausted
            raise StopIteration
        return item

    def ready(self) -> bool:
        if self.peeked is self._NOTHING:
            try:
                self.peeked = self.slots.get_nowait()
            except queue.Empty:
                return False
        return self.peeked[0] is not _DONE or self.peeked[1] is not None


@contextmanager
def prefetch(items: Iterable, depth: int = 2) -> Iterator[Prefetched]:
    """Produce ``items`` in a daemon thread, at most ``depth`` ahead of the consumer. An exception in
    the producer is raised in the consumer, in order; leaving the block early stops the producer.
    The producer must not touch the database (Django connections belong to their thread)."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put((None, exc))
            return
        put((_DONE, None))

    thread = threading.Thread(target=produce, name="import-reader", daemon=True)
    thread.start()
    try:
        yield Prefetched(slots)
    finally:
        stop.set()
        thread.join()
