"""Labeling reads: project progress, an item with its annotations, annotation lists."""
from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q, QuerySet

from accounts.models import User
from annotation.models import Annotation
from projects.models import Item, Project, TaskType


def project_stats(*, project: Project, annotator: User | None = None) -> dict:
    """``{items, excluded, annotated_items, completed_items, annotations, label_counts}``.

    ``items`` counts every item, ``excluded`` those cleaning excluded; ``annotated_items`` (at least one
    annotation) and ``completed_items`` (at least ``annotations_per_item``) count included items only,
    the ones the queue serves. ``annotations`` counts every annotation, ours and imported; with
    ``annotator``, ``annotations`` and ``label_counts`` count only that user's own annotations (what an
    annotator may see: API.md), while the four item figures stay project-wide progress.
    ``label_counts`` maps every project label (in project order, zeros included) to how many annotations
    chose it; labels no longer in the project follow. Two aggregate queries for classification (the
    single-label column is grouped), plus a streamed pass over values for multilabel and spans.
    """
    included = Q(excluded_reason="")
    figures = Item.objects.filter(project_id=project.id).aggregate(
        items=Count("id"),
        excluded=Count("id", filter=~included),
        annotated_items=Count("id", filter=included & Q(annotation_count__gt=0)),
        completed_items=Count("id", filter=included & Q(annotation_count__gte=project.annotations_per_item)),
    )
    annotations = Annotation.objects.filter(project_id=project.id)
    if annotator is not None:
        annotations = annotations.filter(annotator_id=annotator.id)
    by_column = dict(annotations.order_by().values_list("label").annotate(n=Count("id")))
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
    }


def annotation_list(*, project: Project, user: User | None = None) -> QuerySet[Annotation]:
    """The project's annotations with their author and item fetched (for keyset pages); only
    ``user``'s own when given."""
    annotations = Annotation.objects.filter(project_id=project.id).select_related("annotator", "item")
    if user is not None:
        annotations = annotations.filter(annotator_id=user.id)
    return annotations


def annotation_rows(annotations) -> list[dict]:
    """List rows: the annotation plus the item's text (fetched with it, no extra query)."""
    return [{**annotation_row(a), "text": a.item.text} for a in annotations]
