"""Flow 1, Collect: an upload becomes an ImportJob, and the job streams the file into items.

``import_create`` spools the upload under UPLOAD_DIR and queues the job (its Celery task is dispatched
on commit). ``import_execute`` is the task body, callable from scripts too:

1. Claim the job (conditional UPDATE); a job another worker holds, or a cancelled one, is left alone.
2. Validation pass (``readers.survey``): every file-level problem (bytes that are not UTF-8 in the last
   line, a broken JSON array, no text column) is found before any item exists, so a bad file fails with
   NO partial items; it also estimates the row count, the progress total. For csv/tsv/jsonl/txt it is
   one C-speed pass over the bytes; json and parquet are decoded once. The spooled file cannot change
   in between; should a reader still fail mid-import, or anything else go wrong, everything the job
   inserted is undone before it fails (see "Failure" below).
3. Import pass (``ingestion.chunks``; a reader thread parses and hashes the next chunk meanwhile):
   per chunk of IMPORT_CHUNK_ROWS rows, one transaction inserts the new items (content hash
   unique per project: duplicates in the file and against existing items are counted, not inserted),
   stores labels as annotations by named sources, saves the counters, and beats the job's heart. A
   cancelled job stops after the chunk in flight; what was committed stays.

Row-level problems (a broken JSON line, an empty text, a label outside the project's labels) skip the
row and are reported with its number in ``row_errors`` (first 1000) and counted in ``skipped_rows``.

Failure: a job that stops on an error (a reader error the survey missed, a database error, a bug)
keeps nothing. In one transaction with marking it failed, its items are deleted (their annotations go
with them), and so are the annotations it added to items it did not create (tracked per chunk in
``ImportedAnnotation``), whose counters move back down. A retry then runs as a clean run would.

Re-running a job (after a crash the reaper failed, via ``import_retry``) inserts nothing twice: the
content hash makes the insert idempotent and imported annotations are unique per (item, source).
Items an earlier attempt of the same job inserted are counted as created again, so the figures of a
resumed import match those of an uninterrupted one.
"""
from __future__ import annotations

import logging
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction

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
from ingestion.chunks import chunk_prepare, chunk_store, prefetch, quick_gil_handover, run_start
from ingestion.inserts import relax_durability
from ingestion.models import ImportedAnnotation, ImportJob
from ingestion.readers import FORMATS, ReaderError, format_from_name, read_chunks, survey
from projects.models import Item, Project, TaskType

logger = logging.getLogger(__name__)

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
        raise Invalid(f"{name} must be a field name of 1 to 200 characters.", fields={name: ["Not a field name."]})
    return value


def _file_name(file, file_name: str | None) -> str:
    if file_name is None:
        file_name = Path(file).name if isinstance(file, (str, Path)) else getattr(file, "name", "") or "upload"
    return Path(file_name).name[:255]


def _format(format: str | None, file_name: str) -> str:
    """The reader to use: the one asked for, else the file name's; Unsupported when neither is known."""
    chosen = (format or "").strip().lower() or format_from_name(file_name)
    if chosen not in FORMATS:
        given = f"The format {format!r}" if format else f"The file name {file_name!r}"
        raise Unsupported(
            f"{given} is not a supported import format; use one of {', '.join(FORMATS)}.",
            code="unsupported_format",
            fields={"format": [f"One of {', '.join(FORMATS)}."]},
        )
    return chosen


def _options(project: Project, *, text_field, label_field, annotator_field, label_source) -> dict:
    """The job's reader options, checked: field names, and labels only where the task type takes them."""
    text_field = _check_field("text_field", text_field) or "text"
    label_field = _check_field("label_field", label_field)
    annotator_field = _check_field("annotator_field", annotator_field)
    label_source = _check_field("label_source", label_source)
    if annotator_field and not label_field:
        label_field = "label"
    if label_field and project.task_type == TaskType.SPANS:
        raise Invalid(
            "Importing span labels is not supported yet; import the texts without label_field.",
            fields={"label_field": ["Not for span projects."]},
        )
    options = {"text_field": text_field, "label_field": label_field, "annotator_field": annotator_field}
    if label_source:
        options["label_source"] = label_source
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
    created_by: User | None = None,
    dispatch: bool = True,
) -> ImportJob:
    """Validate the request, spool the file under UPLOAD_DIR, and queue an ImportJob.

    ``file`` is an uploaded file, an open binary file or a path. ``format`` defaults from the file name
    (415 ``unsupported_format`` when unknown); a file over DATAMOAT_MAX_UPLOAD_BYTES is 413 ``too_large``.
    Labels in ``label_field`` become annotations by the source ``label_source`` (default: the field's
    name); with ``annotator_field`` each row's label is an annotation by the source named in that field
    (``label_field`` then defaults to "label"). ``dispatch=False`` leaves running the job to the caller
    (``import_execute(job_id=...)``), for scripts and the demo seed.
    """
    file_name = _file_name(file, file_name)
    chosen = _format(format, file_name)
    limit = settings.DATAMOAT_MAX_UPLOAD_BYTES
    size = _file_size(file)
    if size is not None and size > limit:
        raise TooLarge(f"The file is {size:,} bytes; imports are limited to {limit:,} bytes. Split it into parts.")
    options = _options(
        project, text_field=text_field, label_field=label_field, annotator_field=annotator_field,
        label_source=label_source,
    )
    path, size = _spool(project=project, file=file, suffix=Path(file_name).suffix.lower()[:16])
    if size > limit:  # a file object of unknown size
        path.unlink(missing_ok=True)
        raise TooLarge(f"The file is over the import limit of {limit:,} bytes.")
    if size == 0:
        path.unlink(missing_ok=True)
        raise Invalid("The file is empty.", code="empty_file", fields={"file": ["Empty."]})
    job = None
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                project=project,
                file_name=file_name,
                file_path=str(path),
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
        raise
    return job


def import_retry(*, job: ImportJob, dispatch: bool = True) -> ImportJob:
    """Queue a failed import again; nothing it already inserted is inserted twice."""
    with transaction.atomic():
        if not job_requeue(job=job):
            raise Conflict(f"Only a failed import can be run again; this one is {job.status}.", code="not_failed")
        if dispatch:
            job_dispatch(job)
    return job


def import_cancel(*, job: ImportJob) -> ImportJob:
    if not job_cancel(job=job):
        raise Conflict(f"The import is already {job.status}.", code="already_finished")
    return job


# --- run ----------------------------------------------------------------------------------------


def import_execute(*, job_id: int) -> ImportJob | None:
    """Run a queued import to its end (the Celery task's body). Returns the job, or None when it could
    not be claimed (another worker has it, or it was cancelled before it started)."""
    job = job_claim(model=ImportJob, job_id=job_id)
    if job is None:
        return None
    ImportJob.objects.filter(id=job.id).update(
        created_count=0, duplicate_count=0, annotation_count=0, skipped_rows=0, row_errors=[]
    )
    try:
        total = _validate(job)
        if total is None:
            return job
        if not job_progress(job=job, done=0, total=total):
            return job
        run = run_start(job)
        with prefetch(chunk_prepare(run, chunk) for chunk in _chunks(job)) as prepared, quick_gil_handover():
            for batch in prepared:
                with transaction.atomic():
                    relax_durability()
                    chunk_store(run, batch)
                    still_running = job_progress(job=job, done=run.done, total=max(total, run.done))
                if not still_running:
                    return job
        with transaction.atomic():
            ImportedAnnotation.objects.filter(job_id=job.id).delete()  # nothing left to undo
            job_succeed(job=job, progress_total=run.done)
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
            owned = (
                ImportJob.objects.select_for_update()
                .filter(id=job.id, status=JobStatus.RUNNING, attempts=job.attempts)
                .exists()
            )
            if not owned:
                return
            _undo(job)
            job_fail(job=job, error=error, created_count=0, duplicate_count=0, annotation_count=0)
    except Exception:
        logger.exception("undoing import %s failed", job.id)
        job_fail(
            job=job,
            error=f"{error} Undoing what it had inserted failed too (logged); run it again to finish it.",
        )


def _undo(job: ImportJob) -> None:
    """Delete the annotations the job added to items it did not create (their counters move back),
    then the job's items with their annotations. Call inside a transaction."""
    tracked = ImportedAnnotation.objects.filter(job_id=job.id)
    annotations_remove(ids=list(tracked.values_list("annotation_id", flat=True)))
    tracked.delete()
    Item.objects.filter(import_job_id=job.id).delete()


def _chunks(job: ImportJob):
    return read_chunks(
        job.file_path,
        format=job.format,
        text_field=job.options.get("text_field") or "text",
        chunk_rows=settings.IMPORT_CHUNK_ROWS,
    )


def _validate(job: ImportJob) -> int | None:
    """The validation pass (``readers.survey``): the estimated row count, or None when the job failed.
    A file-level problem fails the job with the reader's sentence and nothing inserted."""
    try:
        return survey(job.file_path, format=job.format, text_field=job.options.get("text_field") or "text")
    except ReaderError as exc:
        job_fail(job=job, error=str(exc))
    except OSError as exc:
        job_fail(job=job, error=f"The uploaded file cannot be read any more ({exc.strerror}); upload it again.")
    return None
