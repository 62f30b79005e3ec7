"""A run's suggestion job (training.suggestions): see it, start it again, cancel it.

The job starts by itself after a run succeeds; these endpoints show it (managers and reviewers, as the
run itself) and let a manager start a failed or cancelled one again, or start one for a run that
finished before suggestions existed.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE, CAN_REVIEW
from annotation import suggestion_selectors, suggestion_services
from common.api.schema import error_responses
from common.api.serializers import JobOutput
from common.errors import NotFound
from training import suggestions
from training.access import run_for_user


class SuggestionJobOutput(JobOutput):
    """The job object, plus what it is about."""

    class Meta:
        ref_name = "SuggestionJobOutput"

    run = serializers.IntegerField(source="run_id")
    project = serializers.IntegerField(source="project_id")
    cursor = serializers.IntegerField(help_text="The last item id predicted and stored: a restart goes on after it.")
    current = serializers.SerializerMethodField(
        help_text="Whether these are the project's current suggestions (the latest run's succeeded job): "
        "what the labeling page shows and the uncertainty queue orders by."
    )

    def get_current(self, job) -> bool:
        return bool(self.context.get("current"))


def _answer(job, *, code=status.HTTP_200_OK) -> Response:
    current = suggestion_selectors.suggestion_current_job(project_id=job.project_id)
    data = SuggestionJobOutput(job, context={"current": current is not None and current.id == job.id}).data
    return Response(data, status=code)


class RunSuggestionsApi(APIView):
    """GET: the run's suggestion job (managers, reviewers); 404 ``no_suggestions`` when it has none.
    POST (managers): start it, or start a failed or cancelled one again from its cursor; 202 with the
    job. 409 ``run_not_succeeded``, ``suggestions_busy`` (queued or running), ``suggestions_done``."""

    @extend_schema(responses={200: SuggestionJobOutput, **error_responses(403)})
    def get(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_REVIEW)
        job = suggestion_selectors.suggestion_job_for_run(run_id=run.id)
        if job is None:
            raise NotFound(_("Run %(id)s has no suggestion job.") % {"id": run.id}, code="no_suggestions")
        return _answer(job)

    @extend_schema(request=None, responses={202: SuggestionJobOutput, **error_responses(400, 409)})
    def post(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_MANAGE)
        job = suggestions.suggestions_start(run=run, created_by=request.user)
        return _answer(job, code=status.HTTP_202_ACCEPTED)


class RunSuggestionsCancelApi(APIView):
    """Cancel the run's queued or running suggestion job (managers); 409 once it finished."""

    @extend_schema(request=None, responses={202: SuggestionJobOutput, **error_responses(409)})
    def post(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_MANAGE)
        job = suggestion_selectors.suggestion_job_for_run(run_id=run.id)
        if job is None:
            raise NotFound(_("Run %(id)s has no suggestion job.") % {"id": run.id}, code="no_suggestions")
        return _answer(suggestion_services.suggestion_job_cancel(job=job), code=status.HTTP_202_ACCEPTED)
