"""Flow 1, Collect: an upload becomes an ImportJob, and the job streams the file into items.

``import_create`` spools the upload under UPLOAD_DIR and queues the job (its Celery task is dispatched
on commit). ``import_execute`` is the task body, callable from scripts too:

1. Claim the job (conditional UPDATE); a job another worker holds, or a cancelled one, is left alone.
2. Validation pass (``readers.survey``): every file-level problem (bytes that are not UTF-8 in the last
   line, a broken JSON array, no text column, a file over the import limits: rows, decoded bytes) is
   found before any item exists, so a bad file fails with NO partial items; it also estimates the row
   count, the progress total. For csv/tsv/jsonl/txt it is one C-speed pass over the bytes; json and
   parquet are decoded once. The spooled file cannot change
   in between; should a reader still fail mid-import, or anything else go wrong, everything the job
   inserted is undone before it fails (see "Failure" below).
3. Import pass (``ingestion.chunks``; a reader thread parses and hashes the next chunk meanwhile):
   per chunk of IMPORT_CHUNK_ROWS rows, one transaction inserts the new items (content hash
   unique per project: duplicates in the file and against existing items are counted, not inserted),
   stores labels as annotations by named sources, saves the counters, and beats the job's heart, only
   while this attempt still owns the job (``ingestion.chunks``): otherwise the chunk rolls back.

Row-level problems (a broken JSON line, an empty text, a text over DATAMOAT_IMPORT_MAX_TEXT_CHARS, a
value nested too deep, a label outside the project's labels) skip the row and are reported with its
number in ``row_errors`` (first 1000) and counted in ``skipped_rows``: one overlong text in a file of
100k is that row's problem, not the file's. The limits for the whole file (rows, decoded bytes) fail
the import: 413 at upload when the file shows it (its size, a Parquet footer), else the job.

Columns named in ``hidden_fields`` go to ``Item.hidden`` instead of ``meta``: kept for managers and
exports, never sent to annotators or reviewers' queue.

All or nothing. A job that does not succeed keeps nothing, whatever stopped it (``import_undo``: its
items are deleted, their annotations with them, and so are the annotations it added to items it did
not create, tracked per chunk in ``ImportedAnnotation``, whose counters move back down), each time in
the transaction that moves the job, with its row locked:

- an error (a reader error the survey missed, a database error, a bug): the worker undoes and fails it;
- a killed worker (``kill -9``, a lost machine): the reaper fails the stale job and calls
  ``import_undo`` (``ImportJob.REAP_UNDO``); until then (DATAMOAT_JOB_STALE_SECONDS) its items are
  visible, and a version build refuses the project (``import_unfinished``);
- a cancel: the worker's chunk in flight rolls back and the worker undoes the job
  (``import_undo_cancelled``); the reaper does when that worker is dead.

Should an undo itself fail, the job is failed saying so, and its retry undoes first: a retry always
starts from nothing, so its figures are those of a clean run. The import path pays nothing for this:
the ownership check is folded into the chunk's one UPDATE of the job (one statement fewer per chunk
than before). Undoing is the slow part, paid only when an import does not finish: measured on 100k
labelled rows (PostgreSQL, this machine), 6-9 s against 5.5-7 s for the import (``_items_delete``).
"""
from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import connection, models, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from annotation.imported import annotations_remove
from common.errors import Conflict, Invalid, TooLarge, Unsupported
from common.jobs import (
    job_cancel,
    job_claim,
    job_dispatch,
    job_fail,
    job_progress,
    job_requeue,
    job_succeed,
    unexpected_error,
)
from common.models import JobStatus
from common.storage import StorageError, file_delete, file_local, file_publish
from ingestion.chunks import chunk_prepare, chunk_report, chunk_store, prefetch, quick_gil_handover, run_start
from ingestion.inserts import SqliteBulkWrites, relax_durability
from ingestion.models import ImportedAnnotation, ImportJob
from ingestion.readers import (
    FORMATS,
    JOINERS,
    Limits,
    ReaderError,
    TooBig,
    format_from_name,
    read_chunks,
    survey,
    upload_limits,
)
from projects.models import Item, Project, TaskType

logger = logging.getLogger(__name__)

MAX_HIDDEN_FIELDS = 100


def import_limits() -> Limits:
    """The import limits from settings (DATAMOAT_IMPORT_MAX_*), for the readers."""
    return Limits(
        text_chars=settings.DATAMOAT_IMPORT_MAX_TEXT_CHARS,
        rows=settings.DATAMOAT_IMPORT_MAX_ROWS,
        decoded_bytes=settings.DATAMOAT_IMPORT_MAX_DECODED_BYTES,
        depth=settings.DATAMOAT_IMPORT_MAX_DEPTH,
    )

# --- create -------------------------------------------------------------------------------------


def _spool(*, project: Project, file: BinaryIO | Path | str, suffix: str) -> tuple[Path, int]:
    folder = Path(settings.UPLOAD_DIR) / f"project-{project.id}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}{suffix}"
    if isinstance(file, (str, Path)):
        shutil.copyfile(file, target)
    elif hasattr(file, "chunks"):  # Django's UploadedFile: in memory or already spooled to a temp file
        with open(target, "wb") as out:
            for piece in file.chunks():
                out.write(piece)
    else:
        with open(target, "wb") as out:
            shutil.copyfileobj(file, out, 1024 * 1024)
    return target, target.stat().st_size


def _file_size(file) -> int | None:
    if isinstance(file, (str, Path)):
        return Path(file).stat().st_size
    return getattr(file, "size", None)


def _check_field(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 200:
        raise Invalid(
            _("%(name)s must be a field name of 1 to 200 characters.") % {"name": name},
            fields={name: [_("Not a field name.")]},
        )
    return value


def _file_name(file, file_name: str | None) -> str:
    if file_name is None:
        file_name = Path(file).name if isinstance(file, (str, Path)) else getattr(file, "name", "") or "upload"
    return Path(file_name).name[:255]


def _format(format: str | None, file_name: str) -> str:
    """The reader to use: the one asked for, else the file name's; Unsupported when neither is known."""
    chosen = (format or "").strip().lower() or format_from_name(file_name)
    if chosen not in FORMATS:
        if format:
            message = _("The format %(format)r is not a supported import format; use one of %(formats)s.")
        else:
            message = _("The file name %(name)r is not a supported import format; use one of %(formats)s.")
        formats = ", ".join(FORMATS)
        raise Unsupported(
            message % {"format": format, "name": file_name, "formats": formats},
            code="unsupported_format",
            fields={"format": [_("One of %(formats)s.") % {"formats": formats}]},
        )
    return chosen


def _hidden_fields(names, *, reserved: set[str]) -> list[str]:
    """The columns to keep out of ``meta``: a list of names (or comma-separated names), checked."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    split = [part.strip() for name in names for part in str(name).split(",")]
    chosen = list(dict.fromkeys(part for part in split if part))
    if len(chosen) > MAX_HIDDEN_FIELDS:
        raise Invalid(
            _("hidden_fields names at most %(max)s columns.") % {"max": MAX_HIDDEN_FIELDS},
            fields={"hidden_fields": [_("Too many.")]},
        )
    for name in chosen:
        _check_field("hidden_fields", name)
        if name in reserved:
            raise Invalid(
                _("hidden_fields cannot name %(name)r: it is the text, label or annotator field.") % {"name": name},
                fields={"hidden_fields": [_("%(name)r is not an other column.") % {"name": name}]},
            )
    return chosen


def _options(
    project: Project, *, format: str, text_field, label_field, annotator_field, label_source, hidden_fields,
    label_separator=None, tokens_joined_by=None,
) -> dict:
    """The job's reader options, checked: field names, and label options where the task type takes them."""
    text_field = _check_field("text_field", text_field) or "text"
    label_field = _check_field("label_field", label_field)
    annotator_field = _check_field("annotator_field", annotator_field)
    label_source = _check_field("label_source", label_source)
    if (annotator_field or (format == "conll" and project.task_type == TaskType.SPANS)) and not label_field:
        label_field = "label"  # a CoNLL file's tags are its labels
    hidden = _hidden_fields(hidden_fields, reserved={text_field, label_field, annotator_field})
    options = {
        "text_field": text_field, "label_field": label_field, "annotator_field": annotator_field, "hidden_fields": hidden,
    }
    if label_source:
        options["label_source"] = label_source
    if label_separator is not None and label_separator != "":
        if project.task_type != TaskType.MULTILABEL or len(label_separator) > 10:
            raise Invalid(
                _("label_separator splits a cell into several labels: only for multilabel projects, "
                  "at most 10 characters."),
                fields={"label_separator": [_("Only for multilabel projects.")]},
            )
        options["label_separator"] = label_separator
    if tokens_joined_by is not None:
        if format != "conll" or tokens_joined_by not in JOINERS:
            raise Invalid(
                _("tokens_joined_by is for the conll format only, and is \" \" (a space) or \"\" (nothing)."),
                fields={"tokens_joined_by": [_("\" \" or \"\", with format conll.")]},
            )
        options["tokens_joined_by"] = tokens_joined_by
    return options


def import_create(
    *,
    project: Project,
    file: BinaryIO | Path | str,
    file_name: str | None = None,
    format: str | None = None,
    text_field: str = "text",
    label_field: str | None = None,
    annotator_field: str | None = None,
    label_source: str | None = None,
    hidden_fields: list[str] | str | None = None,
    label_separator: str | None = None,
    tokens_joined_by: str | None = None,
    created_by: User | None = None,
    dispatch: bool = True,
) -> ImportJob:
    """Validate the request, spool the file under UPLOAD_DIR, and queue an ImportJob.

    ``file`` is an uploaded file, an open binary file or a path. ``format`` defaults from the file name
    (415 ``unsupported_format`` when unknown); a file over DATAMOAT_MAX_UPLOAD_BYTES is 413 ``too_large``.
    Labels in ``label_field`` become annotations by the source ``label_source`` (default: the field's
    name); with ``annotator_field`` each row's label is an annotation by the source named in that field
    (``label_field`` then defaults to "label"). ``hidden_fields`` (names, or comma-separated names) are
    columns kept in ``Item.hidden`` for managers and exports instead of ``meta``, which annotators see.
    Multilabel: ``label_separator`` splits a string cell ("a|b"); a cell holding a JSON list is read as
    one. Spans: the label cell holds spans (doccano's ``[[start, end, tag]]``, Label Studio's ``labels``
    results, CoNLL's tags), checked against the text. ``tokens_joined_by`` (format ``conll``: " ", the
    default, or "" for one character per line) joins a sentence's tokens into its text.
    A file the import limits refuse at sight (its size over DATAMOAT_IMPORT_MAX_DECODED_BYTES, a
    Parquet footer over the rows or bytes limit) is 413 ``too_large`` too. ``dispatch=False`` leaves
    running the job to the caller (``import_execute(job_id=...)``), for scripts and the demo seed.
    """
    file_name = _file_name(file, file_name)
    chosen = _format(format, file_name)
    limit = settings.DATAMOAT_MAX_UPLOAD_BYTES
    size = _file_size(file)
    if size is not None and size > limit:
        raise TooLarge(
            _("The file is %(size)s bytes; imports are limited to %(limit)s bytes. Split it into parts.")
            % {"size": f"{size:,}", "limit": f"{limit:,}"}
        )
    options = _options(
        project, format=chosen, text_field=text_field, label_field=label_field, annotator_field=annotator_field,
        label_source=label_source, hidden_fields=hidden_fields, label_separator=label_separator,
        tokens_joined_by=tokens_joined_by,
    )
    path, size = _spool(project=project, file=file, suffix=Path(file_name).suffix.lower()[:16])
    if size > limit:  # a file object of unknown size
        path.unlink(missing_ok=True)
        raise TooLarge(_("The file is over the import limit of %(limit)s bytes.") % {"limit": f"{limit:,}"})
    if size == 0:
        path.unlink(missing_ok=True)
        raise Invalid(_("The file is empty."), code="empty_file", fields={"file": [_("Empty.")]})
    try:
        upload_limits(path, format=chosen, limits=import_limits())
    except TooBig as exc:
        path.unlink(missing_ok=True)
        raise TooLarge(exc.message_in(_)) from None
    # Through the storage API, so a worker on another machine reads what the web server received (on
    # the filesystem default the spooled file already is the stored one: nothing is copied).
    key = f"uploads/project-{project.id}/{path.name}"
    job = None
    try:
        file_publish(path, key)
        with transaction.atomic():
            job = ImportJob.objects.create(
                project=project,
                file_name=file_name,
                file_path=key,
                file_size=size,
                format=chosen,
                options=options,
                created_by=created_by,
            )
            if dispatch:
                job_dispatch(job)
    except BaseException:
        # Nothing would ever remove the spooled file. A dispatch that fails on commit leaves a job
        # that no worker will run, naming that file: it goes too (a no-op when the create rolled back).
        if job is not None and job.pk is not None:
            ImportJob.objects.filter(id=job.pk).delete()
        path.unlink(missing_ok=True)
        file_delete(key)
        raise
    return job


def import_retry(*, job: ImportJob, dispatch: bool = True) -> ImportJob:
    """Queue a failed import again; nothing it already inserted is inserted twice."""
    with transaction.atomic():
        if not job_requeue(job=job):
            raise Conflict(
                _("Only a failed import can be run again; this one is %(status)s.") % {"status": job.status},
                code="not_failed",
            )
        if dispatch:
            job_dispatch(job)
    return job


def import_cancel(*, job: ImportJob) -> ImportJob:
    """Cancel a queued or running import. A running one keeps nothing either, but the undo is not done
    here (it takes seconds per 100k items, too long for a request): the worker's chunk in flight finds
    the job cancelled, rolls back, and the worker undoes what the job had committed; should that
    worker be dead, the reaper does (a cancelled job whose heartbeat went stale). Its counters go to
    zero then."""
    if not job_cancel(job=job):
        raise Conflict(_("The import is already %(status)s.") % {"status": job.status}, code="already_finished")
    return job


def items_hide_fields(*, project: Project, names: list[str], batch: int = 2000) -> int:
    """Move the ``meta`` keys ``names`` of the project's items into ``hidden`` (items imported before
    those columns were hidden). Returns how many items changed; a second call changes none."""
    if not names:
        return 0
    moved = 0
    candidates = Item.objects.filter(project_id=project.id).order_by("id").only("id", "meta", "hidden")
    changed: list[Item] = []
    for item in candidates.iterator(chunk_size=batch):
        if not isinstance(item.meta, dict) or not any(name in item.meta for name in names):
            continue
        item.hidden = {**(item.hidden or {}), **{n: item.meta.pop(n) for n in names if n in item.meta}}
        changed.append(item)
        if len(changed) == batch:
            moved += Item.objects.bulk_update(changed, ["meta", "hidden"])
            changed = []
    if changed:
        moved += Item.objects.bulk_update(changed, ["meta", "hidden"])
    return moved


# --- run ----------------------------------------------------------------------------------------


def import_execute(*, job_id: int) -> ImportJob | None:
    """Run a queued import to its end (the Celery task's body). Returns the job, or None when it could
    not be claimed (another worker has it, or it was cancelled before it started)."""
    job = job_claim(model=ImportJob, job_id=job_id)
    if job is None:
        return None
    if job.attempts > 1:
        # Whatever an earlier attempt left (its undo failed, or older code kept it) goes first: a retry
        # starts from nothing, so its figures are those of a clean run.
        with transaction.atomic():
            import_undo(job=job)
    ImportJob.objects.filter(id=job.id).update(
        created_count=0, duplicate_count=0, annotation_count=0, skipped_rows=0, row_errors=[]
    )
    try:
        total = _validate(job)
        if total is None:
            return job
        if not job_progress(job=job, done=0, total=total):
            import_undo_cancelled(job=job)  # nothing to undo yet; clears the heartbeat of a cancel
            return job
        run = run_start(job, total=total)
        with (SqliteBulkWrites() as bulk, quick_gil_handover(),
              prefetch((chunk_prepare(run, chunk) for chunk in _chunks(job)), depth=bulk.prefetch_depth) as prepared):
            for batch in prepared:
                with transaction.atomic():
                    relax_durability()
                    chunk_store(run, batch)
                    rows = batch.seen
                    # SQLite: the transaction takes further chunks while they are ready and no one waits.
                    while bulk.join_next(prepared, rows):
                        batch = next(prepared)
                        chunk_store(run, batch)
                        rows += batch.seen
                    owned = chunk_report(run)
                    if not owned:  # reaped, cancelled or claimed again: add nothing
                        transaction.set_rollback(True)
                if not owned:
                    import_undo_cancelled(job=job)
                    return job
                bulk.after_chunk()
        with transaction.atomic():
            owned = _owned(job)
            if owned:
                ImportedAnnotation.objects.filter(job_id=job.id).delete()  # nothing left to undo
                job_succeed(job=job, progress_total=run.done)
        if not owned:
            import_undo_cancelled(job=job)
    except ReaderError as exc:
        # The survey missed it (the spooled file changed, or a line file held only blank lines).
        _fail_undone(job, f"{exc} Nothing of this import was kept.")
    except Exception as exc:
        logger.exception("import %s failed", job.id)
        _fail_undone(job, f"{unexpected_error('The import', exc)} Nothing of it was kept.")
    return job


def _fail_undone(job: ImportJob, error: str) -> None:
    """Undo everything the job inserted and fail it, in one transaction. Skipped when the job is no
    longer this attempt's (reaped and retried meanwhile, or cancelled): its rows are not ours to undo."""
    try:
        with transaction.atomic():
            if not _owned(job):
                return
            import_undo(job=job)
            job_fail(job=job, error=error, created_count=0, duplicate_count=0, annotation_count=0)
    except Exception:
        logger.exception("undoing import %s failed", job.id)
        job_fail(
            job=job,
            error=f"{error} Undoing what it had inserted failed too (logged); run it again: a retry undoes it first.",
        )


def _owned(job: ImportJob) -> bool:
    """Lock the job's row; whether this attempt still runs it. Call inside a transaction."""
    return (
        ImportJob.objects.select_for_update()
        .filter(id=job.id, status=JobStatus.RUNNING, attempts=job.attempts)
        .exists()
    )


def import_undo_cancelled(*, job: ImportJob) -> bool:
    """Undo a job that was cancelled while it ran, once: what its worker calls on finding it cancelled,
    and what the reaper calls for a cancelled job whose worker died first (its heartbeat went stale).
    The heartbeat is cleared with the undo, which marks it done (a job cancelled while queued never had
    one). True when this call undid it."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().filter(
            id=job.id, status=JobStatus.CANCELLED, heartbeat_at__isnull=False
        )
        if not locked.exists():
            return False
        import_undo(job=job)
        locked.update(created_count=0, duplicate_count=0, annotation_count=0, heartbeat_at=None)
    return True


def import_undo(*, job: ImportJob) -> None:
    """Delete the annotations the job added to items it did not create (their counters move back),
    then the job's items with their annotations (and leases, reviews: the item's cascade). Call inside
    the transaction that moves the job out of running, with its row locked (so no chunk of it commits
    after this one's snapshot)."""
    tracked = ImportedAnnotation.objects.filter(job_id=job.id)
    annotations_remove(ids=list(tracked.values_list("annotation_id", flat=True)))
    tracked.delete()
    _items_delete(Item.objects.filter(import_job_id=job.id))


def _items_delete(items) -> None:
    """Delete ``items`` and every row pointing at them (annotations, leases, reviews, predictions...).

    Django's own cascade fetches the items' ids and deletes each related table's rows by IN lists of
    them: measured on PostgreSQL here, 26.6 s and 1015 statements for 100k imported items with one
    label each (the import itself took 5.5 s). One DELETE per related table by a subquery, then one for
    the items: 13 statements, 6-9 s, nearly all of it PostgreSQL's foreign-key checks (10 tables point
    at items; each deleted item is looked up in each, ~0.6 s per table per 100k). The relations are
    read from Item's model (hidden ones too), so a new one is covered; should one ever not simply
    cascade (PROTECT, SET_NULL), Django's cascade is used instead. No signal receivers exist for these
    models (the raw DELETE of the items would skip them)."""
    relations = [f for f in Item._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete]
    if any(r.on_delete is not models.CASCADE for r in relations):
        items.delete()
        return
    ids = items.values("id")
    for relation in relations:
        relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": ids}).delete()
    table = connection.ops.quote_name(Item._meta.db_table)
    sql, params = ids.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id IN ({sql})", params)


def _chunks(job: ImportJob):
    options = job.options
    task_type, span_overlap = Project.objects.values_list("task_type", "span_overlap").get(id=job.project_id)
    return read_chunks(
        file_local(job.file_path),
        format=job.format,
        text_field=options.get("text_field") or "text",
        chunk_rows=settings.IMPORT_CHUNK_ROWS,
        limits=import_limits(),
        label_field=options.get("label_field"),
        spans=task_type == TaskType.SPANS,
        span_overlap=span_overlap,
        label_separator=options.get("label_separator"),
        tokens_joined_by=options.get("tokens_joined_by", " "),
    )


def _validate(job: ImportJob) -> int | None:
    """The validation pass (``readers.survey``): the estimated row count, or None when the job failed.
    A file-level problem fails the job with the reader's sentence and nothing inserted."""
    try:
        return survey(
            file_local(job.file_path), format=job.format, text_field=job.options.get("text_field") or "text",
            limits=import_limits(),
        )
    except ReaderError as exc:
        job_fail(job=job, error=str(exc))
    except OSError as exc:
        job_fail(job=job, error=f"The uploaded file cannot be read any more ({exc.strerror}); upload it again.")
    except StorageError as exc:
        job_fail(job=job, error=f"The uploaded file cannot be read any more ({exc}); upload it again.")
    return None
