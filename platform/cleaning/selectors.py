"""Reads of cleaning runs, for the APIs."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from cleaning.models import CleaningRevert, CleaningRun
from cleaning.steps import describe_steps
from projects.models import Project


def _with_reverts() -> QuerySet[CleaningRun]:
    # One extra query per page fetches every run's reverts: no query per run.
    return CleaningRun.objects.prefetch_related(Prefetch("reverts", queryset=CleaningRevert.objects.order_by("id")))


def cleaning_runs_of_project(*, project: Project) -> QuerySet[CleaningRun]:
    return _with_reverts().filter(project=project)


def cleaning_runs():
    """Runs with their project and reverts fetched, for permission-checked lookups."""
    return _with_reverts().select_related("project")


def cleaning_run_get(*, run_id: int) -> CleaningRun | None:
    return cleaning_runs().filter(id=run_id).first()


def cleaning_revert_get(*, revert_id: int) -> CleaningRevert | None:
    return CleaningRevert.objects.select_related("run__project").filter(id=revert_id).first()


def latest_revert(run: CleaningRun) -> CleaningRevert | None:
    """The run's most recent revert job (from the prefetch), or None."""
    reverts = list(run.reverts.all())
    return reverts[-1] if reverts else None


def cleaning_step_catalogue() -> list[dict]:
    """Every op with its parameters (name, type, default, choices, bounds, help), for the UI."""
    return describe_steps()
