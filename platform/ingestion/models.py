from django.db import models

from common.models import Job


class ImportJob(Job):
    """One uploaded file streamed into a project's items (and, with a label field, annotations)."""

    TASK_NAME = "ingestion.run_import"  # re-sent by the reaper when a queued row waits too long
    # Called by the reaper as undo(job=...) in the transaction that fails a stale running import: an
    # import is all or nothing, so what a killed worker committed goes with it (common.jobs). And
    # REAP_UNDO_CANCELLED for a job cancelled while it ran whose worker died before undoing it.
    REAP_UNDO = "ingestion.services.import_undo"
    REAP_UNDO_CANCELLED = "ingestion.services.import_undo_cancelled"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="imports")
    file_name = models.CharField(max_length=255)
    file_path = models.CharField(max_length=500)  # the upload's storage key (common.storage), or an older absolute path
    file_size = models.BigIntegerField(default=0)
    format = models.CharField(max_length=16)
    options = models.JSONField(default=dict, blank=True)  # text_field, label_field, annotator_field, hidden_fields
    created_count = models.BigIntegerField(default=0)
    duplicate_count = models.BigIntegerField(default=0)
    annotation_count = models.BigIntegerField(default=0)
    skipped_rows = models.BigIntegerField(default=0)
    row_errors = models.JSONField(default=list, blank=True)  # [{row, message}], first 1000 kept


class ImportedAnnotation(models.Model):
    """An annotation an import added to an item it did not create (a labelled row whose text was already
    in the project), written in the same transaction as the annotation. Undoing a failed import deletes
    these besides the job's own items (whose annotations go with them). Kept while the job may still be
    retried; removed when it succeeds. No foreign key to the annotation: it would cost every tracked row
    a check, and a row naming an annotation deleted since is simply not found."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="+")
    annotation_id = models.BigIntegerField()
