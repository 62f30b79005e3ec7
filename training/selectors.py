"""Reads for training runs."""
from __future__ import annotations

from django.db.models import F, QuerySet

from projects.models import Project
from training.models import Prediction, TrainingRun

PREDICTION_SPLITS = ("val", "test")


def run_list(*, project: Project) -> QuerySet[TrainingRun]:
    """The project's runs with their version (one query per page); lists defer the long JSON."""
    return TrainingRun.objects.filter(project=project).select_related("version").defer("history")


def prediction_list(*, run: TrainingRun, split: str | None = None, correct: bool | None = None) -> QuerySet[Prediction]:
    """The run's per-item predictions with the item's text, optionally one split, only right or wrong ones."""
    predictions = Prediction.objects.filter(run=run).select_related("item").only(
        "id", "item_id", "item__text", "split", "label", "predicted", "confidence"
    )
    if split:
        predictions = predictions.filter(split=split)
    if correct is True:
        predictions = predictions.filter(label=F("predicted"))
    elif correct is False:
        predictions = predictions.exclude(label=F("predicted"))
    return predictions


def version_headline(quality: dict | None) -> dict:
    """The few quality figures shown beside a run's metrics (None where the report has no value)."""
    quality = quality or {}

    def pick(section: str, key: str):
        value = quality.get(section)
        return value.get(key) if isinstance(value, dict) else None

    return {
        "items": pick("items", "total"),
        "estimated_noise_rate": pick("label_noise", "estimated_rate"),
        "percent_agreement": pick("agreement", "percent_agreement"),
        "krippendorff_alpha": pick("agreement", "krippendorff_alpha"),
        "fleiss_kappa": pick("agreement", "fleiss_kappa"),
        "imbalance_ratio": pick("labels", "imbalance_ratio"),
        "mean_label_confidence": pick("consolidation", "mean"),
    }
