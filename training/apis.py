"""Training endpoints (API.md, "Training"): launch, list, detail, cancel, predictions.

Managers (and admins) launch and cancel; reviewers also read runs and predictions; annotators get
403, outsiders 404. A run object carries its version's number and quality headline, so a run's
metrics are always read beside the data-quality figures of what it was trained on.
"""
from __future__ import annotations

from dataclasses import fields

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE, CAN_REVIEW
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import JobOutput, VersionCountsOutput, json_field
from common.errors import Invalid
from curation.access import version_for_user
from projects.access import project_for_user
from training import selectors, services
from training.access import run_for_user
from training.engine import ModelConfig, TrainConfig
from training.models import TrainingRun

_OPTION_FIELDS = {
    bool: serializers.BooleanField,
    int: serializers.IntegerField,
    float: serializers.FloatField,
    str: serializers.CharField,
}


def _options(config_class, **kwargs) -> dict[str, serializers.Field]:
    """One serializer field per option of an engine config dataclass (its defaults give the types)."""
    return {f.name: _OPTION_FIELDS[type(f.default)](**kwargs) for f in fields(config_class)}


ModelOptionsOutput = type("ModelOptionsOutput", (serializers.Serializer,), _options(ModelConfig))
TrainOptionsOutput = type("TrainOptionsOutput", (serializers.Serializer,), _options(TrainConfig))


class RunConfigOutput(serializers.Serializer):
    """The engine's config as resolved at launch (``RunConfig.to_dict``): every option, defaults filled in."""

    model = ModelOptionsOutput()
    train = TrainOptionsOutput()


class VersionHeadlineOutput(serializers.Serializer):
    """The few quality figures shown beside a run's metrics (``selectors.version_headline``)."""

    items = serializers.IntegerField(allow_null=True)
    estimated_noise_rate = serializers.FloatField(allow_null=True)
    percent_agreement = serializers.FloatField(allow_null=True)
    krippendorff_alpha = serializers.FloatField(allow_null=True)
    fleiss_kappa = serializers.FloatField(allow_null=True)
    imbalance_ratio = serializers.FloatField(allow_null=True)
    mean_label_confidence = serializers.FloatField(allow_null=True)
    duplicate_rate = serializers.FloatField(allow_null=True, help_text="cleaning's exact duplicates / items")
    import_duplicate_rate = serializers.FloatField(allow_null=True, help_text="rows the imports found twice")
    label_distribution = serializers.DictField(child=serializers.IntegerField(), allow_null=True,
                                               help_text="label → items in the version")


class RunVersionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    counts = json_field(VersionCountsOutput)
    quality = json_field(VersionHeadlineOutput, help_text="The version's quality headline.")


class ClassMetricsOutput(serializers.Serializer):
    """null for all three when the class is absent from the split and never predicted."""

    precision = serializers.FloatField(allow_null=True)
    recall = serializers.FloatField(allow_null=True)
    f1 = serializers.FloatField(allow_null=True)
    support = serializers.IntegerField()


class EntityFiguresOutput(serializers.Serializer):
    precision = serializers.FloatField(allow_null=True)
    recall = serializers.FloatField(allow_null=True)
    f1 = serializers.FloatField(allow_null=True)


class EntityTypeOutput(EntityFiguresOutput):
    support = serializers.IntegerField()


class EntityMetricsOutput(serializers.Serializer):
    """Span runs: entity-level figures as seqeval computes them in strict IOB2 mode."""

    micro = EntityFiguresOutput()
    macro = EntityFiguresOutput()
    per_type = serializers.DictField(child=EntityTypeOutput(), help_text="entity type → figures")


class LabelMetricsOutput(EntityTypeOutput):
    threshold = serializers.FloatField(help_text="The decision threshold picked on val.")


class _TaskMetricsFields(serializers.Serializer):
    """The figures of multi-label runs (micro_f1 ... per_label) and span runs (entity, token_accuracy)."""

    entity = EntityMetricsOutput(required=False)
    token_accuracy = serializers.FloatField(allow_null=True, required=False)
    micro_f1 = serializers.FloatField(allow_null=True, required=False)
    subset_accuracy = serializers.FloatField(allow_null=True, required=False)
    hamming_loss = serializers.FloatField(allow_null=True, required=False)
    per_label = serializers.DictField(child=LabelMetricsOutput(), required=False, help_text="label → figures")


class SplitMetricsOutput(_TaskMetricsFields):
    """One split's evaluation: classification (``training.engine.metrics.ConfusionCounts.compute``), multi-label
    (``multilabel.report``) or spans (``spans.entity_report``)."""

    accuracy = serializers.FloatField(allow_null=True, required=False)
    macro_f1 = serializers.FloatField(allow_null=True, required=False)
    per_class = serializers.DictField(child=ClassMetricsOutput(), required=False, help_text="label → figures")
    confusion_matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), required=False,
        help_text="[true label][predicted label]",
    )
    labels = serializers.ListField(child=serializers.CharField(), required=False, help_text="The label order.")
    count = serializers.IntegerField(required=False, help_text="Examples evaluated.")


class EvaluatedOnOutput(serializers.Serializer):
    """The evaluation set (ruler) a version's test split is."""

    evaluation_set = serializers.IntegerField()
    revision = serializers.IntegerField()
    items = serializers.IntegerField()


class RunMetricsOutput(_TaskMetricsFields):
    """A finished run's metrics: the test split's at the top level, each split under its name, and
    facts of the run; {} until the run succeeds."""

    accuracy = serializers.FloatField(allow_null=True, required=False)
    macro_f1 = serializers.FloatField(allow_null=True, required=False)
    per_class = serializers.DictField(child=ClassMetricsOutput(), required=False)
    confusion_matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), required=False
    )
    labels = serializers.ListField(child=serializers.CharField(), required=False)
    count = serializers.IntegerField(required=False)
    val = SplitMetricsOutput(required=False)
    test = SplitMetricsOutput(required=False)
    seconds = serializers.FloatField(required=False, help_text="Training and evaluation time.")
    parameters = serializers.IntegerField(required=False, help_text="Trainable parameters.")
    vocab_size = serializers.IntegerField(required=False, help_text="The tokenizer's vocabulary size.")
    evaluated_on = EvaluatedOnOutput(
        allow_null=True, required=False, help_text="The ruler the test metrics were measured on; null without one."
    )


class HeadlineMetricsOutput(serializers.Serializer):
    accuracy = serializers.FloatField(allow_null=True)
    macro_f1 = serializers.FloatField(allow_null=True)


class MetricsSummaryOutput(HeadlineMetricsOutput):
    """Test accuracy and macro-F1 (null until the run succeeds), and val's."""

    val = HeadlineMetricsOutput(allow_null=True)


class LossPointOutput(serializers.Serializer):
    step = serializers.IntegerField()
    epoch = serializers.IntegerField()
    loss = serializers.FloatField(help_text="Mean training loss since the previous point.")
    val_accuracy = serializers.FloatField(allow_null=True, required=False, help_text="At a val evaluation.")
    val_macro_f1 = serializers.FloatField(allow_null=True, required=False, help_text="At a val evaluation.")


def _metrics_summary(metrics: dict) -> dict:
    val = metrics.get("val") or {}
    return {
        "accuracy": metrics.get("accuracy"),
        "macro_f1": metrics.get("macro_f1"),
        "val": {"accuracy": val.get("accuracy"), "macro_f1": val.get("macro_f1")} if val else None,
    }


class _RunFieldsOutput(JobOutput):
    project = serializers.IntegerField(source="project_id")
    version = serializers.SerializerMethodField(help_text="The version trained on, with its quality headline.")
    model = serializers.CharField(help_text='"transformer" (from scratch), "minilm" or "hf:<folder>" (fine-tuned).')
    gpus = serializers.IntegerField(help_text="Processes of a DistributedDataParallel run, one per device; 1: a plain run.")
    config = json_field(RunConfigOutput)
    device = serializers.CharField(help_text="Where it ran (cpu, cuda...); empty until it starts.")

    @extend_schema_field(RunVersionOutput)
    def get_version(self, run: TrainingRun) -> dict:
        version = run.version
        return {
            "id": version.id,
            "number": version.number,
            "name": version.name,
            "counts": version.counts,
            "quality": selectors.version_headline(version.quality),
        }


class RunSummaryOutput(_RunFieldsOutput):
    """A run in lists: job fields, version with its quality headline, config, headline metrics."""

    metrics = serializers.SerializerMethodField()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)

    @extend_schema_field(MetricsSummaryOutput)
    def get_metrics(self, run: TrainingRun) -> dict:
        return _metrics_summary(run.metrics)


class RunOutput(_RunFieldsOutput):
    """A run whole: adds the loss history and the full metrics (test at the top level, plus val and test)."""

    metrics = json_field(RunMetricsOutput)
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    history = json_field(LossPointOutput(many=True))
    has_artifacts = serializers.SerializerMethodField()

    def get_has_artifacts(self, run: TrainingRun) -> bool:
        return bool(run.artifacts_path)


class RunCreateApi(APIView):
    InputSerializer = type(
        "InputSerializer",
        (serializers.Serializer,),
        {
            "__qualname__": "RunCreateApi.InputSerializer",
            "__doc__": "Every engine option (d_model, n_layers, epochs, ...) is accepted; unknown ones are 400.",
            **{name: field for name, field in _options(ModelConfig, required=False).items() if name != "name"},
            "model": serializers.CharField(
                default="transformer", help_text='"transformer" (a small Transformer trained from scratch), "minilm" '
                '(all-MiniLM-L6-v2 fine-tuned) or "hf:<folder>" (a Hugging Face model folder under DATAMOAT_MODELS_DIR).'),
            **_options(TrainConfig, required=False),
        },
    )

    parser_classes = [JSONParser]  # a multipart or form body is 415, never a default run

    @extend_schema(request=InputSerializer, responses={202: RunOutput, **error_responses(409, 415)})
    def post(self, request, version_id: int):
        """Queue a run. ``model`` picks the model; every engine option (d_model, epochs, ``gpus``...) may be set."""
        version = version_for_user(user=request.user, version_id=version_id, roles=CAN_MANAGE)
        if not isinstance(request.data, dict):
            raise Invalid(_("Send the run options as a JSON object."))
        # The engine validates every option by name and range (unknown ones included): no silent drop.
        run = services.run_create(version=version, config=dict(request.data), created_by=request.user)
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RunRetryApi(APIView):
    """Queue a failed run again (managers): a run whose worker crashed was reaped as failed."""

    @extend_schema(request=None, responses={202: RunOutput, **error_responses(403, 409)})
    def post(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_MANAGE)
        return Response(RunOutput(services.run_retry(run=run)).data, status=status.HTTP_202_ACCEPTED)


class RunListApi(APIView):
    @extend_schema(responses={200: paginated(RunSummaryOutput), **error_responses(403)})
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        runs = selectors.run_list(project=project)
        return keyset_page(request, runs, lambda rows: RunSummaryOutput(rows, many=True).data, descending=True)


class RunDetailApi(APIView):
    @extend_schema(responses={200: RunOutput, **error_responses(403)})
    def get(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_REVIEW)
        return Response(RunOutput(run).data)


class RunCancelApi(APIView):
    @extend_schema(request=None, responses={202: RunOutput, **error_responses(409)})
    def post(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_MANAGE)
        run = services.run_cancel(run=run)
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RunSpanOutput(serializers.Serializer):
    start = serializers.IntegerField(help_text="Unicode code point offset of the span's first character.")
    end = serializers.IntegerField(help_text="Offset just past its last character.")
    label = serializers.CharField()


class PredictionListApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        item_id = serializers.IntegerField()
        text = serializers.CharField(source="item.text")
        label = serializers.CharField()
        predicted = serializers.CharField()
        confidence = serializers.FloatField()
        split = serializers.CharField()
        correct = serializers.SerializerMethodField()
        labels = serializers.SerializerMethodField(help_text="Multi-label runs: the version's labels; else null.")
        predicted_labels = serializers.SerializerMethodField(help_text="Multi-label runs: the model's; else null.")
        spans = serializers.SerializerMethodField(help_text="Span runs: the version's spans; else null.")
        predicted_spans = serializers.SerializerMethodField(help_text="Span runs: the model's; else null.")

        def get_correct(self, prediction) -> bool:
            if prediction.value is not None:
                return prediction.value == prediction.predicted_value
            return prediction.label == prediction.predicted

        @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
        def get_labels(self, prediction):
            return (prediction.value or {}).get("labels")

        @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
        def get_predicted_labels(self, prediction):
            return (prediction.predicted_value or {}).get("labels")

        @extend_schema_field(RunSpanOutput(many=True, allow_null=True))
        def get_spans(self, prediction):
            return (prediction.value or {}).get("spans")

        @extend_schema_field(RunSpanOutput(many=True, allow_null=True))
        def get_predicted_spans(self, prediction):
            return (prediction.predicted_value or {}).get("spans")

    @extend_schema(
        parameters=[
            OpenApiParameter("split", str, enum=list(selectors.PREDICTION_SPLITS)),
            OpenApiParameter("correct", bool, description="true: only right predictions; false: only mistakes"),
        ],
        responses={200: paginated(OutputSerializer), **error_responses(403)},
    )
    def get(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_REVIEW)
        split = request.query_params.get("split") or None
        if split is not None and split not in selectors.PREDICTION_SPLITS:
            raise Invalid(
                _("split must be one of %(choices)s.") % {"choices": ", ".join(selectors.PREDICTION_SPLITS)},
                fields={"split": [_("Unknown split.")]},
            )
        correct = _boolean(request.query_params.get("correct"), "correct")
        predictions = selectors.prediction_list(run=run, split=split, correct=correct)
        return keyset_page(request, predictions, lambda rows: self.OutputSerializer(rows, many=True).data)


def _boolean(raw: str | None, name: str) -> bool | None:
    if raw in (None, ""):
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise Invalid(_("%(name)s must be true or false.") % {"name": name}, fields={name: [_("Not a boolean.")]})


class CompareScoresOutput(serializers.Serializer):
    run = serializers.IntegerField()
    version = serializers.IntegerField()
    version_number = serializers.IntegerField()
    model = serializers.CharField()
    accuracy = serializers.FloatField(allow_null=True)
    macro_f1 = serializers.FloatField(allow_null=True)
    quality = VersionHeadlineOutput(help_text="The run's version's quality figures.")


class CompareDifferenceOutput(serializers.Serializer):
    accuracy = serializers.FloatField(allow_null=True, help_text="b - a")
    macro_f1 = serializers.FloatField(allow_null=True, help_text="b - a")
    interval_95 = serializers.ListField(child=serializers.FloatField(), allow_null=True,
                                        help_text="95% paired bootstrap interval of the accuracy difference")
    macro_f1_interval_95 = serializers.ListField(child=serializers.FloatField(), allow_null=True)


class CompareClassOutput(serializers.Serializer):
    support = serializers.IntegerField()
    a_f1 = serializers.FloatField(allow_null=True)
    b_f1 = serializers.FloatField(allow_null=True)
    delta = serializers.FloatField(allow_null=True)


class CompareItemOutput(serializers.Serializer):
    item_id = serializers.IntegerField()
    text = serializers.CharField()
    label = serializers.CharField(help_text="The ruler's label")
    a_predicted = serializers.CharField()
    b_predicted = serializers.CharField()


class ScoredAgainstOutput(serializers.Serializer):
    evaluation_set = serializers.IntegerField()
    revision = serializers.IntegerField()


class RunCompareApi(APIView):
    """Two runs of a project scored on the same ruler items with the ruler's latest labels (stored
    predictions re-scored): accuracy and macro-F1 of each, the difference with a 95% paired bootstrap
    interval, McNemar's exact p-value, per-class F1 deltas, the items each got right that the other
    got wrong, and the versions' quality figures beside them."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "RunCompareOutput"

        items = serializers.IntegerField(help_text="Items both runs were evaluated on, scored here.")
        scored_against = ScoredAgainstOutput(
            allow_null=True, help_text="The ruler and revision; null without one (then: the labels both versions share)."
        )
        a = CompareScoresOutput()
        b = CompareScoresOutput()
        difference = CompareDifferenceOutput()
        mcnemar_p = serializers.FloatField(allow_null=True)
        per_class = serializers.DictField(child=CompareClassOutput())
        fixed_count = serializers.IntegerField()
        broken_count = serializers.IntegerField()
        fixed = CompareItemOutput(many=True, help_text="b right, a wrong (at most 200)")
        broken = CompareItemOutput(many=True, help_text="a right, b wrong (at most 200)")

    @extend_schema(
        parameters=[OpenApiParameter("a", int, required=True, description="a run id (usually the older)"),
                    OpenApiParameter("b", int, required=True, description="a run id (usually the newer)")],
        responses={200: OutputSerializer, **error_responses(403, 404, 409)},
    )
    def get(self, request):
        runs = []
        for name in ("a", "b"):
            raw = request.query_params.get(name)
            try:
                run_id = int(raw)
            except (TypeError, ValueError):
                raise Invalid(
                    _("%(name)s must be a run id.") % {"name": name}, fields={name: [_("Required, an integer.")]}
                ) from None
            runs.append(run_for_user(user=request.user, run_id=run_id, roles=CAN_REVIEW))
        if any(run.project.task_type != "classification" for run in runs):
            raise Invalid(_("Comparing runs item by item covers single-label classification; compare multi-label "
                            "and span runs by their metrics."), code="unsupported_task_type")
        body = selectors.run_compare(a=runs[0], b=runs[1])
        return Response(self.OutputSerializer(body).data)


class BestRunOutput(serializers.Serializer):
    run = serializers.IntegerField()
    model = serializers.CharField()
    accuracy = serializers.FloatField()
    macro_f1 = serializers.FloatField(allow_null=True)
    evaluated_on = EvaluatedOnOutput(allow_null=True)


class LoopVersionOutput(serializers.Serializer):
    version = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    ruler = EvaluatedOnOutput(allow_null=True)
    quality = VersionHeadlineOutput()
    best_run = BestRunOutput(allow_null=True, help_text="The version's finished run with the best test accuracy.")


class ProjectLoopApi(APIView):
    """The loop in one picture: each built version in order, its quality figures and its best run."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProjectLoopOutput"

        versions = LoopVersionOutput(many=True)

    @extend_schema(responses={200: OutputSerializer, **error_responses(403)})
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        return Response(self.OutputSerializer({"versions": selectors.project_loop(project=project)}).data)
