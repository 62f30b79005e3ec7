"""Serving endpoints (issue 9, "Serving"): predict with a finished run's model, download its artifacts.

Managers of the run's project and site admins only: reviewers and annotators get 403, outsiders 404.
Both answer 409 when the run has not succeeded (``not_succeeded``) or has no artifacts
(``no_artifacts``, ``artifacts_unavailable``). See ``training.serving``.
"""
from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE
from common.api.schema import error_responses
from common.errors import TooLarge
from training import serving
from training.access import run_for_user


class _TextField(serializers.CharField):
    """A non-empty string as sent: 3 or true is not a text (CharField would make "3" of it)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RunPredictApi(APIView):
    """Class probabilities for up to 1,000 texts from the run's model (loaded once per server process
    and kept in a small cache). 413 ``too_many_texts`` beyond 1,000; a text longer than the model's
    ``max_length`` tokens is cut there, as in training."""

    class InputSerializer(serializers.Serializer):
        texts = serializers.ListField(
            child=_TextField(allow_blank=False, trim_whitespace=False),
            min_length=1,
            help_text=f"1 to {serving.MAX_TEXTS} texts.",
        )

    class OutputSerializer(serializers.Serializer):
        label = serializers.CharField(help_text="The most probable label.")
        probabilities = serializers.DictField(
            child=serializers.FloatField(), help_text="label → probability, in the model's label order; they sum to 1."
        )

    parser_classes = [JSONParser]

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer(many=True), **error_responses(403, 409, 413)})
    def post(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_MANAGE)
        texts = request.data.get("texts") if isinstance(request.data, dict) else None
        if isinstance(texts, list) and len(texts) > serving.MAX_TEXTS:  # before validating each of them
            raise TooLarge(
                _("At most %(limit)s texts per request; this one has %(count)s.")
                % {"limit": serving.MAX_TEXTS, "count": len(texts)},
                code="too_many_texts",
                fields={"texts": [_("At most %(limit)s texts.") % {"limit": serving.MAX_TEXTS}]},
            )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answers = serving.run_predict(run=run, texts=data.validated_data["texts"])
        return Response(self.OutputSerializer(answers, many=True).data)


class _AnyAccept(DefaultContentNegotiation):
    """The tar is the answer whatever Accept says (``Accept: application/x-tar`` must not be 406);
    errors still render as JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


class RunArtifactApi(APIView):
    """The run's artifacts as a tar streamed as it is written: every file of its artifacts folder
    (weights, tokenizer, config, metrics, manifest) under ``datamoat-run-<id>/``, plus ``README.md``,
    a model card naming the version and its quality figures, the metrics, the config, the labels and
    how to load the model."""

    content_negotiation_class = _AnyAccept

    @extend_schema(responses={(200, "application/x-tar"): bytes, **error_responses(403, 409)})
    def get(self, request, run_id: int):
        run = run_for_user(user=request.user, run_id=run_id, roles=CAN_MANAGE)
        tar = serving.run_artifact_tar(run=run)
        response = StreamingHttpResponse(tar.chunks(), content_type="application/x-tar")
        response["Content-Disposition"] = f'attachment; filename="{tar.filename}"'
        response["Content-Length"] = str(tar.size)
        return response
