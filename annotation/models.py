from django.conf import settings
from django.db import models
from django.db.models import Q

from common.models import Job


class CurrentAnnotations(models.Manager):
    """The current revision of each person's annotation: what every figure, vote and queue reads."""

    def get_queryset(self):
        return super().get_queryset().filter(superseded_at__isnull=True)


class Annotation(models.Model):
    """One person's (or one named external source's) label for an item. Append-only.

    Exactly one of ``annotator`` (a user of ours) and ``source`` (a named external annotator, e.g. a
    crowd worker from an imported file, or a gold-label column) is set.

    An edit is a new row: the old one gets ``superseded_at`` and the new one points back to it with
    ``supersedes`` (``annotation.services.annotation_revise``), so each person has at most one current
    annotation per item and the history stays. ``Annotation.objects`` (the default manager) holds the
    current rows only; ``Annotation.revisions`` holds every row, for history. Django's cascades and
    related-object fetches use the plain base manager, so deleting an item or a project still deletes
    every revision.
    """

    # No index of its own: (project, id) and (project, label) below lead with it; each index costs
    # every imported annotation a write.
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="annotations", db_index=False
    )
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="annotations")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="annotations"
    )
    source = models.CharField(max_length=200, blank=True, default="")
    value = models.JSONField()  # {"label": l} | {"labels": [...]} | {"spans": [{start, end, label}]}
    label = models.CharField(max_length=200, blank=True, default="")  # single-label copy, indexed with project
    lead_time_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when an edit replaced this row; the replacement's ``supersedes`` names it.
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The revision this one replaced. A revision is only ever deleted with all of its person's revisions
    # of the item (an item's or project's cascade, a label deletion, an import undo). No database
    # constraint and DO_NOTHING: a constraint would cost every deleted annotation a look-up of rows
    # pointing at it, and any other on_delete would turn every delete of annotations into Django's
    # row-by-row cascade instead of one DELETE. No index: nothing is looked up by it.
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
        db_constraint=False,
    )

    objects = CurrentAnnotations()
    revisions = models.Manager()

    class Meta:
        # The current rows by default (reverse relations such as item.annotations too); the base manager
        # (cascades, forward foreign keys) stays a plain Manager over every row.
        default_manager_name = "objects"
        constraints = [
            # One CURRENT annotation per person (or source) and item; superseded revisions pile up beside it.
            models.UniqueConstraint(
                fields=["item", "annotator"], condition=Q(annotator__isnull=False, superseded_at__isnull=True),
                name="annotation_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["item", "source"], condition=Q(annotator__isnull=True, superseded_at__isnull=True),
                name="annotation_once_per_source",
            ),
            models.CheckConstraint(
                condition=(Q(annotator__isnull=False) & Q(source="")) | (Q(annotator__isnull=True) & ~Q(source="")),
                name="annotation_has_one_author",
            ),
        ]
        indexes = [models.Index(fields=["project", "id"]), models.Index(fields=["project", "label"])]

    @property
    def author_key(self) -> str:
        return author_key(self.annotator_id, self.source)


def author_key(annotator_id: int | None, source: str) -> str:
    """A stable key for agreement and consolidation: our users and named external annotators alike."""
    return f"user:{annotator_id}" if annotator_id else f"source:{source}"


class Lease(models.Model):
    """An annotator's time-limited claim on an item. Expired leases count for nothing."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="leases")
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="leases")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leases")
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "user"], name="lease_once_per_user")]
        indexes = [models.Index(fields=["project", "user", "expires_at"])]


class Skip(models.Model):
    """An item a person chose not to label; never offered to them again."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="skips")
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="skips")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="skips")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "user"], name="skip_once_per_user")]


class Review(models.Model):
    """A reviewer's verdict on an item, append-only; the latest one is the item's verdict.

    ``accept`` the consensus, ``correct`` it with the adjudicated value, ``exclude`` the item from future
    versions (``reason`` says why), ``send_back`` for more annotations (the consensus of all its votes,
    old and new, stands)."""

    class Verdict(models.TextChoices):
        ACCEPT = "accept"
        CORRECT = "correct"
        EXCLUDE = "exclude"
        SEND_BACK = "send_back"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="reviews")
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    verdict = models.CharField(max_length=16, choices=Verdict.choices)
    value = models.JSONField(null=True, blank=True)
    label = models.CharField(max_length=200, blank=True, default="")
    reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["item", "-created_at"]), models.Index(fields=["project", "created_at"])]


class Flag(models.Model):
    """An annotator's "someone should look at this" while labeling; it feeds the review queue."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="flags")
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)


class ReviewCandidate(models.Model):
    """Why an item waits for a reviewer: one open row per (item, kind). A review of the item closes its
    open rows (``resolved_at``); the queue hands out items by their best open ``score``."""

    class Kind(models.TextChoices):
        DISAGREEMENT = "disagreement"  # its annotators disagree
        LOW_CONFIDENCE = "low_confidence"  # consolidation confidence under the project's threshold
        SUSPECT = "suspect"  # a label-noise suspect of the latest version
        MODEL_MISTAKE = "model_mistake"  # a finished run predicted another label with high confidence
        FLAGGED = "flagged"  # an annotator flagged it

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="review_candidates", db_index=False
    )
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="review_candidates")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.JSONField(default=dict, blank=True)
    score = models.FloatField(default=0.0)  # higher is reviewed first
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "kind"], condition=Q(resolved_at__isnull=True), name="review_candidate_open_once"
            )
        ]
        indexes = [
            # The review queue walks this index: open candidates of a project, best score first.
            models.Index(
                fields=["project", "-score", "id"], name="review_queue_idx", condition=Q(resolved_at__isnull=True)
            ),
            models.Index(
                fields=["project", "kind", "-score", "id"], name="review_queue_kind_idx",
                condition=Q(resolved_at__isnull=True),
            ),
        ]


class ReviewLease(models.Model):
    """A reviewer's time-limited claim on an item of the review queue: one reviewer per item at a time."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="review_leases")
    item = models.OneToOneField("projects.Item", on_delete=models.CASCADE, related_name="review_lease")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_leases")
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["project", "user", "expires_at"])]


class SuggestionJob(Job):
    """Predicting a finished run's labels for the project's unlabeled items: the labeling page's
    suggestions, the ``uncertainty`` queue order and part of the ``model_mistake`` review reason.

    One per run. Its worker lives in training (``training.suggestions``; the task is routed to the
    training queue by its name), so this app keeps only the rows: ``run_id`` is a plain integer, as
    annotation may not depend on training. A project's current suggestions are those of its succeeded
    job with the highest ``run_id`` (the latest run): the job's move to succeeded is the one UPDATE that
    publishes a complete set, so a queue never reads a half-written one.
    """

    TASK_NAME = "training.suggestions"  # re-sent by the reaper when a queued row waits too long

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="suggestion_jobs")
    run_id = models.BigIntegerField(unique=True)
    # The last item id predicted and stored: a retry goes on from here (items are walked by id).
    cursor = models.BigIntegerField(default=0)
    # Annotations up to this id were compared with the suggestions (``model_mistake`` review reasons).
    mistakes_checked_through = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["project", "status", "run_id"], name="suggestion_job_current_idx")]


class Suggestion(models.Model):
    """A run's predicted label for an item that was unlabeled when the run's suggestion job read it."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+", db_index=False)
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="+", db_index=False)
    run_id = models.BigIntegerField()  # training.TrainingRun's id (annotation may not import training)
    label = models.CharField(max_length=200)
    confidence = models.FloatField()  # the top probability
    margin = models.FloatField()  # top-1 minus top-2 probability: small means the model hesitates
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run_id", "item"], name="suggestion_once_per_run")]
        indexes = [
            # The uncertainty queue reads a run's suggestions; old runs' rows go by project.
            models.Index(fields=["project", "run_id"], name="suggestion_project_run_idx"),
            models.Index(fields=["item"], name="suggestion_item_idx"),
        ]
