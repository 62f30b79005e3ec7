"""GET /projects/{id}/export: every item of the project with its current annotations, streamed
(``annotation.project_export``). Managers and site admins; other members 403, outsiders 404."""
from __future__ import annotations

import re

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE
from annotation.project_export import FORMATS, MEDIA_TYPE, project_export_batches, write_project_jsonl
from common.api.schema import error_responses
from common.errors import Invalid
from projects.access import project_for_user


class _IgnoreFormatNegotiation(DefaultContentNegotiation):
    """``?format=`` is the export format here, not DRF's renderer override (which would 404 on it)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class ProjectExportApi(APIView):
    content_negotiation_class = _IgnoreFormatNegotiation

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(FORMATS), description="jsonl (default)")],
        responses={(200, MEDIA_TYPE): bytes, **error_responses(400, 403)},
        description=(
            "Every item of the project (excluded ones too) with its current annotations, one JSON object per "
            "line: {id, text, raw_text, meta, hidden, excluded_reason, annotations: [{annotator, source, value, "
            "lead_time_ms, created_at}]}. Streamed; no version needed."
        ),
    )
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        fmt = request.query_params.get("format", "jsonl")
        if fmt not in FORMATS:
            raise Invalid(_("format must be one of %(choices)s.") % {"choices": ", ".join(FORMATS)},
                          fields={"format": [_("Unknown format.")]})
        response = StreamingHttpResponse(write_project_jsonl(project_export_batches(project=project)),
                                         content_type=MEDIA_TYPE)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", project.name).strip("-") or "project"
        response["Content-Disposition"] = f'attachment; filename="{slug}-all.{fmt}"'
        return response
