"""Data-quality endpoints of a project: inter-annotator agreement (API.md, "Labeling")."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_REVIEW
from annotation import quality_selectors
from common.api.access import project_for_user


class PairKappaOutput(serializers.Serializer):
    a = serializers.CharField()
    b = serializers.CharField()
    kappa = serializers.FloatField(allow_null=True)
    n = serializers.IntegerField()


class LabelAgreementOutput(serializers.Serializer):
    ratings = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    fleiss_kappa = serializers.FloatField(allow_null=True)
    krippendorff_alpha = serializers.FloatField(allow_null=True)  # this label against the rest


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
    annotation of the project (ours and imported) in a fixed number of queries."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProjectAgreement"  # nested "OutputSerializer"s would all be named "Output"

        items_compared = serializers.IntegerField()
        ratings = serializers.IntegerField()
        annotator_count = serializers.IntegerField()
        percent_agreement = serializers.FloatField(allow_null=True)
        fleiss_kappa = serializers.FloatField(allow_null=True)
        krippendorff_alpha = serializers.FloatField(allow_null=True)
        krippendorff_level = serializers.CharField()
        cohen_kappa = PairKappaOutput(many=True)
        per_label = serializers.DictField(child=LabelAgreementOutput())
        annotators = AnnotatorFiguresOutput(many=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        report = quality_selectors.project_agreement(project=project)
        return Response(self.OutputSerializer(report).data)
