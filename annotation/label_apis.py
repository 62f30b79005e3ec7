"""Label schema edits that migrate the project's annotations (API.md, "Labels"): rename, merge, delete.

Managers and site admins only. Each answers the schema after the edit and how many current
annotations, reviews and distinct items it touches; ``dry_run`` answers the same counts and changes
nothing (the settings page shows them before the user confirms). The rules are
``annotation.labels``'s.
"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import CAN_MANAGE
from annotation import labels
from common.api.schema import error_responses
from projects.access import project_for_user

MAX_LABEL = 200


def _label_field(help_text: str) -> serializers.CharField:
    return serializers.CharField(max_length=MAX_LABEL, help_text=help_text)


def _dry_run_field() -> serializers.BooleanField:
    return serializers.BooleanField(
        required=False, default=False, help_text="true: count what the edit would touch and change nothing."
    )


def _input(name: str, **fields) -> type[serializers.Serializer]:
    """A request serializer with a field named ``from`` (a Python keyword, hence no class statement)."""
    meta = type("Meta", (), {"ref_name": name})
    return type(name, (serializers.Serializer,), {"__module__": __name__, "Meta": meta, **fields})


LabelRenameInput = _input(
    "LabelRenameInput",
    **{"from": _label_field("The label to rename."), "to": _label_field("Its new name: not a label yet."),
       "dry_run": _dry_run_field()},
)
LabelMergeInput = _input(
    "LabelMergeInput",
    **{
        "from": serializers.ListField(
            child=serializers.CharField(max_length=MAX_LABEL), min_length=1, max_length=500,
            help_text="The labels to merge.",
        ),
        "to": _label_field("The label they become: one of the project's (it keeps its place) or a new name "
                           "(it takes the place of the first of them)."),
        "dry_run": _dry_run_field(),
    },
)
LabelDeleteInput = _input("LabelDeleteInput", label=_label_field("The label to delete."), dry_run=_dry_run_field())


class LabelEditOutput(serializers.Serializer):
    labels = serializers.ListField(child=serializers.CharField(), help_text="The label schema after the edit.")
    annotations = serializers.IntegerField(help_text="Current annotations the edit rewrites (or removes).")
    reviews = serializers.IntegerField(help_text="Review corrections it rewrites (or removes).")
    items = serializers.IntegerField(help_text="Distinct items of those annotations and reviews.")
    dry_run = serializers.BooleanField(help_text="true: counted only, nothing changed.")


class LabelRenameApi(APIView):
    """Rename a label; every annotation and review using it follows (409 ``label_exists``: merge)."""

    @extend_schema(request=LabelRenameInput, responses={200: LabelEditOutput, **error_responses(403, 409)})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = LabelRenameInput(data=request.data)
        data.is_valid(raise_exception=True)
        body = labels.label_rename(project=project, old=data.validated_data["from"], new=data.validated_data["to"],
                                   dry_run=data.validated_data["dry_run"])
        return Response(LabelEditOutput(body).data)


class LabelMergeApi(APIView):
    """Merge labels into one (an existing label or a new name); annotations and reviews follow."""

    @extend_schema(request=LabelMergeInput, responses={200: LabelEditOutput, **error_responses(403)})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = LabelMergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        body = labels.label_merge(project=project, sources=data.validated_data["from"],
                                  target=data.validated_data["to"], dry_run=data.validated_data["dry_run"])
        return Response(LabelEditOutput(body).data)


class LabelDeleteApi(APIView):
    """Delete a label: single-label annotations of it are removed (their items go back to the queue),
    it leaves multilabel and span values (see ``annotation.labels``)."""

    @extend_schema(request=LabelDeleteInput, responses={200: LabelEditOutput, **error_responses(403)})
    def post(self, request, project_id: int):
        project = project_for_user(user=request.user, project_id=project_id, roles=CAN_MANAGE)
        data = LabelDeleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        body = labels.label_delete(project=project, label=data.validated_data["label"],
                                   dry_run=data.validated_data["dry_run"])
        return Response(LabelEditOutput(body).data)
