from django.db import models

from common.models import Job


class TrainingRun(Job):
    """One training and evaluation of a model on a version (Celery queue ``training``)."""

    TASK_NAME = "training.run"  # re-sent by the reaper when a queued row waits too long

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="runs")
    version = models.ForeignKey("curation.DatasetVersion", on_delete=models.CASCADE, related_name="runs")
    model = models.CharField(max_length=200, default="transformer")  # "transformer", "minilm", "hf:<folder>"
    gpus = models.PositiveSmallIntegerField(default=1)  # DDP processes (one per device); 1: a plain run
    config = models.JSONField(default=dict)  # the engine's config dataclasses, as asked and resolved
    device = models.CharField(max_length=32, blank=True, default="")
    history = models.JSONField(default=list, blank=True)  # [{step, epoch, loss}], throttled
    metrics = models.JSONField(default=dict, blank=True)  # {"val": {...}, "test": {...}} and top-level copy
    artifacts_path = models.CharField(max_length=500, blank=True, default="")


class Prediction(models.Model):
    run = models.ForeignKey(TrainingRun, on_delete=models.CASCADE, related_name="predictions")
    item = models.ForeignKey("projects.Item", on_delete=models.CASCADE, related_name="+")
    split = models.CharField(max_length=8)
    label = models.CharField(max_length=200)
    predicted = models.CharField(max_length=200)
    confidence = models.FloatField()
    # Multi-label and span runs: the version's answer and the model's, {"labels": [...]} or {"spans": [...]}
    # (label and predicted stay ""); null for classification.
    value = models.JSONField(null=True, blank=True)
    predicted_value = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["run", "id"])]
