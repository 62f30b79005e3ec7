"""Item browsing reads: the item list with its filters, an item with its annotations and reviews."""
from __future__ import annotations

from annotation.models import Annotation, Review
from annotation.selectors import annotation_row
from projects.models import Item, Project


def item_detail(*, item: Item, with_hidden: bool = False) -> dict:
    """The item with every annotation (annotator username or source name, lead time) and its reviews,
    oldest first. Three queries whatever the number of annotations. ``hidden`` (the import's hidden
    columns) only ``with_hidden``: the caller decides who may see them (managers)."""
    annotations = Annotation.objects.filter(item_id=item.id).select_related("annotator").order_by("id")
    reviews = Review.objects.filter(item_id=item.id).select_related("reviewer").order_by("id")
    hidden = {"hidden": item.hidden} if with_hidden else {}
    return {
        "id": item.id,
        "project_id": item.project_id,
        "text": item.text,
        "raw_text": item.raw_text,
        "meta": item.meta,
        **hidden,
        "excluded_reason": item.excluded_reason,
        "annotation_count": item.annotation_count,
        "annotations": [annotation_row(a) for a in annotations],
        "reviews": [
            {
                "id": r.id,
                "reviewer": r.reviewer.username,
                "verdict": r.verdict,
                "value": r.value,
                "label": r.label or None,
                "reason": r.reason,
                "created_at": r.created_at,
            }
            for r in reviews
        ],
    }


def item_list(*, project: Project, search: str = "", excluded: bool | None = None, label: str = ""):
    """A project's items for browsing: ``search`` (substring of the text), ``excluded`` (True: only
    excluded items, False: only included), ``label`` (items with an annotation carrying that label,
    a semi-join on the (project, label) index; no DISTINCT over JSON)."""
    items = Item.objects.filter(project=project)
    if search:
        items = items.filter(text__icontains=search)
    if excluded is True:
        items = items.exclude(excluded_reason="")
    elif excluded is False:
        items = items.filter(excluded_reason="")
    if label:
        items = items.filter(id__in=Annotation.objects.filter(project_id=project.id, label=label).values("item_id"))
    return items
