"""Data-quality endpoints of a project: inter-annotator agreement (API.md, "Labeling")."""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_REVIEW
from annotation import quality_selectors
from annotation.agreement import LEVELS, NonNumericLabels
from common.api.schema import error_responses
from common.errors import Invalid
from projects.access import project_for_user
from projects.models import TaskType

WEIGHTS = {"none": None, "linear": "linear", "quadratic": "quadratic"}


def _choice(request, name: str, choices, default: str) -> str:
    """The query parameter ``name`` (``default`` when absent or empty), or a 400 naming it."""
    value = request.query_params.get(name) or default
    if value not in choices:
        message = _("%(name)s must be one of %(choices)s.") % {"name": name, "choices": ", ".join(choices)}
        raise Invalid(message, code=f"invalid_{name}", fields={name: [message]})
    return value


class PairKappaOutput(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    kappa = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()


class LabelAgreementOutput(serializers.Serializer):
    ratings = serializers.IntegerField(help_text="Votes for the label; multilabel: annotations choosing it; spans: its spans.")
    share = serializers.FloatField(allow_null=True)
    fleiss_kappa = serializers.FloatField(allow_null=True)
    # This label against the rest; multilabel: chose it or not; spans: token inside a span of it or not.
    krippendorff_alpha = serializers.FloatField(allow_null=True)
    exact_f1 = serializers.FloatField(allow_null=True, help_text="Spans: span F1 between annotators, exact match.")
    overlap_f1 = serializers.FloatField(allow_null=True, help_text="Spans: span F1, overlapping spans match.")
    cohen_kappa = PairKappaOutput(many=True, help_text="Multilabel: Cohen's kappa per pair on the binary decision.")
    mean_cohen_kappa = serializers.FloatField(allow_null=True, help_text="Multilabel: mean of the defined pairwise kappas.")


class SpanPairOutput(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    n = serializers.IntegerField(help_text="Items both annotated.")
    exact_f1 = serializers.FloatField(allow_null=True)
    overlap_f1 = serializers.FloatField(allow_null=True)
    spans = serializers.IntegerField(help_text="|A| + |B| over the shared items.")


class SpanAgreementOutput(serializers.Serializer):
    exact_f1 = serializers.FloatField(allow_null=True)
    overlap_f1 = serializers.FloatField(allow_null=True)
    spans = serializers.IntegerField()
    tokens_compared = serializers.IntegerField()
    pairs = SpanPairOutput(many=True)


class AnnotatorFiguresOutput(serializers.Serializer):
    annotator = serializers.CharField()  # username, or the external source's name
    key = serializers.CharField()  # "user:<id>" or "source:<name>"
    items = serializers.IntegerField()
    median_lead_time_ms = serializers.FloatField(allow_null=True)
    agreement_with_consensus = serializers.FloatField(allow_null=True)
    agreement_with_others = serializers.FloatField(allow_null=True)
    items_compared = serializers.IntegerField()


class ProjectAgreementApi(APIView):
    """Agreement figures for managers, reviewers and admins; null wherever a figure is undefined (no
    item with two votes, no variation, a pair sharing no item). Computed on request from every
    annotation of the project (ours and imported) in a fixed number of queries.

    ``?level=nominal|ordinal|interval|ratio`` (default nominal) is the level of measurement of
    ``krippendorff_alpha``: ordinal and interval take the project's label order as the scale (positions
    0..L-1, labels no longer in the project after them); ratio reads the labels as numbers and answers
    400 when one is not. ``?weights=none|linear|quadratic`` (default none) weighs the pairwise
    ``cohen_kappa`` by the distance between label positions. Both are echoed (``krippendorff_level``,
    ``cohen_kappa_weights``); an unknown value is a 400 naming the parameter. Fleiss' kappa, percent
    agreement and ``per_label`` are nominal whatever the parameters.

    ``task_type`` says which figures these are. Multilabel: the top-level figures treat each distinct
    label set as one category, ``masi_alpha`` is Krippendorff's alpha over label sets with the MASI
    distance, and ``per_label`` is on the binary decisions (with the pairwise ``cohen_kappa`` per label).
    Spans: the top-level figures are over token-level BIO tags, ``spans`` gives the span-level F1
    (exact and overlap match) pooled and per pair, ``per_label`` its F1 per label. For both, alpha is
    nominal and kappa unweighted whatever was asked (echoed so)."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProjectAgreement"  # nested "OutputSerializer"s would all be named "Output"

        items_compared = serializers.IntegerField()
        ratings = serializers.IntegerField()
        annotator_count = serializers.IntegerField()
        percent_agreement = serializers.FloatField(allow_null=True)
        fleiss_kappa = serializers.FloatField(allow_null=True)
        krippendorff_alpha = serializers.FloatField(allow_null=True)
        krippendorff_level = serializers.ChoiceField(choices=LEVELS)
        cohen_kappa = PairKappaOutput(many=True)
        cohen_kappa_weights = serializers.ChoiceField(choices=list(WEIGHTS))
        per_label = serializers.DictField(child=LabelAgreementOutput())
        task_type = serializers.ChoiceField(choices=TaskType.choices)
        masi_alpha = serializers.FloatField(allow_null=True, help_text="Multilabel: alpha with the MASI distance.")
        spans = SpanAgreementOutput(allow_null=True, help_text="Spans: span-level F1 between annotators.")
        annotators = AnnotatorFiguresOutput(many=True)

    @extend_schema(
        parameters=[
            OpenApiParameter("level", str, enum=list(LEVELS), description="Krippendorff's alpha level (default nominal)"),
            OpenApiParameter("weights", str, enum=list(WEIGHTS), description="Cohen kappa weights (default none)"),
        ],
        responses={200: OutputSerializer, **error_responses(403)},
    )
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        level = _choice(request, "level", LEVELS, "nominal")
        weights = WEIGHTS[_choice(request, "weights", list(WEIGHTS), "none")]
        try:
            report = quality_selectors.project_agreement(project=project, level=level, weights=weights)
        except NonNumericLabels as exc:
            message = _("level=ratio needs numeric labels (a true zero); these are not numbers: %(labels)s.") % {
                "labels": ", ".join(exc.labels[:5])
            }
            raise Invalid(message, code="non_numeric_labels", fields={"level": [message]}) from None
        return Response(self.OutputSerializer(report).data)
