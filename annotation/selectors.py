"""Labeling reads: project progress, an item with its annotations, annotation lists."""
from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from annotation.models import Annotation, Skip
from projects.models import Item, Project, TaskType


def project_stats(*, project: Project, annotator: User | None = None, caller: User | None = None) -> dict:
    """``{items, excluded, annotated_items, completed_items, annotations, label_counts}``, and ``mine``
    with ``caller``.

    ``items`` counts every item, ``excluded`` those cleaning excluded; ``annotated_items`` (at least one
    annotation) and ``completed_items`` (at least ``annotations_per_item``) count included items only,
    the ones the queue serves. ``annotations`` counts every current annotation (an edit replaces one,
    it adds none), ours and imported; with ``annotator``, ``annotations`` and ``label_counts`` count
    only that user's own annotations (what an annotator may see: API.md), while the four item figures
    stay project-wide progress.
    ``label_counts`` maps every project label (in project order, zeros included) to how many annotations
    chose it; labels no longer in the project follow.

    ``mine`` (the caller's progress): ``annotations``, their current annotations in the project;
    ``today``, how many of those were made since local midnight (the server's time zone; an edit made
    today counts, its current revision being today's); ``remaining``, how many items the queue could
    still hand them: included, under ``annotations_per_item``, neither annotated nor skipped by them.

    Two aggregate queries for classification (the single-label column is grouped, the caller's figures
    ride along as filtered counts), plus a streamed pass over values for multilabel and spans.
    """
    included = Q(excluded_reason="")
    k = project.annotations_per_item
    aggregates = {
        "items": Count("id"),
        "excluded": Count("id", filter=~included),
        "annotated_items": Count("id", filter=included & Q(annotation_count__gt=0)),
        "completed_items": Count("id", filter=included & Q(annotation_count__gte=k)),
    }
    if caller is not None:
        # NOT IN (sub-query): each set is read once (a hashed sub-plan), not probed per item.
        theirs = Annotation.objects.filter(project_id=project.id, annotator_id=caller.id).values("item_id")
        skipped = Skip.objects.filter(project_id=project.id, user_id=caller.id).values("item_id")
        aggregates["remaining"] = Count(
            "id", filter=included & Q(annotation_count__lt=k) & ~Q(id__in=theirs) & ~Q(id__in=skipped)
        )
    figures = Item.objects.filter(project_id=project.id).aggregate(**aggregates)
    remaining = figures.pop("remaining", 0)
    annotations = Annotation.objects.filter(project_id=project.id)
    if annotator is not None:
        annotations = annotations.filter(annotator_id=annotator.id)
    grouped = annotations.order_by().values_list("label")
    if caller is not None:
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        own = Q(annotator_id=caller.id)
        grouped = grouped.annotate(
            n=Count("id"), mine=Count("id", filter=own), today=Count("id", filter=own & Q(created_at__gte=midnight))
        )
        rows = list(grouped.values_list("label", "n", "mine", "today"))
    else:
        rows = [(label, n, 0, 0) for label, n in grouped.annotate(n=Count("id")).values_list("label", "n")]
    by_column = {label: n for label, n, _, _ in rows}
    figures["annotations"] = sum(by_column.values())
    counts: Counter[str] = Counter()
    if project.task_type == TaskType.CLASSIFICATION:
        counts.update({label: n for label, n in by_column.items() if label})
    elif figures["annotations"]:
        # Labels live inside the JSON value here; counted in Python rather than with per-database JSON
        # functions (jsonb_array_elements / json_each), streamed so memory stays flat.
        for value in annotations.values_list("value", flat=True).iterator(chunk_size=2000):
            if project.task_type == TaskType.MULTILABEL:
                counts.update((value or {}).get("labels", []))
            else:
                counts.update(span.get("label") for span in (value or {}).get("spans", []))
    label_counts = {label: counts.pop(label, 0) for label in project.labels}
    label_counts.update(sorted(counts.items()))
    figures["label_counts"] = label_counts
    if caller is not None:
        figures["mine"] = {
            "annotations": sum(row[2] for row in rows),
            "today": sum(row[3] for row in rows),
            "remaining": remaining,
        }
    return figures


def annotation_row(annotation: Annotation) -> dict:
    return {
        "id": annotation.id,
        "item_id": annotation.item_id,
        "annotator": annotation.annotator.username if annotation.annotator_id else None,
        "source": annotation.source or None,
        "author_key": annotation.author_key,
        "value": annotation.value,
        "label": annotation.label or None,
        "lead_time_ms": annotation.lead_time_ms,
        "created_at": annotation.created_at,
        "supersedes": annotation.supersedes_id,
        "superseded_at": annotation.superseded_at,
    }


def annotation_list(*, project: Project, user: User | None = None) -> QuerySet[Annotation]:
    """The project's current annotations (each person's latest revision) with their author and item
    fetched (for keyset pages); only ``user``'s own when given."""
    annotations = Annotation.objects.filter(project_id=project.id).select_related("annotator", "item")
    if user is not None:
        annotations = annotations.filter(annotator_id=user.id)
    return annotations


def annotation_rows(annotations) -> list[dict]:
    """List rows: the annotation plus the item's text (fetched with it, no extra query)."""
    return [{**annotation_row(a), "text": a.item.text} for a in annotations]
