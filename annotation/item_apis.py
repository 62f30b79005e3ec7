"""Item browsing endpoints (API.md, "Labeling"): the item list with its filters and an item's page
(annotations, reviews), for reviewers and managers."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_REVIEW, Role
from annotation import item_selectors
from annotation.apis import AnnotationOutput, ReviewOutput, meta_field
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import FREE_OBJECT, json_field
from projects.access import item_for_user, project_for_user


def _hidden_field() -> serializers.JSONField:
    return json_field(
        {**FREE_OBJECT, "description": "The import's hidden columns (hidden_fields): only for managers and admins."},
        required=False,
    )


def _sees_hidden(project) -> bool:
    """Hidden columns (ids, gold labels) are for managers and admins; reviewers and annotators never
    get them, in any answer."""
    return project.user_role in ("admin", Role.MANAGER)


class ItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    raw_text = serializers.CharField()
    meta = meta_field()
    hidden = _hidden_field()
    excluded_reason = serializers.CharField(help_text="Why cleaning excluded the item; empty when included.")
    annotation_count = serializers.IntegerField()

    def __init__(self, *args, with_hidden: bool = True, **kwargs):  # the schema declares it
        super().__init__(*args, **kwargs)
        if not with_hidden:
            self.fields.pop("hidden")


class ItemListApi(APIView):
    """Managers and reviewers browse items: ``?search=`` (substring), ``?excluded=true|false``,
    ``?label=`` (items with an annotation carrying that label)."""

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, help_text="A substring of the text.")
        excluded = serializers.BooleanField(required=False, help_text="true: only excluded items; false: only included")
        label = serializers.CharField(required=False, help_text="Items with an annotation carrying this label.")

    @extend_schema(parameters=[FilterSerializer], responses={200: paginated(ItemOutput), **error_responses(403)})
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        params = request.query_params
        excluded = {"true": True, "1": True, "false": False, "0": False}.get(params.get("excluded", ""))
        items = item_selectors.item_list(
            project=project, search=params.get("search", ""), excluded=excluded, label=params.get("label", "")
        )
        with_hidden = _sees_hidden(project)
        return keyset_page(request, items, lambda rows: ItemOutput(rows, many=True, with_hidden=with_hidden).data)


class ItemDetailApi(APIView):
    """An item with its annotations and reviews (reviewers and managers)."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ItemDetailOutput"

        id = serializers.IntegerField()
        project_id = serializers.IntegerField()
        text = serializers.CharField()
        raw_text = serializers.CharField()
        meta = meta_field()
        hidden = _hidden_field()
        excluded_reason = serializers.CharField(allow_blank=True)
        annotation_count = serializers.IntegerField()
        annotations = AnnotationOutput(many=True)
        reviews = ReviewOutput(many=True)

    @extend_schema(responses={200: OutputSerializer, **error_responses(403)})
    def get(self, request, item_id: int):
        item = item_for_user(user=request.user, item_id=item_id, roles=CAN_REVIEW)
        detail = item_selectors.item_detail(item=item, with_hidden=_sees_hidden(item.project))
        return Response(self.OutputSerializer(detail).data)
