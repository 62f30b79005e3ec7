"""The review loop's reads: what a reviewer sees of an item, and what waits in the queue."""
from __future__ import annotations

from django.db.models import Count, QuerySet

from annotation.consolidation import majority_vote
from annotation.models import Annotation, ReviewCandidate, ReviewLease
from annotation.value_consolidation import consolidate_label_sets, consolidate_spans
from annotation.votes import value_content
from projects.models import Item, Project, TaskType


def review_queue(*, project: Project, reason: str | None = None) -> QuerySet[ReviewCandidate]:
    """The open candidates of the project's included items (of one ``reason``), with their items."""
    rows = ReviewCandidate.objects.filter(
        project_id=project.id, resolved_at__isnull=True, item__excluded_reason=""
    ).select_related("item")
    return rows.filter(kind=reason) if reason else rows


def review_queue_counts(*, project: Project) -> dict[str, int]:
    """Open candidates per reason (every reason present, zeros included) and ``items``: how many
    distinct items wait."""
    open_rows = review_queue(project=project)
    counts = dict.fromkeys(ReviewCandidate.Kind.values, 0)
    counts.update(dict(open_rows.order_by().values_list("kind").annotate(n=Count("id"))))
    counts["items"] = open_rows.order_by().values("item_id").distinct().count()
    return counts


def review_view(*, lease: ReviewLease) -> dict:
    """What the review page shows of the leased item: the text, why it is here, every annotation with
    who gave it, the consolidated label of its votes (majority, as a version build with the default
    method would keep it) and a suggestion (the model's or the noise estimate's label), when one of
    its reasons carries one."""
    item: Item = lease.item
    reasons = list(
        ReviewCandidate.objects.filter(item_id=item.id, resolved_at__isnull=True)
        .order_by("-score", "id").values("kind", "detail")
    )
    annotations = [
        {"annotator": username or source, "value": value}
        for username, source, value in Annotation.objects.filter(item_id=item.id)
        .order_by("id").values_list("annotator__username", "source", "value")
    ]
    consolidated = _consolidated(item, [a["value"] for a in annotations])
    return {
        "item": {"id": item.id, "text": item.text, "meta": item.meta},
        "reasons": reasons,
        "annotations": annotations,
        "consolidated": consolidated,
        "suggestion": _suggestion(reasons),
        "lease_expires_at": lease.expires_at,
    }


def _consolidated(item: Item, values: list) -> dict | None:
    """The item's consolidated value by majority (as a version build with the default method would keep
    it): the most-voted label; the labels more than half the annotators chose; the spans more than half
    of them marked (``annotation.value_consolidation``). None without a usable vote."""
    project = item.project
    labels = list(project.labels)
    if project.task_type == TaskType.CLASSIFICATION:
        votes = [(item.id, n, v["label"]) for n, v in enumerate(values) if isinstance(v, dict) and v.get("label") in labels]
        found = majority_vote(votes, labels).get(item.id) if votes else None
        return None if found is None else {"value": {"label": found.label}, "confidence": found.confidence}
    contents = [value_content(project.task_type, v) for v in values]
    votes = [(item.id, n, c) for n, c in enumerate(contents) if c is not None]
    if project.task_type == TaskType.MULTILABEL:
        votes = [v for v in votes if set(v[2]) <= set(labels)]
        found = consolidate_label_sets(votes, labels).get(item.id) if votes else None
        return None if found is None else {"value": {"labels": found.labels}, "confidence": found.confidence}
    votes = [v for v in votes if {s[2] for s in v[2]} <= set(labels)]
    found = consolidate_spans(votes, labels).get(item.id) if votes else None
    return None if found is None else {"value": {"spans": found.spans}, "confidence": found.confidence}


def _suggestion(reasons: list[dict]) -> dict | None:
    for reason in reasons:  # best score first
        detail = reason["detail"] or {}
        if reason["kind"] == ReviewCandidate.Kind.MODEL_MISTAKE and detail.get("predicted"):
            return {"value": {"label": detail["predicted"]}, "confidence": detail.get("confidence"),
                    "source": f"run #{detail.get('run')}"}
        if reason["kind"] == ReviewCandidate.Kind.SUSPECT and detail.get("suggested"):
            confidence = detail.get("self_confidence")
            return {"value": {"label": detail["suggested"]},
                    "confidence": None if confidence is None else 1 - confidence,
                    "source": f"label-noise estimate, version {detail.get('version')}"}
    return None
