"""Cleaning endpoints (API.md "Data"): managers and site admins only, except the step catalogue."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE
from cleaning import selectors, services
from cleaning.models import CleaningRevert, CleaningRun
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import JobOutput, json_field
from projects.access import object_for_user, project_for_user

_PARAM_SCHEMAS = {
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "string": {"type": "string"},
    "list": {"type": "array", "items": {"type": "string"}},
}
_MAX_ENUM = 20  # longer choice lists (phone regions) stay in the catalogue, out of the schema


def _param_schema(param: dict) -> dict:
    schema = {**_PARAM_SCHEMAS[param["type"]], "description": param["help"]}
    choices = param["choices"]
    if choices and len(choices) <= _MAX_ENUM:
        if param["type"] == "list":
            schema["items"] = {**schema["items"], "enum": choices}
        else:
            schema["enum"] = choices
    for bound in ("minimum", "maximum"):
        if param[bound] is not None:
            schema[bound] = param[bound]
    if not param["required"] and param.get("default") is None:
        schema["nullable"] = True  # null: decided per text (near_dedup's ngram)
    return schema


def _step_spec_schema(step: dict) -> dict:
    """One op's step object: ``{"op": name, **params}``, from the step catalogue."""
    return {
        "type": "object",
        "title": step["op"],
        "properties": {
            "op": {"type": "string", "enum": [step["op"]]},
            **{param["name"]: _param_schema(param) for param in step["params"]},
        },
        "required": ["op", *(param["name"] for param in step["params"] if param["required"])],
        "additionalProperties": False,
    }


# A step of a run, ``{"op": ..., **params}``: one object schema per op of the catalogue.
STEP_SPEC = {"oneOf": [_step_spec_schema(step) for step in selectors.cleaning_step_catalogue()]}


class CleaningRevertOutput(JobOutput):
    run = serializers.IntegerField(source="run_id")


class CleaningStepCountSerializer(serializers.Serializer):
    """What one step did. ``op``, ``changed`` and ``excluded`` always; the rest where the op counts them."""

    op = serializers.CharField()
    changed = serializers.IntegerField(help_text="Items whose text the step rewrote.")
    excluded = serializers.IntegerField(help_text="Items the step excluded.")
    pii = serializers.DictField(
        child=serializers.IntegerField(), required=False, help_text="redact_pii: redactions per PII type."
    )
    languages = serializers.DictField(
        child=serializers.IntegerField(), required=False, help_text="language: items per detected language."
    )
    bands = serializers.IntegerField(required=False, help_text="near_dedup: LSH bands.")
    rows = serializers.IntegerField(required=False, help_text="near_dedup: rows per LSH band.")
    candidates = serializers.IntegerField(required=False, help_text="near_dedup: candidate pairs from LSH.")
    confirmed = serializers.IntegerField(required=False, help_text="near_dedup: pairs at or over the threshold.")
    kept_with_duplicates = serializers.IntegerField(
        required=False, help_text="near_dedup: kept items that had near-duplicates excluded."
    )


class CleaningRunOutput(JobOutput):
    project = serializers.IntegerField(source="project_id")
    steps = json_field(
        CleaningStepCountSerializer(many=True),
        source="step_counts",
        help_text="Per step: op, changed, excluded and extra counts (pii, ...).",
    )
    spec = json_field(
        {"type": "array", "items": STEP_SPEC}, source="steps", help_text="The steps as run, defaults filled in."
    )
    reverted_at = serializers.DateTimeField(allow_null=True)
    revert = serializers.SerializerMethodField(help_text="The run's latest revert job, if any.")

    @extend_schema_field(CleaningRevertOutput(allow_null=True))
    def get_revert(self, run: CleaningRun) -> dict | None:
        latest = selectors.latest_revert(run)
        return CleaningRevertOutput(latest).data if latest else None


def _run_for_manager(user, run_id: int) -> CleaningRun:
    return object_for_user(
        user=user, queryset=selectors.cleaning_runs(), object_id=run_id, noun=_("Cleaning run"), roles=CAN_MANAGE
    )


def _revert_for_manager(user, revert_id: int) -> CleaningRevert:
    return object_for_user(
        user=user,
        queryset=CleaningRevert.objects.select_related("run__project"),
        object_id=revert_id,
        noun=_("Cleaning revert"),
        roles=CAN_MANAGE,
        project_of=lambda revert: revert.run.project,
    )


class CleaningRunListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        steps = serializers.ListField(
            child=json_field(STEP_SPEC), allow_empty=False, help_text='e.g. [{"op": "min_length", "min": 5}]'
        )

    @extend_schema(responses={200: paginated(CleaningRunOutput), **error_responses(403)})
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        runs = selectors.cleaning_runs_of_project(project=project)
        return keyset_page(request, runs, lambda rows: CleaningRunOutput(rows, many=True).data, descending=True)

    @extend_schema(request=InputSerializer, responses={202: CleaningRunOutput, **error_responses(409)})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.cleaning_run_create(project=project, steps=data.validated_data["steps"], created_by=request.user)
        run = selectors.cleaning_run_get(run_id=run.id)
        return Response(CleaningRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class CleaningRunDetailApi(APIView):
    @extend_schema(responses={200: CleaningRunOutput, **error_responses(403)})
    def get(self, request, run_id: int):
        return Response(CleaningRunOutput(_run_for_manager(request.user, run_id)).data)


class CleaningRunRevertApi(APIView):
    @extend_schema(request=None, responses={202: CleaningRevertOutput, **error_responses(409)})
    def post(self, request, run_id: int):
        run = _run_for_manager(request.user, run_id)
        revert = services.cleaning_run_revert(run=run, created_by=request.user)
        return Response(CleaningRevertOutput(revert).data, status=status.HTTP_202_ACCEPTED)


class CleaningRunCancelApi(APIView):
    """The way out of a run stuck queued or running: frees the project for the next run. 409 once
    the run has finished. Work already written stays recorded; revert it like a failed run."""

    @extend_schema(request=None, responses={202: CleaningRunOutput, **error_responses(409)})
    def post(self, request, run_id: int):
        run = _run_for_manager(request.user, run_id)
        services.cleaning_run_cancel(run=run)
        run = selectors.cleaning_run_get(run_id=run.id)
        return Response(CleaningRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class CleaningRevertDetailApi(APIView):
    @extend_schema(responses={200: CleaningRevertOutput, **error_responses(403)})
    def get(self, request, revert_id: int):
        return Response(CleaningRevertOutput(_revert_for_manager(request.user, revert_id)).data)


class CleaningRevertCancelApi(APIView):
    """Stop a revert stuck queued or running; 409 once it has finished. The run stays unreverted."""

    @extend_schema(request=None, responses={202: CleaningRevertOutput, **error_responses(409)})
    def post(self, request, revert_id: int):
        revert = _revert_for_manager(request.user, revert_id)
        services.cleaning_revert_cancel(revert=revert)
        revert = selectors.cleaning_revert_get(revert_id=revert.id)
        return Response(CleaningRevertOutput(revert).data, status=status.HTTP_202_ACCEPTED)


class CleaningStepListApi(APIView):
    """The available ops and their parameters; the same for everyone signed in. One page, always."""

    class CleaningStepOutput(serializers.Serializer):
        class ParamOutput(serializers.Serializer):
            class Meta:
                ref_name = "CleaningStepParam"

            name = serializers.CharField()
            type = json_field({"type": "string", "enum": list(_PARAM_SCHEMAS)}, component_name="CleaningParamTypeEnum")
            required = serializers.BooleanField()
            default = json_field(
                {"anyOf": list(_PARAM_SCHEMAS.values()), "nullable": True, "description": "null when required."},
                allow_null=True,
            )
            choices = serializers.ListField(child=serializers.CharField(), allow_null=True)
            minimum = serializers.FloatField(allow_null=True)
            maximum = serializers.FloatField(allow_null=True)
            help = serializers.CharField()

        op = serializers.CharField()
        description = serializers.CharField()
        whole_project = serializers.BooleanField()
        params = json_field(ParamOutput(many=True))

    @extend_schema(responses=paginated(CleaningStepOutput, keyset=False))
    def get(self, request):
        return Response({"results": selectors.cleaning_step_catalogue(), "next": None})
