"""Cleaning endpoints (API.md "Data"): managers and site admins only, except the step catalogue."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE
from cleaning import selectors, services
from cleaning.models import CleaningRevert, CleaningRun
from common.api.pagination import keyset_page
from common.api.serializers import JobOutput
from common.jobs import job_payload
from projects.access import object_for_user, project_for_user


class CleaningRevertOutput(JobOutput):
    run = serializers.IntegerField()


class CleaningStepCountSerializer(serializers.Serializer):
    op = serializers.CharField()
    changed = serializers.IntegerField()
    excluded = serializers.IntegerField()


class CleaningRunOutput(JobOutput):
    project = serializers.IntegerField()
    steps = CleaningStepCountSerializer(many=True, help_text="Per step: op, changed, excluded and extra counts (pii, ...).")
    spec = serializers.ListField(child=serializers.DictField(), help_text="The steps as run, defaults filled in.")
    reverted_at = serializers.DateTimeField(allow_null=True)
    revert = CleaningRevertOutput(allow_null=True)


def revert_payload(revert: CleaningRevert) -> dict:
    return {**job_payload(revert), "run": revert.run_id}


def run_payload(run: CleaningRun) -> dict:
    latest = selectors.latest_revert(run)
    return {
        **job_payload(run),
        "project": run.project_id,
        "steps": run.step_counts,  # passed through whole: extra counts (pii per type...) included
        "spec": run.steps,
        "reverted_at": run.reverted_at,
        "revert": revert_payload(latest) if latest else None,
    }


def _run_for_manager(user, run_id: int) -> CleaningRun:
    return object_for_user(
        user=user, queryset=selectors.cleaning_runs(), object_id=run_id, noun="Cleaning run", roles=CAN_MANAGE
    )


def _revert_for_manager(user, revert_id: int) -> CleaningRevert:
    return object_for_user(
        user=user,
        queryset=CleaningRevert.objects.select_related("run__project"),
        object_id=revert_id,
        noun="Cleaning revert",
        roles=CAN_MANAGE,
        project_of=lambda revert: revert.run.project,
    )


class CleaningRunListCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        steps = serializers.ListField(
            child=serializers.JSONField(), allow_empty=False, help_text='e.g. [{"op": "min_length", "min": 5}]'
        )

    @extend_schema(responses=CleaningRunOutput(many=True))
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        runs = selectors.cleaning_runs_of_project(project=project)
        return keyset_page(request, runs, lambda rows: [run_payload(run) for run in rows], descending=True)

    @extend_schema(request=InputSerializer, responses={202: CleaningRunOutput})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = services.cleaning_run_create(project=project, steps=data.validated_data["steps"], created_by=request.user)
        run = selectors.cleaning_run_get(run_id=run.id)
        return Response(run_payload(run), status=status.HTTP_202_ACCEPTED)


class CleaningRunDetailApi(APIView):
    @extend_schema(responses=CleaningRunOutput)
    def get(self, request, run_id: int):
        return Response(run_payload(_run_for_manager(request.user, run_id)))


class CleaningRunRevertApi(APIView):
    @extend_schema(request=None, responses={202: CleaningRevertOutput})
    def post(self, request, run_id: int):
        run = _run_for_manager(request.user, run_id)
        revert = services.cleaning_run_revert(run=run, created_by=request.user)
        return Response(revert_payload(revert), status=status.HTTP_202_ACCEPTED)


class CleaningRunCancelApi(APIView):
    """The way out of a run stuck queued or running: frees the project for the next run. 409 once
    the run has finished. Work already written stays recorded; revert it like a failed run."""

    @extend_schema(request=None, responses={202: CleaningRunOutput})
    def post(self, request, run_id: int):
        run = _run_for_manager(request.user, run_id)
        services.cleaning_run_cancel(run=run)
        return Response(run_payload(selectors.cleaning_run_get(run_id=run.id)), status=status.HTTP_202_ACCEPTED)


class CleaningRevertDetailApi(APIView):
    @extend_schema(responses=CleaningRevertOutput)
    def get(self, request, revert_id: int):
        return Response(revert_payload(_revert_for_manager(request.user, revert_id)))


class CleaningRevertCancelApi(APIView):
    """Stop a revert stuck queued or running; 409 once it has finished. The run stays unreverted."""

    @extend_schema(request=None, responses={202: CleaningRevertOutput})
    def post(self, request, revert_id: int):
        revert = _revert_for_manager(request.user, revert_id)
        services.cleaning_revert_cancel(revert=revert)
        return Response(revert_payload(selectors.cleaning_revert_get(revert_id=revert.id)), status=status.HTTP_202_ACCEPTED)


class CleaningStepListApi(APIView):
    """The available ops and their parameters; the same for everyone signed in."""

    class CleaningStepOutput(serializers.Serializer):
        op = serializers.CharField()
        description = serializers.CharField()
        whole_project = serializers.BooleanField()
        params = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses=CleaningStepOutput(many=True))
    def get(self, request):
        return Response({"results": selectors.cleaning_step_catalogue(), "next": None})
