from django.db import models

from common.models import Job


class CleaningRun(Job):
    """An ordered list of steps applied to a project's items. Every change is recorded, so a run
    can be reverted exactly."""

    TASK_NAME = "cleaning.run"  # re-sent by the reaper when a queued row waits too long

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="cleaning_runs")
    steps = models.JSONField(default=list)  # [{op, ...params}] as asked
    step_counts = models.JSONField(default=list, blank=True)  # [{op, changed, excluded, ...}]
    reverted_at = models.DateTimeField(null=True, blank=True)


class CleaningChange(models.Model):
    """What one run did to one item: enough to put the item back as it was."""

    run = models.ForeignKey(CleaningRun, on_delete=models.CASCADE, related_name="changes")
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="cleaning_changes")
    step = models.CharField(max_length=64)
    old_text = models.TextField(null=True, blank=True)  # null when the text did not change
    new_text = models.TextField(null=True, blank=True)
    old_excluded_reason = models.CharField(max_length=200, blank=True, default="")
    new_excluded_reason = models.CharField(max_length=200, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)  # e.g. {"duplicate_of": id, "pii": {"email": 1}}

    class Meta:
        indexes = [models.Index(fields=["run", "id"])]


class CleaningRevert(Job):
    """Undoing a run is a job of its own: it can touch as many items as the run did. A failed
    revert can be asked for again (it writes absolute old values, so repeating it is harmless)."""

    TASK_NAME = "cleaning.revert"

    run = models.ForeignKey(CleaningRun, on_delete=models.CASCADE, related_name="reverts")
