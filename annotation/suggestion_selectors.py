"""Reads of model suggestions: which items a run's suggestion job predicts, a project's current set.

A project's current suggestions are those of its succeeded ``SuggestionJob`` with the highest run id
(the latest run); ``annotation.queue_sql.suggestion_join`` reads the same thing inside the claim.
"""
from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from annotation.models import Review, Suggestion, SuggestionJob
from common.models import JobStatus
from projects.models import Item, Project

# A standing verdict settles an item's label: no suggestion is needed for it (item_selectors.STANDING_VERDICTS).
SETTLED_VERDICTS = (Review.Verdict.ACCEPT, Review.Verdict.CORRECT)
UNSETTLED_VERDICTS = [v for v in Review.Verdict.values if v not in SETTLED_VERDICTS]


def suggestion_pool(*, project: Project, after_id: int = 0) -> QuerySet[Item]:
    """The items a suggestion job predicts, by id from ``after_id`` on: included (not excluded), with
    fewer annotations than the project's overlap k (for k = 1: unlabeled; each one the queue may still
    hand out) and not settled by a reviewer (no accept or correct as their latest verdict). Ordered by
    id: the job's cursor is the last id it stored."""
    latest_verdict = Subquery(
        Review.objects.filter(item_id=OuterRef("pk")).order_by("-created_at", "-id").values("verdict")[:1]
    )
    return (
        Item.objects.filter(
            project_id=project.id, excluded_reason="", annotation_count__lt=project.annotations_per_item,
            id__gt=after_id,
        )
        .alias(verdict=latest_verdict)
        # Written positively: NOT (verdict IN ...) is NULL, not true, for an item with no review.
        .filter(Q(verdict__isnull=True) | Q(verdict__in=UNSETTLED_VERDICTS))
        .order_by("id")
    )


def suggestion_current_job(*, project_id: int) -> SuggestionJob | None:
    """The job whose suggestions are the project's current set (its latest run's succeeded one)."""
    return (
        SuggestionJob.objects.filter(project_id=project_id, status=JobStatus.SUCCEEDED).order_by("-run_id").first()
    )


def suggestion_job_for_run(*, run_id: int) -> SuggestionJob | None:
    return SuggestionJob.objects.filter(run_id=run_id).first()


def suggestion_count(*, run_id: int) -> int:
    return Suggestion.objects.filter(run_id=run_id).count()

