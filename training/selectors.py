"""Reads for training runs."""
from __future__ import annotations

from pathlib import Path

from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from common.errors import Conflict, Invalid
from common.models import JobStatus
from common.storage import StorageError, folder_local
from curation.models import DatasetVersion, EvaluationSet
from curation.ruler import ruler_current
from projects.models import Item, Project
from training.compare import compare
from training.models import Prediction, TrainingRun

PREDICTION_SPLITS = ("val", "test")


def run_artifacts_dir(run: TrainingRun) -> Path:
    """A local folder with a finished run's artifacts (weights, tokenizer, config, metrics, manifest):
    on the filesystem storage the stored folder itself, else this machine's copy, downloaded on first
    use and checked against the manifest's sha256 at each use. 409 ``no_artifacts`` when the run has
    none, ``artifacts_unavailable`` when the storage does not hold them (whole)."""
    if not run.artifacts_path:
        raise Conflict(
            _("Run %(id)s has no artifacts (status: %(status)s).") % {"id": run.id, "status": run.status},
            code="no_artifacts",
        )
    try:
        return folder_local(run.artifacts_path, verify=True)
    except StorageError as exc:
        raise Conflict(
            _("The artifacts of run %(id)s cannot be read: %(error)s") % {"id": run.id, "error": exc},
            code="artifacts_unavailable",
        ) from None


def run_list(*, project: Project) -> QuerySet[TrainingRun]:
    """The project's runs with their version (one query per page); lists defer the long JSON."""
    return TrainingRun.objects.filter(project=project).select_related("version").defer("history")


def prediction_list(*, run: TrainingRun, split: str | None = None, correct: bool | None = None) -> QuerySet[Prediction]:
    """The run's per-item predictions with the item's text, optionally one split, only right or wrong ones."""
    predictions = Prediction.objects.filter(run=run).select_related("item").only(
        "id", "item_id", "item__text", "split", "label", "predicted", "confidence", "value", "predicted_value"
    )
    if split:
        predictions = predictions.filter(split=split)
    # Classification compares the labels; multi-label and span runs their whole answers (a label set, the spans).
    right = Q(value__isnull=True, label=F("predicted")) | Q(value__isnull=False, value=F("predicted_value"))
    if correct is True:
        predictions = predictions.filter(right)
    elif correct is False:
        predictions = predictions.exclude(right)
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
        "duplicate_rate": pick("cleaning", "duplicate_rate"),
        "import_duplicate_rate": pick("import_duplicates", "duplicate_rate"),
        "label_distribution": pick("labels", "distribution"),
    }


COMPARE_LIST_LIMIT = 200  # fixed and broken items listed; the counts are exact


def run_compare(*, a: TrainingRun, b: TrainingRun) -> dict:
    """Two finished runs of one project scored on the same items with the same labels: the ruler items
    both were evaluated on, against the ruler's latest revision (stored predictions are re-scored, never
    retrained). Without a pinned ruler: the test items both predicted, against the label both versions
    gave them (items whose label changed between the versions are left out, so the exam stays fixed).
    See ``training.compare`` for the figures. The versions' quality figures ride along."""
    if a.project_id != b.project_id:
        raise Invalid(_("Both runs must belong to the same project."), fields={"b": [_("Other project.")]})
    for name, run in (("a", a), ("b", b)):
        if run.status != JobStatus.SUCCEEDED:
            raise Conflict(
                _("Run %(id)s (%(name)s) has not finished (status: %(status)s).")
                % {"id": run.id, "name": name, "status": run.status},
                code="not_finished",
            )
    pred_a, pred_b = _test_predictions(a), _test_predictions(b)
    evaluation_set = EvaluationSet.objects.filter(project_id=a.project_id).first()
    if evaluation_set is not None:
        truth_all, revision = ruler_current(evaluation_set)
        scored_against = {"evaluation_set": evaluation_set.id, "revision": revision}
    else:
        truth_all = {i: label for i, (label, _) in pred_a.items() if pred_b.get(i, (None,))[0] == label}
        scored_against = None
    ids = sorted(set(pred_a) & set(pred_b) & set(truth_all))
    labels = list(a.project.labels)
    result = compare(
        [truth_all[i] for i in ids], [pred_a[i][1] for i in ids], [pred_b[i][1] for i in ids], labels=labels
    )
    shown = result["fixed"][:COMPARE_LIST_LIMIT] + result["broken"][:COMPARE_LIST_LIMIT]
    texts = dict(Item.objects.filter(id__in=[ids[k] for k in shown]).values_list("id", "text"))

    def listed(positions: list[int]) -> list[dict]:
        return [
            {"item_id": ids[k], "text": texts.get(ids[k], ""), "label": truth_all[ids[k]],
             "a_predicted": pred_a[ids[k]][1], "b_predicted": pred_b[ids[k]][1]}
            for k in positions[:COMPARE_LIST_LIMIT]
        ]

    for name, run in (("a", a), ("b", b)):
        result[name].update({"run": run.id, "version": run.version_id, "version_number": run.version.number,
                             "model": run.model, "quality": version_headline(run.version.quality)})
    result.update({
        "scored_against": scored_against,
        "fixed_count": len(result["fixed"]),
        "broken_count": len(result["broken"]),
        "fixed": listed(result["fixed"]),
        "broken": listed(result["broken"]),
    })
    return result


def _test_predictions(run: TrainingRun) -> dict[int, tuple[str, str]]:
    """item_id → (label in the run's version, predicted) for the run's test items."""
    return {
        item_id: (label, predicted)
        for item_id, label, predicted in Prediction.objects.filter(run=run, split="test")
        .values_list("item_id", "label", "predicted").iterator(chunk_size=20_000)
    }


def project_loop(*, project: Project) -> list[dict]:
    """The loop in one picture: each built version in order with its main quality figures and its best
    finished run (by test accuracy: ruler accuracy when the version has a ruler)."""
    versions = list(
        DatasetVersion.objects.filter(project=project, status=JobStatus.SUCCEEDED).order_by("number")
        .only("id", "number", "name", "quality", "ruler", "counts", "created_at")
    )
    best: dict[int, dict] = {}
    for run_id, version_id, model, metrics in (
        TrainingRun.objects.filter(project=project, status=JobStatus.SUCCEEDED)
        .values_list("id", "version_id", "model", "metrics")
    ):
        test = (metrics or {}).get("test") or {}
        accuracy = test.get("accuracy")
        if accuracy is None:
            continue
        if version_id not in best or accuracy > best[version_id]["accuracy"]:
            best[version_id] = {"run": run_id, "model": model, "accuracy": accuracy, "macro_f1": test.get("macro_f1"),
                                "evaluated_on": (metrics or {}).get("evaluated_on")}
    return [
        {"version": v.id, "number": v.number, "name": v.name, "created_at": v.created_at, "ruler": v.ruler,
         "quality": version_headline(v.quality), "best_run": best.get(v.id)}
        for v in versions
    ]
