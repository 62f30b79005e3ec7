"""The item browser's endpoints (API.md, "Labeling"), for reviewers and managers: the item list with its
filters, sorts and keyset pages, an item's page (annotations, reviews, leases, cleaning history,
predictions), and bulk actions.

They live in training, the top of the dependency order, because they read every app: annotation's
items, votes and reviews, cleaning's history and the training runs' predictions (annotation may import
neither cleaning nor training). The reads are ``training.item_selectors`` over
``annotation.item_selectors``; the bulk writes are ``annotation.item_services``. An annotation or a
review in an answer has the shape of annotation's own answers: the schema refers to its components.
"""
from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_REVIEW, Role
from annotation import item_selectors, item_services
from annotation.models import Review
from common.api.pagination import keyset_page, paginated
from common.api.schema import error_responses
from common.api.serializers import FREE_OBJECT, json_field
from projects.access import item_for_user, project_for_user
from training import item_selectors as browse

STATUS_HELP = (
    "unlabeled (no annotation), in_progress (fewer than the project's annotations_per_item), done (that "
    "many or more), excluded (by cleaning or a review), reviewed (its latest review accepted or corrected "
    "it); the first that holds of excluded, reviewed, done, in_progress, unlabeled."
)


def _components(name: str) -> serializers.JSONField:
    """A list of rows shaped as annotation's component ``name`` (an API module may not import another
    app's API module: the schema refers to the component instead)."""
    return json_field({"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}})


def _hidden_field() -> serializers.JSONField:
    return json_field(
        {**FREE_OBJECT, "description": "The import's hidden columns (hidden_fields): only for managers and admins."},
        required=False,
    )


def _meta_field() -> serializers.JSONField:
    return json_field({**FREE_OBJECT, "description": "The item's metadata: the import's other columns."})


def _verdict_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=Review.Verdict.choices, allow_null=True, help_text="Its latest review's verdict; null when never reviewed."
    )


def _sees_hidden(project) -> bool:
    """Hidden columns (ids, gold labels) are for managers and admins; reviewers and annotators never
    get them, in any answer."""
    return project.user_role in ("admin", Role.MANAGER)


class ItemFilterSerializer(serializers.Serializer):
    """The item list's filters: the list's query parameters, and the filter object of a bulk action."""

    class Meta:
        ref_name = "ItemFilter"

    search = serializers.CharField(required=False, allow_blank=True, help_text="A substring of the text.")
    excluded = serializers.BooleanField(required=False, help_text="true: only excluded items; false: only included")
    label = serializers.CharField(
        required=False, allow_blank=True, help_text="Items with a current annotation carrying this label."
    )
    status = serializers.ChoiceField(choices=item_selectors.STATUSES, required=False, help_text=STATUS_HELP)
    annotator = serializers.CharField(
        required=False, allow_blank=True,
        help_text="Items with a current annotation by this username (or by this imported annotator's name).",
    )
    disagreement = serializers.BooleanField(
        required=False,
        help_text="true: items whose current annotations chose different labels (single-label projects); "
        "false: the others.",
    )
    suspect = serializers.BooleanField(
        required=False, help_text="true: items with an open label-noise suspect in the review queue; false: the others."
    )
    confidence_below = serializers.FloatField(
        required=False, min_value=0, max_value=1,
        help_text="Items the project's latest finished training run predicted with a confidence under this.",
    )

    def __init__(self, *args, strict: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.strict = strict

    def to_internal_value(self, data):
        # A misspelt filter must not widen a bulk action to every item: there, unknown names are refused
        # (a list's query string may carry others: its cursor, page_size, a cache buster).
        if self.strict and isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown filter.")] for name in unknown})
        return super().to_internal_value(data)


def _filters(data: dict) -> tuple[item_selectors.ItemFilters, float | None]:
    known = {name: data[name] for name in item_selectors.ItemFilters.__dataclass_fields__ if name in data}
    return item_selectors.ItemFilters(**known), data.get("confidence_below")


class ItemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    raw_text = serializers.CharField()
    meta = _meta_field()
    hidden = _hidden_field()
    excluded_reason = serializers.CharField(help_text="Why cleaning or a review excluded the item; empty when included.")
    annotation_count = serializers.IntegerField()
    status = serializers.ChoiceField(choices=item_selectors.STATUSES, help_text=STATUS_HELP)
    labels = serializers.ListField(
        child=serializers.CharField(),
        help_text="The distinct labels of its current annotations (every label chosen in multi-label "
        "projects, every span's label in span projects), in the project's order.",
    )
    reviewed = _verdict_field()

    def __init__(self, *args, with_hidden: bool = True, **kwargs):  # the schema declares it
        super().__init__(*args, **kwargs)
        if not with_hidden:
            self.fields.pop("hidden")


class ItemListApi(APIView):
    """Managers and reviewers browse a project's items: filters (``ItemFilter``), ``ordering`` by id or
    annotation count (ties by id), keyset pages. A filter value that is not one of its choices is a 400
    naming the parameter."""

    class QuerySerializer(ItemFilterSerializer):
        class Meta:
            ref_name = "ItemListQuery"

        ordering = serializers.ChoiceField(
            choices=list(item_selectors.ORDERINGS), required=False, default="id",
            help_text="id (default), -id, annotation_count or -annotation_count; ties by id, the same way.",
        )

    @extend_schema(
        parameters=[QuerySerializer],
        responses={200: paginated(ItemOutput), **error_responses(403)},
    )
    def get(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        query = self.QuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        filters, below = _filters(query.validated_data)
        items = browse.item_browse(project=project, filters=filters, confidence_below=below)
        key, descending = item_selectors.ORDERINGS[query.validated_data["ordering"]]
        with_hidden = _sees_hidden(project)

        def rows(page):
            found = item_selectors.item_rows(project=project, items=page, with_hidden=with_hidden)
            return ItemOutput(found, many=True, with_hidden=with_hidden).data

        return keyset_page(request, items, rows, key=key, descending=descending)


class ItemLeaseOutput(serializers.Serializer):
    user = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    assigned = serializers.BooleanField(help_text="A manager's assignment (a bulk assign), not a queue lease.")


class ItemHistoryOutput(serializers.Serializer):
    run_id = serializers.IntegerField(help_text="The cleaning run.")
    step = serializers.CharField(help_text="The step's op, e.g. exact_dedup, normalize.")
    action = serializers.ChoiceField(choices=["excluded", "rewritten"])
    reason = serializers.CharField(allow_blank=True, help_text="Why it was excluded; empty for a rewrite.")
    detail = json_field({**FREE_OBJECT, "description": "The step's details, e.g. {duplicate_of}, {pii}, {length}."})
    old_text = serializers.CharField(allow_null=True, help_text="The text before a rewrite; null otherwise.")
    new_text = serializers.CharField(allow_null=True, help_text="The text after a rewrite; null otherwise.")
    at = serializers.DateTimeField(help_text="When the run started.")
    reverted = serializers.BooleanField(help_text="The run was reverted since: this change no longer stands.")


class ItemPredictionOutput(serializers.Serializer):
    run_id = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The number of the version the run trained on.")
    predicted = serializers.CharField(help_text="The model's label.")
    label = serializers.CharField(help_text="The label the version gave the item.")
    confidence = serializers.FloatField()
    split = serializers.CharField()


class ItemDetailApi(APIView):
    """An item with its annotations, reviews, live leases, cleaning history and the runs' predictions
    (reviewers and managers). Six queries, whatever the item has."""

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ItemDetailOutput"

        id = serializers.IntegerField()
        project_id = serializers.IntegerField()
        text = serializers.CharField()
        raw_text = serializers.CharField()
        meta = _meta_field()
        hidden = _hidden_field()
        excluded_reason = serializers.CharField(allow_blank=True)
        annotation_count = serializers.IntegerField()
        status = serializers.ChoiceField(choices=item_selectors.STATUSES, help_text=STATUS_HELP)
        reviewed = _verdict_field()
        annotations = _components("AnnotationOutput")
        reviews = _components("ReviewOutput")
        leases = ItemLeaseOutput(many=True, help_text="Who holds the item now (live leases), oldest first.")
        assigned_to = serializers.ListField(
            child=serializers.CharField(), help_text="The annotators a manager assigned it to (live assignments)."
        )
        history = ItemHistoryOutput(many=True, help_text="What cleaning runs did to it, oldest first.")
        predictions = ItemPredictionOutput(many=True, help_text="What each training run predicted, the latest run first.")

    @extend_schema(responses={200: OutputSerializer, **error_responses(403)})
    def get(self, request, item_id: int):
        item = item_for_user(user=request.user, item_id=item_id, roles=CAN_REVIEW)
        page = browse.item_page(item=item, with_hidden=_sees_hidden(item.project))
        return Response(self.OutputSerializer(page).data)


class ItemBulkApi(APIView):
    """One action on many items: those of ``ids``, or every item the list's ``filter`` matches (up to
    10,000). Managers and admins do every action; reviewers may send items to review. Answers how many
    items matched and how many the action changed."""

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ItemBulkInput"

        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, min_length=1,
            max_length=item_services.MAX_BULK_ITEMS,
            help_text="The items (of this project; other ids match nothing). Exactly one of ids and filter.",
        )
        filter = ItemFilterSerializer(
            required=False, strict=True, help_text="The item list's filters; {} matches every item."
        )
        action = serializers.ChoiceField(
            choices=item_services.BulkAction.choices,
            help_text="exclude (a reviewer's exclusion: later versions leave the items out), restore (undo "
            "review exclusions; cleaning's are undone by reverting the run), review (send to the review "
            "queue as flagged), assign (lease them to username for DATAMOAT_ASSIGNMENT_HOURS).",
        )
        username = serializers.CharField(
            required=False, allow_blank=True, max_length=150, help_text="assign: a member who can annotate."
        )
        reason = serializers.CharField(
            required=False, allow_blank=True, max_length=500,
            help_text="exclude, restore, review: the reason recorded (a default names you).",
        )

        def validate(self, data):
            if ("ids" in data) == ("filter" in data):
                message = _("Give exactly one of ids and filter.")
                raise serializers.ValidationError({"ids": [message], "filter": [message]})
            return data

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ItemBulkOutput"

        action = serializers.ChoiceField(choices=item_services.BulkAction.choices)
        matched = serializers.IntegerField(help_text="The project's items the ids or the filter matched.")
        changed = serializers.IntegerField(
            help_text="How many the action changed: excluded, restored, sent to review, or leased to the assignee."
        )

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, **error_responses(403, 413)})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_REVIEW)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        if "ids" in body:
            items = item_selectors.items_by_id(project=project, ids=body["ids"])
        else:
            filters, below = _filters(body["filter"])
            items = browse.item_browse(project=project, filters=filters, confidence_below=below)
        result = item_services.items_bulk(
            project=project, user=request.user, action=body["action"], items=items,
            username=body.get("username", ""), reason=body.get("reason", ""),
        )
        return Response(self.OutputSerializer(result).data)
