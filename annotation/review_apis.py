"""Review-loop endpoints: the review queue (next item under a lease, what waits by reason) and flags.

Reviewers and managers work the queue; any member may flag an item while labeling. Verdicts are
posted to ``POST /items/{id}/reviews`` (``annotation.apis.ReviewCreateApi``).
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_ANNOTATE, CAN_REVIEW
from annotation import review_selectors, review_services
from annotation.apis import AnnotationValueSerializer, exclude_ids_of, meta_field
from annotation.models import ReviewCandidate
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import FREE_OBJECT, json_field
from common.errors import Invalid
from projects.access import item_for_user, project_for_user

REASONS = ReviewCandidate.Kind


def _reason_detail_field():
    return json_field({**FREE_OBJECT, "description": (
        "Why, by kind: suspect {given, suggested, self_confidence, rank, version}; model_mistake {run, predicted, "
        "given, confidence, split}; low_confidence {label, confidence, method, version}; disagreement {labels: "
        "{label: votes}}; flagged {flags: [{by, reason}], count}."
    )})


class ReasonOutput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=REASONS.choices)
    detail = _reason_detail_field()


class ReviewNextApi(APIView):
    """Claim the next item to review (a lease), or resume the one the caller holds; 204 when none waits."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewNextInput"

        reason = serializers.ChoiceField(choices=REASONS.choices, required=False, allow_null=True,
                                         help_text="Work one kind of reason only.")
        exclude = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=100)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewNextOutput"

        class ItemSerializer(serializers.Serializer):
            class Meta:
                ref_name = "ReviewItem"

            id = serializers.IntegerField()
            text = serializers.CharField()
            meta = meta_field()

        class AnnotationSerializer(serializers.Serializer):
            class Meta:
                ref_name = "ReviewAnnotation"

            annotator = serializers.CharField(help_text="A username, or an external source's name.")
            value = json_field(AnnotationValueSerializer)

        class ProposalSerializer(serializers.Serializer):
            class Meta:
                ref_name = "ReviewProposal"

            value = json_field(AnnotationValueSerializer)
            confidence = serializers.FloatField(allow_null=True)

        class SuggestionSerializer(ProposalSerializer):
            class Meta:
                ref_name = "ReviewSuggestion"

            source = serializers.CharField(help_text='e.g. "run #12" or "label-noise estimate, version 3"')

        item = ItemSerializer()
        reasons = ReasonOutput(many=True)
        annotations = AnnotationSerializer(many=True)
        consolidated = ProposalSerializer(allow_null=True, help_text="The majority of the item's votes.")
        suggestion = SuggestionSerializer(allow_null=True)
        lease_expires_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, 204: None, **error_responses(403)})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        data = self.InputSerializer(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        lease = review_services.review_claim_next(
            project=project, user=request.user, reason=data.validated_data.get("reason"),
            exclude_ids=exclude_ids_of(request),
        )
        if lease is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        # review_view is already OutputSerializer's shape (the hot path: no serializer per request; the
        # contract checker holds the two together).
        return Response(review_selectors.review_view(lease=lease))


class ReviewCandidateOutput(serializers.Serializer):
    class Meta:
        ref_name = "ReviewCandidate"

    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    text = serializers.CharField(source="item.text")
    kind = serializers.ChoiceField(choices=REASONS.choices)
    detail = _reason_detail_field()
    score = serializers.FloatField(help_text="Higher is reviewed first.")
    created_at = serializers.DateTimeField()

class ReviewQueueCountsOutput(serializers.Serializer):
    class Meta:
        ref_name = "ReviewQueueCounts"

    items = serializers.IntegerField(help_text="Distinct items waiting.")
    disagreement = serializers.IntegerField()
    low_confidence = serializers.IntegerField()
    suspect = serializers.IntegerField()
    model_mistake = serializers.IntegerField()
    flagged = serializers.IntegerField()


class ReviewQueueApi(APIView):
    """What waits for review, best first by reason, with the counts per reason."""

    class OutputSerializer(paginated(ReviewCandidateOutput)):
        class Meta:
            ref_name = "ReviewQueueOutput"

        counts = ReviewQueueCountsOutput()

    @extend_schema(
        parameters=[OpenApiParameter("reason", str, enum=REASONS.values, description="one kind of reason")],
        responses={200: OutputSerializer, **error_responses(403)},
    )
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        reason = request.query_params.get("reason") or None
        if reason is not None and reason not in REASONS.values:
            raise Invalid(_("reason must be one of %(choices)s.") % {"choices": ", ".join(REASONS.values)},
                          code="invalid_reason", fields={"reason": [_("Unknown.")]})
        response = keyset_page(
            request, review_selectors.review_queue(project=project, reason=reason),
            lambda rows: ReviewCandidateOutput(rows, many=True).data,
        )
        response.data["counts"] = ReviewQueueCountsOutput(review_selectors.review_queue_counts(project=project)).data
        return response


class FlagCreateApi(APIView):
    """Flag an item for a reviewer's look (any member, typically while labeling)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FlagCreateInput"

        reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FlagOutput"

        id = serializers.IntegerField()
        item_id = serializers.IntegerField()
        reason = serializers.CharField(allow_blank=True)
        created_at = serializers.DateTimeField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request, item_id: int):
        item = item_for_user(user=request.user, item_id=item_id, roles=CAN_ANNOTATE)
        data = self.InputSerializer(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        flag = review_services.flag_create(item=item, user=request.user, reason=data.validated_data["reason"])
        return Response(self.OutputSerializer(flag).data, status=status.HTTP_201_CREATED)
