"""The item browser's reads across apps: annotation's item list and item page (``annotation.item_selectors``)
with cleaning's history of the item and the predictions of training runs.

They are put together here because only training may read all three: annotation never imports
cleaning, and nothing below training imports it (ARCHITECTURE.md, dependencies).
"""
from __future__ import annotations

from django.db.models import QuerySet, Subquery

from annotation.item_selectors import ItemFilters, item_detail, item_list
from cleaning.selectors import item_cleaning_history
from common.models import JobStatus
from projects.models import Item, Project
from training.models import Prediction, TrainingRun


def latest_run_predictions(*, project_id: int) -> QuerySet[Prediction]:
    """The predictions of the project's latest finished run (the one that succeeded last), as one
    sub-query: nothing when no run has finished."""
    latest = (
        TrainingRun.objects.filter(project_id=project_id, status=JobStatus.SUCCEEDED)
        .order_by("-finished_at", "-id").values("id")[:1]
    )
    return Prediction.objects.filter(run_id=Subquery(latest))


def item_browse(
    *, project: Project, filters: ItemFilters | None = None, confidence_below: float | None = None
) -> QuerySet[Item]:
    """``annotation.item_selectors.item_list``, and with ``confidence_below`` only the items the latest
    finished run predicted with a confidence under it (the runs predict their version's validation and
    test items: an item it did not predict is not "under"). Still one statement."""
    items = item_list(project=project, filters=filters or ItemFilters())
    if confidence_below is not None:
        below = latest_run_predictions(project_id=project.id).filter(confidence__lt=confidence_below)
        items = items.filter(id__in=below.values("item_id"))
    return items


def item_predictions(*, item_id: int) -> list[dict]:
    """What every run predicted for the item, the latest run first: ``{run_id, version, predicted,
    label, confidence, split}`` (``label``: the label the run's version gave it). One query."""
    rows = (
        Prediction.objects.filter(item_id=item_id)
        .order_by("-run_id")
        .values_list("run_id", "run__version__number", "predicted", "label", "confidence", "split")
    )
    return [
        {"run_id": run_id, "version": version, "predicted": predicted, "label": label, "confidence": confidence,
         "split": split}
        for run_id, version, predicted, label, confidence, split in rows
    ]


def item_page(*, item: Item, with_hidden: bool = False) -> dict:
    """``annotation.item_selectors.item_detail`` plus ``history`` (cleaning) and ``predictions`` (runs):
    six queries whatever the item has (``item.project`` fetched already)."""
    return {
        **item_detail(item=item, with_hidden=with_hidden),
        "history": item_cleaning_history(item_id=item.id),
        "predictions": item_predictions(item_id=item.id),
    }
