"""Shared output declarations: the job object, the error envelope, and JSON values sent as stored.

The job object of API.md, for every background job's API: {id, status, progress: {done, total},
error, created_at, started_at, finished_at} (``JobOutput``), the one way every job API answers."""
from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.models import JobStatus

# A value whose keys are the caller's own (an item's ``meta``): any JSON object, nothing to declare.
FREE_OBJECT = {"type": "object", "additionalProperties": True}


def json_field(schema: Any, component_name: str | None = None, **kwargs) -> serializers.JSONField:
    """A JSON value sent exactly as stored (no coercion: 1 stays 1, a missing key stays missing),
    declared in the schema as ``schema``: a serializer (class or instance), whose fields are then the
    declaration only, or a raw OpenAPI dict (a component when ``component_name`` is given). For stored
    JSON columns (quality reports, metrics, step counts) and dicts assembled elsewhere."""
    field_class = type("DeclaredJSONField", (serializers.JSONField,), {})
    return extend_schema_field(schema, component_name=component_name)(field_class)(**kwargs)


@extend_schema_field({"type": "string", "enum": JobStatus.values}, component_name="JobStatusEnum")
class JobStatusField(serializers.ChoiceField):
    """A job's status, sent as stored; one named enum in the schema for every job."""

    def __init__(self, **kwargs):
        super().__init__(choices=JobStatus.choices, **kwargs)


class JobProgressOutput(serializers.Serializer):
    done = serializers.IntegerField(source="progress_done")
    total = serializers.IntegerField(source="progress_total")


class JobOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = JobStatusField()
    progress = JobProgressOutput(source="*")
    error = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_error(self, job) -> str | None:
        return job.error or None


class VersionCountsOutput(serializers.Serializer):
    """Items per split of a dataset version; {} until the version is built."""

    train = serializers.IntegerField(required=False)
    val = serializers.IntegerField(required=False)
    test = serializers.IntegerField(required=False)


class ErrorDetailOutput(serializers.Serializer):
    code = serializers.CharField(
        help_text="snake_case and stable, e.g. invalid, not_found, not_built; the same in every language."
    )
    message = serializers.CharField(
        help_text="A human sentence in the language Accept-Language asks for: English, or Simplified Chinese "
        "(zh, zh-CN, zh-Hans; zh-TW and zh-Hant too); English when neither is asked for."
    )
    fields = json_field(
        {**FREE_OBJECT, "description": "Field name → its messages (in the message's language; nested for nested "
         "input); {} when none."}
    )


class ErrorOutput(serializers.Serializer):
    """The error envelope of API.md (``common.api.errors.envelope``)."""

    error = ErrorDetailOutput()
