"""Reads of cleaning runs, for the APIs."""
from __future__ import annotations

from django.db.models import Count, F, Prefetch, Q, QuerySet

from cleaning.models import CleaningChange, CleaningRevert, CleaningRun
from cleaning.steps import describe_steps
from common.models import JobStatus
from projects.models import Item, Project


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


PII_OP = "redact_pii"


def cleaning_figures(*, project_id: int) -> dict:
    """What cleaning found in the project, for a version's quality report: items excluded now, by the
    step that excluded them (``excluded_by_step``; ``duplicates`` and ``near_duplicates`` are the
    ``exact_dedup`` and ``near_dedup`` counts, with their rates), and PII found by the succeeded runs
    that were not reverted. An exclusion counts while it stands: a reverted run, or an item excluded by
    other means (a reason no step wrote), counts under no step. Three queries plus a pass over the
    runs' step counts (a handful of runs)."""
    counts = Item.objects.filter(project_id=project_id).aggregate(
        total=Count("id"), excluded=Count("id", filter=~Q(excluded_reason=""))
    )
    standing = CleaningChange.objects.filter(
        run__project_id=project_id,
        run__status=JobStatus.SUCCEEDED,
        run__reverted_at__isnull=True,
        item__excluded_reason=F("new_excluded_reason"),
    ).exclude(new_excluded_reason="")
    by_step = dict(
        standing.order_by().values("step").annotate(n=Count("item_id", distinct=True)).values_list("step", "n")
    )
    by_type: dict[str, int] = {}
    pii_items = 0
    runs = CleaningRun.objects.filter(
        project_id=project_id, status=JobStatus.SUCCEEDED, reverted_at__isnull=True
    ).values_list("step_counts", flat=True)
    for step_counts in runs:
        for entry in step_counts or []:
            if not isinstance(entry, dict) or entry.get("op") != PII_OP:
                continue
            pii_items += int(entry.get("changed") or 0)
            for kind, n in (entry.get("pii") or {}).items():
                by_type[kind] = by_type.get(kind, 0) + int(n)
    total = counts["total"] or 0
    exact, near = by_step.get("exact_dedup", 0), by_step.get("near_dedup", 0)
    return {
        "items_total": total,
        "excluded": counts["excluded"],
        "excluded_by_step": dict(sorted(by_step.items())),
        "duplicates": exact,
        "near_duplicates": near,
        "duplicate_rate": exact / total if total else None,
        "near_duplicate_rate": near / total if total else None,
        "pii": {"total": sum(by_type.values()) if by_type else pii_items, "items": pii_items, "by_type": by_type},
    }


def cleaning_steps_between(*, item_ids, since, until) -> dict[int, str]:
    """item_id → the cleaning step that last changed it between two moments (a version diff's
    causes): a run's step, or "revert" when a revert put it back."""
    wanted = list(item_ids)
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 5000):
        batch = wanted[start : start + 5000]
        for item_id, step in (
            CleaningChange.objects.filter(item_id__in=batch, run__created_at__gt=since, run__created_at__lte=until)
            .order_by("item_id", "id")
            .values_list("item_id", "step")
        ):
            found[item_id] = step
        reverted = CleaningChange.objects.filter(
            item_id__in=batch, run__reverts__status=JobStatus.SUCCEEDED,
            run__reverts__finished_at__gt=since, run__reverts__finished_at__lte=until,
        ).values_list("item_id", flat=True)
        found.update({item_id: "revert" for item_id in reverted})
    return found


def item_cleaning_history(*, item_id: int) -> list[dict]:
    """What cleaning did to one item, oldest first (the item page): per recorded change, its run, step,
    ``action`` ("excluded", with the ``reason``, or "rewritten", with the text before and after), the
    step's details as stored, when the run started, and whether the run was reverted since (its
    change then no longer stands). One query."""
    rows = (
        CleaningChange.objects.filter(item_id=item_id)
        .order_by("id")
        .values_list("run_id", "step", "old_text", "new_text", "new_excluded_reason", "details",
                     "run__started_at", "run__created_at", "run__reverted_at")
    )
    return [
        {
            "run_id": run_id,
            "step": step,
            "action": "excluded" if reason else "rewritten",
            "reason": reason,
            "detail": details or {},
            "old_text": old_text,
            "new_text": new_text,
            "at": started_at or created_at,
            "reverted": reverted_at is not None,
        }
        for run_id, step, old_text, new_text, reason, details, started_at, created_at, reverted_at in rows
    ]
