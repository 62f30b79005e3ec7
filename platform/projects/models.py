from __future__ import annotations

from django.conf import settings
from django.db import models

from accounts.roles import Role
from common.models import TimeStamped


class TaskType(models.TextChoices):
    CLASSIFICATION = "classification"
    MULTILABEL = "multilabel"
    SPANS = "spans"


class Project(TimeStamped):
    name = models.CharField(max_length=200)
    task_type = models.CharField(max_length=20, choices=TaskType.choices, default=TaskType.CLASSIFICATION)
    labels = models.JSONField(default=list)  # ordered label names; the order is the key order in the UI
    guidelines = models.TextField(blank=True, default="")
    annotations_per_item = models.PositiveSmallIntegerField(default=1)  # overlap k

    class QueueOrder(models.TextChoices):  # annotation.strategies.strategy_for names the policies
        SEQUENTIAL = "sequential"
        RANDOM = "random"
        UNCERTAINTY = "uncertainty"  # least margin of the latest run's suggestions first

    queue_order = models.CharField(max_length=20, choices=QueueOrder.choices, default=QueueOrder.SEQUENTIAL)
    # Items whose consolidated label has a confidence under this go to the review queue (low_confidence).
    review_threshold = models.FloatField(default=0.6)
    # Span projects: whether one item's spans may overlap (nested entities). Off: annotation values
    # with overlapping spans are refused (annotation.values.value_clean).
    span_overlap = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class Membership(TimeStamped):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="membership_unique_user")]


class Item(models.Model):
    """One unit of data. ``raw_text`` is what was imported and never changes; cleaning rewrites
    ``text`` or sets ``excluded_reason``. Items are never deleted by cleaning."""

    # No index of its own: the unique (project, content_hash) index and the queue index both lead with
    # project, and every project lookup uses them; one index less to maintain per imported row.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items", db_index=False)
    text = models.TextField()
    raw_text = models.TextField()
    meta = models.JSONField(default=dict, blank=True)  # the import's other columns, shown to annotators
    # Columns an import named in ``hidden_fields`` (ids, gold labels): kept for managers and exports,
    # never sent to annotators or reviewers' queue (``next`` and review-next send ``meta`` only).
    # The database default too: bulk paths that COPY items (benchmarks) may leave the column out.
    hidden = models.JSONField(default=dict, blank=True, db_default=models.Value({}, models.JSONField()))
    content_hash = models.CharField(max_length=64)  # sha256 of raw_text, unique per project
    excluded_reason = models.CharField(max_length=200, blank=True, default="")
    # Denormalised counter, moved only under the item's row lock (annotation services).
    annotation_count = models.PositiveIntegerField(default=0)
    # Provenance only: the id of the ImportJob that created the item (ingestion undoes a failed import
    # by it). A plain id, not a foreign key: projects does not depend on ingestion, and a constraint
    # check cost 0.4 s per 100k imported rows (measured).
    import_job_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "content_hash"], name="item_unique_content_per_project")
        ]
        indexes = [
            # The annotator queue walks this index: fewest annotations first, then oldest.
            models.Index(
                fields=["project", "annotation_count", "id"],
                name="item_queue_idx",
                condition=models.Q(excluded_reason=""),
            ),
        ]
