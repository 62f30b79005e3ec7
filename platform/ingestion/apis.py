"""Import endpoints (API.md, Data): only site admins and the project's managers import."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import JobOutput, json_field
from common.errors import Invalid
from ingestion import selectors, services
from ingestion.models import ImportJob
from ingestion.readers import FORMATS
from projects.access import object_for_user, project_for_user


class ImportOptionsOutput(serializers.Serializer):
    text_field = serializers.CharField()
    label_field = serializers.CharField(allow_null=True)
    annotator_field = serializers.CharField(allow_null=True)
    label_source = serializers.CharField(required=False, help_text="Only when the import named one.")
    hidden_fields = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text="Columns kept in the items' hidden fields (managers, exports), never shown to annotators.",
    )
    label_separator = serializers.CharField(
        required=False, trim_whitespace=False, help_text="Only when the import named one (multilabel)."
    )
    tokens_joined_by = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="Only when the import named one (conll)."
    )


class RowErrorOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row's number in the file.")
    message = serializers.CharField()


class ImportOutput(JobOutput):
    """The job object of API.md plus the import's own figures."""

    project = serializers.IntegerField(source="project_id")
    file_name = serializers.CharField()
    file_size = serializers.IntegerField()
    format = serializers.CharField()
    options = json_field(ImportOptionsOutput, help_text="The options the import runs with.")
    created = serializers.IntegerField(source="created_count")
    duplicates = serializers.IntegerField(source="duplicate_count")
    annotations = serializers.IntegerField(source="annotation_count")
    skipped_rows = serializers.IntegerField()
    errors = json_field(RowErrorOutput(many=True), source="row_errors", help_text="The first 1000 bad rows.")


def _import_for_user(request, import_id) -> ImportJob:
    return object_for_user(
        user=request.user,
        queryset=ImportJob.objects.select_related("project"),
        object_id=import_id,
        noun=_("Import"),
        roles=CAN_MANAGE,
    )


class ImportListCreateApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True)
        format = serializers.CharField(required=False, allow_blank=True, help_text=f"One of {', '.join(FORMATS)}.")
        text_field = serializers.CharField(required=False, default="text", max_length=200)
        label_field = serializers.CharField(required=False, allow_blank=True, max_length=200)
        annotator_field = serializers.CharField(required=False, allow_blank=True, max_length=200)
        label_source = serializers.CharField(required=False, allow_blank=True, max_length=200)
        hidden_fields = serializers.ListField(
            child=serializers.CharField(allow_blank=True, max_length=2000),
            required=False,
            max_length=services.MAX_HIDDEN_FIELDS,
            help_text=(
                "Columns kept apart from meta: shown to managers (item detail, item list) and kept for exports, "
                "never sent to annotators (next) or reviewers' queue. Comma-separated, or the field repeated."
            ),
        )
        label_separator = serializers.CharField(
            required=False, allow_blank=True, trim_whitespace=False, max_length=10,
            help_text="Multilabel projects: splits a string label cell into labels (\"a|b\" with \"|\"). A cell "
            "holding a JSON list ([\"a\", \"b\"]) is read as a list without it.",
        )
        tokens_joined_by = serializers.ChoiceField(
            choices=[(" ", "space"), ("", "nothing")], required=False, allow_blank=True,
            help_text="Format conll: how a sentence's tokens become its text, \" \" (the default) or \"\" "
            "(one character per line, as in Chinese). Span offsets are counted in code points of that text.",
        )

    @extend_schema(
        request={"multipart/form-data": InputSerializer}, responses={202: ImportOutput, **error_responses(413, 415)}
    )
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        if "file" not in request.FILES:
            raise Invalid(
                _("Attach the file to import as the multipart field 'file'."), fields={"file": [_("Required.")]}
            )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        job = services.import_create(
            project=project,
            file=values["file"],
            file_name=values["file"].name,
            format=values.get("format") or None,
            text_field=values.get("text_field") or "text",
            label_field=values.get("label_field") or None,
            annotator_field=values.get("annotator_field") or None,
            label_source=values.get("label_source") or None,
            hidden_fields=values.get("hidden_fields") or None,
            label_separator=values.get("label_separator") or None,
            tokens_joined_by=values.get("tokens_joined_by"),
            created_by=request.user,
        )
        return Response(ImportOutput(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={200: paginated(ImportOutput), **error_responses(403)})
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        jobs = selectors.import_list(project=project)
        return keyset_page(request, jobs, lambda rows: ImportOutput(rows, many=True).data, descending=True)


class ImportDetailApi(APIView):
    @extend_schema(responses={200: ImportOutput, **error_responses(403)})
    def get(self, request, import_id: int):
        return Response(ImportOutput(_import_for_user(request, import_id)).data)


class ImportRetryApi(APIView):
    @extend_schema(request=None, responses={202: ImportOutput, **error_responses(409)})
    def post(self, request, import_id: int):
        job = services.import_retry(job=_import_for_user(request, import_id))
        return Response(ImportOutput(job).data, status=status.HTTP_202_ACCEPTED)


class ImportCancelApi(APIView):
    @extend_schema(request=None, responses={202: ImportOutput, **error_responses(409)})
    def post(self, request, import_id: int):
        job = services.import_cancel(job=_import_for_user(request, import_id))
        return Response(ImportOutput(job).data, status=status.HTTP_202_ACCEPTED)
