"""Item browsing reads: the item list with its filters and per-row facts, an item with its annotations,
reviews and leases, and whether a project has a labeled item at all.

An item's ``status`` is one word, the first of these that holds:

- ``excluded``: cleaning or a reviewer excluded it (``excluded_reason`` is set);
- ``reviewed``: its latest review is a verdict that stands, ``accept`` or ``correct`` (a send-back asks
  for more votes, and an exclusion that stands is ``excluded``: neither counts as reviewed);
- ``done``: it has the project's ``annotations_per_item`` (k) annotations or more;
- ``in_progress``: it has some, fewer than k;
- ``unlabeled``: it has none.

The ``status`` filter selects exactly the rows whose ``status`` is that word, so a list filtered by each
of the five in turn shows every item once. Annotations are the current ones (``Annotation.objects``:
each person's latest revision).

Cleaning history and model predictions are other apps' (annotation imports neither cleaning nor
training): ``training.item_selectors`` adds them, and the confidence filter, on top of these.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from annotation.models import Annotation, Lease, Review, ReviewCandidate
from annotation.selectors import annotation_row
from projects.models import Item, Project, TaskType


class Status:
    UNLABELED = "unlabeled"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    EXCLUDED = "excluded"
    REVIEWED = "reviewed"


STATUSES = (Status.UNLABELED, Status.IN_PROGRESS, Status.DONE, Status.EXCLUDED, Status.REVIEWED)
# Verdicts that decide an item's label for good; "send_back" and "exclude" do not make it "reviewed".
STANDING_VERDICTS = (Review.Verdict.ACCEPT, Review.Verdict.CORRECT)
# ordering → (the column paged by besides the id, descending). Ties on a count page by id.
ORDERINGS: dict[str, tuple[str | None, bool]] = {
    "id": (None, False),
    "-id": (None, True),
    "annotation_count": ("annotation_count", False),
    "-annotation_count": ("annotation_count", True),
}


@dataclass(frozen=True)
class ItemFilters:
    """The item list's filters; an empty value filters nothing."""

    search: str = ""  # a substring of the text
    excluded: bool | None = None  # True: only excluded items; False: only included ones
    label: str = ""  # items with a current annotation carrying this (single) label
    status: str = ""  # one of STATUSES
    annotator: str = ""  # items with a current annotation by this username (or imported source name)
    disagreement: bool | None = None  # True: items whose current single labels differ; False: the others
    suspect: bool | None = None  # True: items with an open label-noise suspect candidate; False: the others


def item_status(*, excluded_reason: str, annotation_count: int, k: int, verdict: str | None) -> str:
    """The row's status (module docstring); ``verdict`` is its latest review's, or None."""
    if excluded_reason:
        return Status.EXCLUDED
    if verdict in STANDING_VERDICTS:
        return Status.REVIEWED
    if annotation_count >= k:
        return Status.DONE
    return Status.IN_PROGRESS if annotation_count > 0 else Status.UNLABELED


def _latest_verdict() -> Subquery:
    # One probe of the (item, -created_at) index per row; reviews are append-only, the latest decides.
    return Subquery(Review.objects.filter(item_id=OuterRef("pk")).order_by("-created_at", "-id").values("verdict")[:1])


def _with_status(items: QuerySet[Item], *, project: Project, status: str) -> QuerySet[Item]:
    if status == Status.EXCLUDED:
        return items.exclude(excluded_reason="")
    items = items.filter(excluded_reason="").alias(verdict=_latest_verdict())
    if status == Status.REVIEWED:
        return items.filter(verdict__in=STANDING_VERDICTS)
    # Not reviewed, written positively: NOT (verdict IN ...) is NULL, not true, for an item with no review.
    items = items.filter(Q(verdict__isnull=True) | Q(verdict__in=[Review.Verdict.SEND_BACK, Review.Verdict.EXCLUDE]))
    k = project.annotations_per_item
    if status == Status.DONE:
        return items.filter(annotation_count__gte=k)
    if status == Status.IN_PROGRESS:
        return items.filter(annotation_count__gt=0, annotation_count__lt=k)
    return items.filter(annotation_count=0)


def item_list(*, project: Project, filters: ItemFilters = ItemFilters()) -> QuerySet[Item]:
    """A project's items for browsing, unordered (the caller pages them: ``ORDERINGS``). Every filter is
    a semi-join or an indexed probe in the same statement: no query of its own, no DISTINCT over JSON.

    ``disagreement`` compares the current single labels (the ``label`` column), so it finds nothing in
    multi-label and span projects; it reads the votes themselves, not the review queue, so an item
    whose disagreement a reviewer settled is still found (``status`` tells the two apart)."""
    items = Item.objects.filter(project_id=project.id)
    if filters.search:
        items = items.filter(text__icontains=filters.search)
    if filters.excluded is True:
        items = items.exclude(excluded_reason="")
    elif filters.excluded is False:
        items = items.filter(excluded_reason="")
    annotations = Annotation.objects.filter(project_id=project.id)
    if filters.label:
        # A semi-join on the (project, label) index.
        items = items.filter(id__in=annotations.filter(label=filters.label).values("item_id"))
    if filters.annotator:
        by = Q(annotator__username=filters.annotator) | Q(annotator__isnull=True, source=filters.annotator)
        items = items.filter(id__in=annotations.filter(by).values("item_id"))
    if filters.disagreement is not None:
        split = (
            annotations.exclude(label="").order_by().values("item_id")
            .annotate(labels=Count("label", distinct=True)).filter(labels__gt=1).values("item_id")
        )
        items = items.filter(id__in=split) if filters.disagreement else items.exclude(id__in=split)
    if filters.suspect is not None:
        suspect = Exists(ReviewCandidate.objects.filter(
            item_id=OuterRef("pk"), kind=ReviewCandidate.Kind.SUSPECT, resolved_at__isnull=True
        ))
        items = items.filter(suspect if filters.suspect else ~suspect)
    if filters.status:
        items = _with_status(items, project=project, status=filters.status)
    return items


def items_by_id(*, project: Project, ids: Iterable[int]) -> QuerySet[Item]:
    """The project's items among ``ids`` (ids of other projects' items, or of none, match nothing)."""
    return Item.objects.filter(project_id=project.id, id__in=list(ids))


# ------------------------------------------------------------------------------------------ rows


def latest_verdicts(item_ids: list[int]) -> dict[int, str]:
    """item_id → its latest review's verdict, for the items that have one. One query."""
    latest: dict[int, str] = {}
    rows = Review.objects.filter(item_id__in=item_ids).order_by("item_id", "created_at", "id")
    for item_id, verdict in rows.values_list("item_id", "verdict"):
        latest[item_id] = verdict
    return latest


def _labels_of(project: Project, item_ids: list[int]) -> dict[int, list[str]]:
    """item_id → the distinct labels of its current annotations: the project's labels in project
    order, then any it no longer has, sorted. Classification reads the label column (DISTINCT over
    two plain columns); multi-label and span projects read the values (every label a vote chose, every
    span's label). One query."""
    found: dict[int, set[str]] = {}
    rows = Annotation.objects.filter(item_id__in=item_ids).order_by()
    if project.task_type == TaskType.CLASSIFICATION:
        for item_id, label in rows.exclude(label="").values_list("item_id", "label").distinct():
            found.setdefault(item_id, set()).add(label)
    else:
        key = "labels" if project.task_type == TaskType.MULTILABEL else "spans"
        for item_id, value in rows.values_list("item_id", "value"):
            chosen = (value or {}).get(key) or []
            labels = chosen if key == "labels" else [span.get("label") for span in chosen if isinstance(span, dict)]
            found.setdefault(item_id, set()).update(str(label) for label in labels if label)
    order = {label: index for index, label in enumerate(project.labels)}
    return {
        item_id: sorted(labels, key=lambda label: (label not in order, order.get(label, 0), label))
        for item_id, labels in found.items()
    }


def item_rows(*, project: Project, items: list[Item], with_hidden: bool = False) -> list[dict]:
    """A page of the list as rows: the item's fields, its ``status``, ``labels`` (``_labels_of``) and
    ``reviewed`` (its latest verdict, or None). Two queries whatever the page size. ``hidden`` only
    ``with_hidden`` (managers: the caller decides)."""
    ids = [item.id for item in items]
    verdicts = latest_verdicts(ids) if ids else {}
    labels = _labels_of(project, ids) if ids else {}
    k = project.annotations_per_item
    return [
        {**_item_fields(item, with_hidden=with_hidden, k=k, verdict=verdicts.get(item.id)),
         "labels": labels.get(item.id, [])}
        for item in items
    ]


def _item_fields(item: Item, *, with_hidden: bool, k: int, verdict: str | None) -> dict:
    """What a list row and an item's page both show of the item itself."""
    return {
        "id": item.id,
        "text": item.text,
        "raw_text": item.raw_text,
        "meta": item.meta,
        **({"hidden": item.hidden} if with_hidden else {}),
        "excluded_reason": item.excluded_reason,
        "annotation_count": item.annotation_count,
        "status": item_status(excluded_reason=item.excluded_reason, annotation_count=item.annotation_count,
                              k=k, verdict=verdict),
        "reviewed": verdict,
    }


# ---------------------------------------------------------------------------------------- detail


def is_assignment(lease: Lease) -> bool:
    """A lease a manager's assignment made: longer than the queue's, whose leases last exactly
    ``LEASE_SECONDS`` (``annotation.item_services`` assigns for ``DATAMOAT_ASSIGNMENT_HOURS``)."""
    return (lease.expires_at - lease.created_at).total_seconds() > settings.LEASE_SECONDS


def item_detail(*, item: Item, with_hidden: bool = False) -> dict:
    """The item with every current annotation (annotator username or source name, lead time), its
    reviews oldest first, its ``status`` and ``reviewed`` verdict, and its live leases: who holds it
    now, ``assigned_to`` naming those whose lease is an assignment. Four queries whatever the number of
    annotations (``item.project`` fetched already). ``hidden`` (the import's hidden columns) only
    ``with_hidden``: the caller decides who may see them (managers)."""
    annotations = Annotation.objects.filter(item_id=item.id).select_related("annotator").order_by("id")
    reviews = list(Review.objects.filter(item_id=item.id).select_related("reviewer").order_by("id"))
    leases = list(
        Lease.objects.filter(item_id=item.id, expires_at__gt=timezone.now()).select_related("user").order_by("id")
    )
    latest = max(reviews, key=lambda r: (r.created_at, r.id)) if reviews else None
    verdict = latest.verdict if latest else None
    return {
        **_item_fields(item, with_hidden=with_hidden, k=item.project.annotations_per_item, verdict=verdict),
        "project_id": item.project_id,
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
        "leases": [
            {"user": lease.user.username, "created_at": lease.created_at, "expires_at": lease.expires_at,
             "assigned": is_assignment(lease)}
            for lease in leases
        ],
        "assigned_to": [lease.user.username for lease in leases if is_assignment(lease)],
    }


# -------------------------------------------------------------------------------------- versions


def labeled_item_exists(*, project: Project) -> bool:
    """Whether a version build of the project would find any label: an included item with a current
    annotation choosing one of the project's labels, or a reviewer's correction to one. At most two
    indexed EXISTS probes."""
    labels = [str(label) for label in project.labels]
    votes = Annotation.objects.filter(project_id=project.id, label__in=labels, item__excluded_reason="")
    if votes.exists():
        return True
    corrections = Review.objects.filter(
        project_id=project.id, verdict=Review.Verdict.CORRECT, label__in=labels, item__excluded_reason=""
    )
    return corrections.exists()
