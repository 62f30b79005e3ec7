"""Labeling endpoints (API.md, "Labeling"): the queue, annotations, skips, reviews, item detail, stats.

Annotators see the queue, their own annotations and the guidelines; reviewers and managers also see
every item's annotations and review them. The hot path (next, annotate) costs one access query (the
project, or the item with its project, joined with the caller's role) plus the service's own
statements, and answers plain dicts shaped as its OutputSerializers (which stay for the schema; a
test checks the two agree).
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_ANNOTATE, CAN_REVIEW, Role
from annotation import review_services, selectors, services
from annotation.models import Annotation, Review
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import FREE_OBJECT, json_field
from common.errors import Forbidden, Invalid
from common.rows import valid_pk
from projects.access import item_for_user, object_for_user, project_for_user

MAX_EXCLUDE = 100


class SpanOutput(serializers.Serializer):
    start = serializers.IntegerField(help_text="Character offset in the item's text.")
    end = serializers.IntegerField(help_text="Character offset, exclusive.")
    label = serializers.CharField()


class AnnotationValueSerializer(serializers.Serializer):
    """An annotation's value, one key by the project's task type: classification ``{"label": l}``,
    multilabel ``{"labels": [l, ...]}``, spans ``{"spans": [{start, end, label}]}``."""

    class Meta:
        ref_name = "AnnotationValue"

    label = serializers.CharField(required=False)
    labels = serializers.ListField(child=serializers.CharField(), required=False)
    spans = SpanOutput(many=True, required=False)


def meta_field() -> serializers.JSONField:
    return json_field({**FREE_OBJECT, "description": "The item's metadata: the import's other columns."})


def exclude_ids_of(request) -> list[int]:
    """``exclude`` from the JSON body (a list) or the query string (comma-separated ids)."""
    raw = request.data.get("exclude") if hasattr(request.data, "get") else None
    if raw is None:
        query = request.query_params.get("exclude", "")
        raw = [part for part in query.split(",") if part.strip()]
    if not isinstance(raw, list) or len(raw) > MAX_EXCLUDE:
        raise Invalid(
            _("exclude must be a list of at most %(max)s item ids.") % {"max": MAX_EXCLUDE},
            fields={"exclude": [_("Invalid.")]},
        )
    try:
        ids = [int(i) for i in raw]
    except (TypeError, ValueError, OverflowError):
        raise Invalid(
            _("exclude must hold item ids (integers)."), fields={"exclude": [_("Not an integer.")]}
        ) from None
    return [i for i in ids if valid_pk(i) is not None]  # an id no item can have excludes nothing


class QueueSuggestionOutput(serializers.Serializer):
    """The model's suggestion for a queue item: the latest finished run's prediction, made by the run's
    suggestion job while the item was unlabeled."""

    class Meta:
        ref_name = "QueueSuggestion"

    value = json_field(AnnotationValueSerializer, help_text='The suggested annotation value, e.g. {"label": l}: '
                       "what POST /items/{id}/annotations takes.")
    confidence = serializers.FloatField(help_text="The model's probability of the suggested label (0 to 1).")
    run = serializers.IntegerField(help_text="The training run that predicted it.")


def queue_suggestion(item) -> dict | None:
    """The suggestion the claim's query fetched with the item (``services.item_claim_next``), or None."""
    label = getattr(item, "suggestion_label", None)
    if not label:
        return None
    return {"value": {"label": label}, "confidence": item.suggestion_confidence, "run": item.suggestion_run}


class ItemNextApi(APIView):
    """Claim the next item for the caller (a lease), or resume the one they hold. ``suggestion`` is the
    project's latest finished run's prediction for the item, or null (no run has predicted it)."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ItemNextInput"

        exclude = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=MAX_EXCLUDE)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ItemNextOutput"

        class ItemSerializer(serializers.Serializer):
            class Meta:
                ref_name = "QueueItem"

            id = serializers.IntegerField()
            text = serializers.CharField()
            meta = meta_field()

        item = ItemSerializer()
        lease_expires_at = serializers.DateTimeField()
        suggestion = QueueSuggestionOutput(allow_null=True)

    @extend_schema(
        request=InputSerializer,
        parameters=[OpenApiParameter("exclude", str, description="comma-separated item ids not to hand out")],
        responses={200: OutputSerializer, 204: None},
    )
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_ANNOTATE)
        lease = services.item_claim_next(project=project, user=request.user, exclude_ids=exclude_ids_of(request))
        if lease is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        item = lease.item
        # A plain dict, rendered as OutputSerializer would (the hot path: no serializer per request).
        return Response({
            "item": {"id": item.id, "text": item.text, "meta": item.meta},
            "lease_expires_at": lease.expires_at,
            "suggestion": queue_suggestion(item),
        })


class AnnotationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    annotator = serializers.CharField(allow_null=True)
    source = serializers.CharField(allow_null=True)
    author_key = serializers.CharField(help_text='"user:<id>" or "source:<name>"')
    value = json_field(AnnotationValueSerializer)
    label = serializers.CharField(allow_null=True)
    lead_time_ms = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    supersedes = serializers.IntegerField(allow_null=True, help_text="The revision this edit replaced; null for a first annotation.")
    superseded_at = serializers.DateTimeField(
        allow_null=True, help_text="When an edit replaced this revision; null while it is the current one."
    )


class AnnotationCreateApi(APIView):
    """Annotate an item the caller holds a live lease on."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AnnotationCreateInput"

        value = json_field(AnnotationValueSerializer)
        lead_time_ms = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1)

    @extend_schema(request=InputSerializer, responses={201: AnnotationOutput, **error_responses(409)})
    def post(self, request, item_id: int):
        item = item_for_user(user=request.user, item_id=item_id, roles=CAN_ANNOTATE)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        annotation = services.annotation_create(item=item, user=request.user, **data.validated_data)
        # annotation_row is already AnnotationOutput's shape (the hot path: no serializer per request).
        return Response(selectors.annotation_row(annotation), status=status.HTTP_201_CREATED)


class ItemSkipApi(APIView):
    """Skip an item: it is never offered to the caller again."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request, item_id: int):
        item = item_for_user(user=request.user, item_id=item_id, roles=CAN_ANNOTATE)
        services.item_skip(item=item, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reviewer = serializers.CharField()
    verdict = serializers.ChoiceField(choices=Review.Verdict.choices)
    value = json_field(AnnotationValueSerializer, allow_null=True, help_text="The correction; null otherwise.")
    label = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_blank=True, help_text="Why the item was excluded (exclude).")
    created_at = serializers.DateTimeField()


class ReviewCreateApi(APIView):
    """Adjudicate an item (reviewers and managers): accept its consensus, correct it, exclude it from
    future versions, or send it back for more annotations. The latest verdict is the item's."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewCreateInput"

        verdict = serializers.ChoiceField(choices=Review.Verdict.choices)
        value = json_field(AnnotationValueSerializer, required=False, allow_null=True, default=None)
        reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="",
                                       help_text="Required for exclude: why the item leaves.")

    @extend_schema(request=InputSerializer, responses={201: ReviewOutput})
    def post(self, request, item_id: int):
        item = item_for_user(user=request.user, item_id=item_id, roles=CAN_REVIEW)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_services.review_create(item=item, reviewer=request.user, **data.validated_data)
        body = {
            "id": review.id,
            "reviewer": request.user.username,
            "verdict": review.verdict,
            "value": review.value,
            "label": review.label or None,
            "reason": review.reason,
            "created_at": review.created_at,
        }
        return Response(ReviewOutput(body).data, status=status.HTTP_201_CREATED)


class ProjectStatsApi(APIView):
    """Labeling progress of a project (any member). Annotators see only their own annotations (API.md):
    for them ``annotations`` and ``label_counts`` count the caller's own annotations; ``items``,
    ``excluded``, ``annotated_items`` and ``completed_items`` are the project's progress for everyone."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProjectStatsOutput"

        items = serializers.IntegerField()
        excluded = serializers.IntegerField()
        annotated_items = serializers.IntegerField()
        completed_items = serializers.IntegerField()
        annotations = serializers.IntegerField()
        label_counts = serializers.DictField(child=serializers.IntegerField())

        class MineSerializer(serializers.Serializer):
            class Meta:
                ref_name = "ProjectStatsMine"

            annotations = serializers.IntegerField(help_text="The caller's current annotations in the project.")
            today = serializers.IntegerField(help_text="How many of them were made since midnight (server time zone).")
            remaining = serializers.IntegerField(
                help_text="Items the queue could still hand the caller: included, under the overlap, "
                "neither annotated nor skipped by them."
            )

        mine = MineSerializer(help_text="The caller's own progress.")

    @extend_schema(responses=OutputSerializer)
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id)
        own_only = project.user_role == Role.ANNOTATOR
        stats = selectors.project_stats(
            project=project, annotator=request.user if own_only else None, caller=request.user
        )
        return Response(self.OutputSerializer(stats).data)


class AnnotationDetailApi(APIView):
    """One annotation (any revision): its author, reviewers and managers see it. PATCH edits it: a new
    revision that supersedes it (append-only; its author, or a manager), answered with the new row."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AnnotationUpdateInput"

        value = json_field(AnnotationValueSerializer)
        lead_time_ms = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2**31 - 1)

    def _annotation(self, request, annotation_id: int):
        return object_for_user(
            user=request.user,
            queryset=Annotation.revisions.select_related("item__project", "annotator"),
            object_id=annotation_id,
            noun=_("Annotation"),
            project_of=lambda annotation: annotation.item.project,
        )

    @extend_schema(responses={200: AnnotationOutput, **error_responses(403)})
    def get(self, request, annotation_id: int):
        annotation = self._annotation(request, annotation_id)
        role = annotation.item.project.user_role
        if role not in ("admin", *CAN_REVIEW) and annotation.annotator_id != request.user.id:
            raise Forbidden(_("Annotators see only their own annotations."))
        return Response(selectors.annotation_row(annotation))

    @extend_schema(request=InputSerializer, responses={200: AnnotationOutput, **error_responses(403, 409)})
    def patch(self, request, annotation_id: int):
        annotation = self._annotation(request, annotation_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revised = services.annotation_revise(
            annotation=annotation, editor=request.user, role=annotation.item.project.user_role, **data.validated_data
        )
        return Response(selectors.annotation_row(revised))


class AnnotationListApi(APIView):
    """A project's current annotations (each person's latest revision), newest first: everyone's for
    reviewers and managers (``?mine=true`` for their own), only their own for annotators. The labeling
    page's back key walks ``?mine=true``."""

    class OutputSerializer(AnnotationOutput):
        class Meta:
            ref_name = "AnnotationListOutput"

        text = serializers.CharField()

    @extend_schema(
        parameters=[OpenApiParameter("mine", bool, description="true: only the caller's own annotations")],
        responses=paginated(OutputSerializer),
    )
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id)
        own_only = project.user_role == Role.ANNOTATOR or request.query_params.get("mine") in ("true", "1")
        annotations = selectors.annotation_list(project=project, user=request.user if own_only else None)
        return keyset_page(
            request,
            annotations,
            lambda rows: self.OutputSerializer(selectors.annotation_rows(rows), many=True).data,
            descending=True,
        )
