"""Labels that arrive with imported data, stored as annotations by named external sources.

A source is a gold-label column ("vader_gold"), or one crowd worker of another tool ("rater_3"); it is
an annotator like our users for agreement and consolidation (``Annotation.author_key`` is
``"source:<name>"``). Ingestion calls this; annotation never imports ingestion.
"""
from __future__ import annotations

from collections import Counter, defaultdict

from django.db.models import F

from annotation.models import Annotation
from projects.models import Item, Project

_IN_BATCH = 5000


def annotations_import(*, project: Project, rows: list[tuple[int, str, dict]]) -> int:
    """Bulk-create external annotations ``(item_id, source_name, value)`` and bump the items' counters.

    ``value`` is ``{"label": l}`` (classification) or ``{"labels": [...]}`` (multilabel), already checked
    against the project's labels by the caller; a label outside them raises ValueError. A (item, source)
    pair that already has an annotation is skipped (so re-running an import adds nothing), and within
    ``rows`` the first value for a pair wins. The items must belong to ``project``. Call inside the
    transaction of the chunk that created the items. Returns how many annotations were created.
    """
    if not rows:
        return 0
    wanted: dict[tuple[int, str], dict] = {}
    for item_id, source, value in rows:
        if not source:
            raise ValueError("An imported annotation needs a source name.")
        wanted.setdefault((item_id, source), value)

    item_ids = sorted({item_id for item_id, _ in wanted})
    sources = {source for _, source in wanted}
    existing: set[tuple[int, str]] = set()
    for start in range(0, len(item_ids), _IN_BATCH):
        existing.update(
            Annotation.objects.filter(
                item_id__in=item_ids[start : start + _IN_BATCH], annotator__isnull=True, source__in=sources
            ).values_list("item_id", "source")
        )

    labels = set(project.labels)
    created = []
    for (item_id, source), value in wanted.items():
        if (item_id, source) in existing:
            continue
        label = value.get("label")
        chosen = [label] if label is not None else list(value.get("labels") or [])
        if not chosen or any(choice not in labels for choice in chosen):
            raise ValueError(f"{value!r} is not a value of this project's labels {project.labels}.")
        created.append(
            Annotation(
                project_id=project.id,
                item_id=item_id,
                source=source,
                value=value,
                label=label if isinstance(label, str) else "",
            )
        )
    Annotation.objects.bulk_create(created, batch_size=2000)

    # One UPDATE per distinct increment (imports give 1, crowd files a handful), each under row locks.
    per_item = Counter(annotation.item_id for annotation in created)
    by_increment: dict[int, list[int]] = defaultdict(list)
    for item_id, count in per_item.items():
        by_increment[count].append(item_id)
    for count, ids in by_increment.items():
        for start in range(0, len(ids), _IN_BATCH):
            Item.objects.filter(id__in=ids[start : start + _IN_BATCH]).update(
                annotation_count=F("annotation_count") + count
            )
    return len(created)
