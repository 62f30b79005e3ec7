"""Projects' reads beyond the permission-checked fetches of ``projects.access``."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Q

from projects.models import Item

EMPTY_PROGRESS = {"items": 0, "excluded": 0, "completed_items": 0}


def projects_progress(project_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """``{project_id: {items, excluded, completed_items}}`` for the project cards, one grouped query
    for any number of projects (one pass over their items). The figures mean what the stats endpoint's
    do (``annotation.selectors.project_stats``): ``items`` every item, ``excluded`` those cleaning
    excluded, ``completed_items`` included items with at least ``annotations_per_item`` annotations.
    A project without items is absent from the answer: read it with ``EMPTY_PROGRESS``."""
    ids = list(project_ids)
    if not ids:
        return {}
    included = Q(excluded_reason="")
    rows = (
        Item.objects.filter(project_id__in=ids)
        .order_by()
        .values("project_id")
        .annotate(
            items=Count("id"),
            excluded=Count("id", filter=~included),
            completed_items=Count("id", filter=included & Q(annotation_count__gte=F("project__annotations_per_item"))),
        )
    )
    return {row.pop("project_id"): row for row in rows}
