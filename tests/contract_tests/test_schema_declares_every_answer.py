"""/api/v1/schema is valid OpenAPI 3, generates without warnings, and declares what every operation
answers: a success with its body's shape (or a stream, or 204), lists as keyset pages, the error
envelope where an error can come, and no field left free-form. Operations the suite never calls are
held to it too, so a new endpoint cannot slip by undeclared."""
from __future__ import annotations

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.contract import TYPE_KEYS, openapi

METHODS = ("get", "post", "put", "patch", "delete")
ERROR_ENVELOPE = "#/components/schemas/ErrorOutput"


def _operations():
    for path, item in openapi()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _component(ref: str) -> dict:
    return openapi()["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _json_schema(response: dict) -> dict | None:
    media = response.get("content", {}).get("application/json")
    return None if media is None else media.get("schema")


def test_the_schema_is_valid_openapi_and_generates_without_warnings():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, f"drf-spectacular warned: {sorted(GENERATOR_STATS._warn_cache)}"
    validate_schema(schema)


def test_every_operation_declares_a_success_with_a_schema_or_a_stream_or_no_body():
    for name, operation in _operations():
        successes = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
        assert successes, f"{name} declares no 2xx response"
        for code, response in successes.items():
            content = response.get("content", {})
            if code == "204":
                assert not content, f"{name}: 204 declares a body"
                continue
            assert content, f"{name}: {code} declares no body (use 204 for none)"
            if "application/json" in content:
                assert _json_schema(response), f"{name}: {code} declares JSON without a schema"
            # otherwise a stream (an export): its media type is the declaration


# Answers that are one result per input, in input order, not a list of stored objects to page through: the issue's
# contract (issue 9) fixes predict's answer as a bare array of at most 1,000 entries.
BATCH_ANSWERS = {"POST /api/v1/runs/{run_id}/predict"}


def test_lists_answer_a_keyset_page_not_a_bare_array():
    for name, operation in _operations():
        if name in BATCH_ANSWERS:
            continue
        schema = _json_schema(operation["responses"].get("200", {})) or {}
        if "$ref" in schema:
            schema = _component(schema["$ref"])
        assert schema.get("type") != "array", f"{name} declares a bare array; lists answer {{results, next}}"
        if "results" in schema.get("properties", {}):
            assert {"results", "next"} <= set(schema["properties"]), name  # a page may carry more (counts)
            if name.startswith("GET") and schema["properties"]["next"].get("nullable"):
                names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
                assert {"cursor", "page_size"} <= names or name == "GET /api/v1/cleaning-steps", name


def test_every_operation_declares_the_error_envelope_where_an_error_can_come():
    for name, operation in _operations():
        responses = operation["responses"]
        locations = {p["in"] for p in operation.get("parameters", [])}
        expected = set()
        if "requestBody" in operation or "query" in locations:
            expected.add("400")
        if "path" in locations:
            expected.add("404")
        if any("tokenAuth" in way for way in operation.get("security", [])):
            expected.add("401")
        if name.split()[0] != "GET" and "cookieAuth" in str(operation.get("security")):
            expected.add("403")  # CSRF under session auth
        missing = expected - set(responses)
        assert not missing, f"{name} does not declare {sorted(missing)}"
        for code, response in responses.items():
            if code >= "400":
                assert _json_schema(response) == {"$ref": ERROR_ENVELOPE}, f"{name}: {code} is not the envelope"


def _untyped(schema, where: str, seen: set[str]) -> list[str]:
    """Every node under ``schema`` that declares no shape (what a bare JSONField or DictField gives)."""
    if schema is True:
        return []
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return []
        seen.add(schema["$ref"])
        return _untyped(_component(schema["$ref"]), schema["$ref"].rsplit("/", 1)[-1], seen)
    if not any(key in schema for key in TYPE_KEYS):
        return [where]
    found = []
    for name, sub in schema.get("properties", {}).items():
        found += _untyped(sub, f"{where}.{name}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _untyped(schema[key], f"{where}[]" if key == "items" else f"{where}{{}}", seen)
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            found += _untyped(sub, where, seen)
    return found


def test_no_answer_has_a_free_form_field():
    found = []
    seen: set[str] = set()
    for name, operation in _operations():
        for code, response in operation["responses"].items():
            schema = _json_schema(response)
            if schema is not None:
                found += [f"{name} {code}: {where}" for where in _untyped(schema, "body", seen)]
    assert not found, "fields declared without a shape:\n" + "\n".join(found)
