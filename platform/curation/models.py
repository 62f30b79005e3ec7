from django.db import models

from common.models import Job


class Consolidation(models.TextChoices):
    MAJORITY = "majority"
    DAWID_SKENE = "dawid_skene"


class DatasetVersion(Job):
    """An immutable, numbered dataset of a project. Its snapshot (Parquet + manifest.json, the
    manifest written last) is on disk under SNAPSHOT_DIR; the row carries counts and quality."""

    TASK_NAME = "curation.build_version"  # re-sent by the reaper when a queued row waits too long

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=200, blank=True, default="")
    consolidation = models.CharField(max_length=16, choices=Consolidation.choices, default=Consolidation.MAJORITY)
    split = models.JSONField(default=dict)  # {"train": 0.8, "val": 0.1, "test": 0.1}
    seed = models.IntegerField(default=0)
    snapshot_path = models.CharField(max_length=500, blank=True, default="")
    content_hash = models.CharField(max_length=64, blank=True, default="")
    counts = models.JSONField(default=dict, blank=True)  # {"train": n, "val": n, "test": n}
    quality = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="version_unique_number")]
