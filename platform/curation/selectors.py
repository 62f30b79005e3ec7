"""Reads for versions: snapshot folders, version lists, and the cleaning figures of a project."""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from cleaning.models import CleaningRun
from common.models import JobStatus
from curation.models import DatasetVersion
from projects.models import Item, Project

# How the cleaning steps word their exclusions (cleaning's exact_dedup / near_dedup): matched by prefix,
# case-insensitively, so "duplicate of #12" and "Near-duplicate of #12 (J=0.91)" both count.
EXACT_DUPLICATE_PREFIXES = ("duplicate", "exact duplicate", "exact-duplicate", "exact_dedup")
NEAR_DUPLICATE_PREFIXES = ("near-duplicate", "near duplicate", "near_duplicate", "near_dedup")
PII_OPS = ("redact_pii", "pii")


def version_snapshot_dir(version: DatasetVersion) -> Path:
    """The folder of the version's snapshot (it exists only once the build succeeded)."""
    path = Path(version.snapshot_path)
    return path if path.is_absolute() else Path(settings.SNAPSHOT_DIR) / path


def snapshot_dir_for(*, project_id: int, number: int) -> Path:
    return Path(settings.SNAPSHOT_DIR) / f"project_{project_id}" / f"v{number}"


def version_list(*, project: Project) -> QuerySet[DatasetVersion]:
    return DatasetVersion.objects.filter(project=project)


def _prefix_q(prefixes: tuple[str, ...]) -> Q:
    q = Q()
    for prefix in prefixes:
        q |= Q(excluded_reason__istartswith=prefix)
    return q


def cleaning_figures(*, project_id: int) -> dict:
    """Duplicate and near-duplicate rates over the project's items (as excluded now, so a reverted run
    no longer counts) and PII found by the non-reverted, succeeded cleaning runs. Two queries plus one
    per cleaning run's counts (a handful)."""
    counts = Item.objects.filter(project_id=project_id).aggregate(
        total=Count("id"),
        excluded=Count("id", filter=~Q(excluded_reason="")),
        exact=Count("id", filter=_prefix_q(EXACT_DUPLICATE_PREFIXES)),
        near=Count("id", filter=_prefix_q(NEAR_DUPLICATE_PREFIXES)),
    )
    total = counts["total"] or 0
    by_type: dict[str, int] = {}
    pii_items = 0
    runs = CleaningRun.objects.filter(
        project_id=project_id, status=JobStatus.SUCCEEDED, reverted_at__isnull=True
    ).values_list("step_counts", flat=True)
    for step_counts in runs:
        for entry in step_counts or []:
            if not isinstance(entry, dict) or str(entry.get("op", "")) not in PII_OPS:
                continue
            pii_items += int(entry.get("changed") or 0)
            for value in entry.values():
                if isinstance(value, dict):  # e.g. {"pii": {"email": 3, "phone": 1}}
                    for kind, n in value.items():
                        if isinstance(n, int):
                            by_type[kind] = by_type.get(kind, 0) + n
    return {
        "items_total": total,
        "excluded": counts["excluded"],
        "duplicates": counts["exact"],
        "near_duplicates": counts["near"],
        "duplicate_rate": counts["exact"] / total if total else None,
        "near_duplicate_rate": counts["near"] / total if total else None,
        "pii": {"total": sum(by_type.values()) if by_type else pii_items, "items": pii_items, "by_type": by_type},
    }
