from django.conf import settings
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
    # The evaluation set this version's test split is (None without one):
    # {"evaluation_set": id, "revision": n, "items": count}.
    ruler = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="version_unique_number")]


class EvaluationSet(models.Model):
    """A project's fixed ruler: the test items of ``from_version``, frozen with their labels. Every
    later version keeps them as its test split (new items never enter it), labelled from here, so runs
    on different versions are measured on the same items with the same labels. A reviewer's correction
    of one of them makes a new revision (``RulerLabel``), named in the versions built after it."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="evaluation_set")
    # The version it was pinned from, for the record: the ruler lives on without it (its labels are here).
    from_version = models.ForeignKey(DatasetVersion, null=True, on_delete=models.SET_NULL, related_name="+")
    split = models.CharField(max_length=8, default="test")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class RulerLabel(models.Model):
    """An item's label in the ruler as of ``revision`` (1 = as pinned); append-only, the highest
    revision of an item is its label now."""

    evaluation_set = models.ForeignKey(EvaluationSet, on_delete=models.CASCADE, related_name="labels")
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=200)
    revision = models.PositiveIntegerField(default=1)
    review = models.ForeignKey("annotation.Review", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation_set", "item", "revision"], name="ruler_label_once_per_revision")
        ]
