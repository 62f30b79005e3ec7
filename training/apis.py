"""Training endpoints (API.md, "Training"): launch, list, detail, cancel, predictions.

Managers (and admins) launch and cancel; reviewers also read runs and predictions; annotators get
403, outsiders 404. A run object carries its version's number and quality headline, so a run's
metrics are always read beside the data-quality figures of what it was trained on.
"""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE, CAN_REVIEW
from common.api.pagination import keyset_page
from common.api.serializers import JobOutput
from common.errors import Invalid
from common.jobs import job_payload
from curation.access import version_for_user
from projects.access import project_for_user
from training import selectors, services
from training.access import run_for_user
from training.models import TrainingRun


def _version(run: TrainingRun) -> dict:
    version = run.version
    return {
        "id": version.id,
        "number": version.number,
        "name": version.name,
        "counts": version.counts,
        "quality": selectors.version_headline(version.quality),
    }


def _metrics_summary(metrics: dict) -> dict:
    val = metrics.get("val") or {}
    return {
        "accuracy": metrics.get("accuracy"),
        "macro_f1": metrics.get("macro_f1"),
        "val": {"accuracy": val.get("accuracy"), "macro_f1": val.get("macro_f1")} if val else None,
    }


class RunSummaryOutput(JobOutput):
    """A run in lists: job fields, version with its quality headline, config, headline metrics."""

    def to_representation(self, run: TrainingRun) -> dict:
        return {
            **job_payload(run),
            "project": run.project_id,
            "version": _version(run),
            "model": run.model,
            "config": run.config,
            "device": run.device,
            "metrics": _metrics_summary(run.metrics),
            "created_by": run.created_by_id,
        }


class RunOutput(RunSummaryOutput):
    """A run whole: adds the loss history and the full metrics (test at the top level, plus val and test)."""

    def to_representation(self, run: TrainingRun) -> dict:
        return {
            **super().to_representation(run),
            "history": run.history,
            "metrics": run.metrics,
            "has_artifacts": bool(run.artifacts_path),
        }


class RunCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        """The documented options; every engine option (d_model, n_layers, ...) is accepted, unknown ones are 400."""

        model = serializers.ChoiceField(choices=["transformer"], default="transformer")
        epochs = serializers.IntegerField(required=False)
        batch_size = serializers.IntegerField(required=False)
        learning_rate = serializers.FloatField(required=False)
        max_length = serializers.IntegerField(required=False)
        seed = serializers.IntegerField(required=False)

    @extend_schema(request=InputSerializer, responses={202: RunOutput})
    def post(self, request, version_id: int):
        version = version_for_user(user=request.user, version_id=version_id, roles=CAN_MANAGE)
        if not isinstance(request.data, dict):
            raise Invalid("Send the run options as a JSON object.")
        # The engine validates every option by name and range (unknown ones included): no silent drop.
        run = services.run_create(version=version, config=dict(request.data), created_by=request.user)
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RunListApi(APIView):
    @extend_schema(responses=RunSummaryOutput(many=True))
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        runs = selectors.run_list(project=project)
        return keyset_page(request, runs, lambda rows: RunSummaryOutput(rows, many=True).data, descending=True)


class RunDetailApi(APIView):
    @extend_schema(responses=RunOutput)
    def get(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_REVIEW)
        return Response(RunOutput(run).data)


class RunCancelApi(APIView):
    @extend_schema(request=None, responses={202: RunOutput})
    def post(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_MANAGE)
        run = services.run_cancel(run=run)
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


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

        def get_correct(self, prediction) -> bool:
            return prediction.label == prediction.predicted

    @extend_schema(
        parameters=[
            OpenApiParameter("split", str, enum=list(selectors.PREDICTION_SPLITS)),
            OpenApiParameter("correct", bool, description="true: only right predictions; false: only mistakes"),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses=OutputSerializer(many=True),
    )
    def get(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_REVIEW)
        split = request.query_params.get("split") or None
        if split is not None and split not in selectors.PREDICTION_SPLITS:
            raise Invalid(
                f"split must be one of {', '.join(selectors.PREDICTION_SPLITS)}.", fields={"split": ["Unknown split."]}
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
    raise Invalid(f"{name} must be true or false.", fields={name: ["Not a boolean."]})
