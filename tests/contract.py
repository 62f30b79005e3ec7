"""The response contract: every JSON answer the suite receives must be one ``/api/v1/schema`` declares.

``ContractClient`` (what ``client_for`` builds) checks each response as it arrives and raises
``ContractViolation`` in the test that made the request, e.g.::

    GET /api/v1/runs/{run_id}: response 200 has undeclared field metrics.foo

The operation is found with Django's ``resolve()`` (its route, written as the schema writes paths) and
the request method; the response schema by status code. The body is walked against it:

- every key of an object must be a declared property, unless the object declares
  ``additionalProperties`` (a schema for the values, or ``true`` for a value whose keys are the
  caller's own); a declared required property must be present;
- declared types must match (integer, number, string, boolean, array, object, null only where
  ``nullable``), as must enums and ``date-time`` strings;
- a schema that declares nothing (``{}``: a bare ``JSONField``) is a failure: the field is sent but
  not described;
- a status code the operation does not declare is a failure.

Streamed and non-JSON bodies (exports) and bodyless answers (204) only have their status checked.
Paths outside the schema (``api_not_found``, a method the path lacks) must answer the error envelope.
"""
from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from functools import cache

from django.urls import Resolver404, resolve
from rest_framework.test import APIClient

# Views that document the API rather than being part of it (SERVE_INCLUDE_SCHEMA is off).
UNCHECKED_ROUTES = {"schema", "docs"}
TYPE_KEYS = ("type", "properties", "additionalProperties", "items", "$ref", "allOf", "oneOf", "anyOf", "enum")

# Responses checked in this session, by "METHOD /path/template status" (reported at the end of the run).
checked: Counter[str] = Counter()


class ContractViolation(AssertionError):
    pass


@cache
def openapi() -> dict:
    """The schema the server would serve, generated once per session."""
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _template(route: str) -> str:
    """``api/v1/runs/<int:run_id>`` → ``/api/v1/runs/{run_id}`` (how drf-spectacular writes paths)."""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def operation_for(method: str, path: str) -> tuple[str, dict | None]:
    """``("GET /api/v1/runs/{run_id}", operation)``; the operation is None when the schema lacks it."""
    try:
        match = resolve(path)
    except Resolver404:
        return f"{method} {path}", None
    template = _template(match.route)
    operation = openapi()["paths"].get(template, {}).get(method.lower())
    return f"{method} {template}", operation


def _deref(schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = {**openapi()["components"]["schemas"][name], **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _error_schema() -> dict:
    return {"$ref": "#/components/schemas/ErrorOutput"}


def _join(where: str, key) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else str(key)


def _is_type(value, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict}[kind])


def walk(value, schema, where: str = "") -> list[str]:
    """Every way ``value`` departs from ``schema`` (OpenAPI 3.0), as readable sentences."""
    if schema is True:
        return []
    schema = _deref(schema)
    label = where or "its body"
    if value is None:
        if schema.get("nullable") or None in schema.get("enum", ()):
            return []
        if "allOf" in schema:
            return walk(value, schema["allOf"][0], where)
        if "oneOf" in schema or "anyOf" in schema:
            branches = schema.get("oneOf") or schema.get("anyOf")
            if any(not walk(value, branch, where) for branch in branches):
                return []
        return [f"null at {label} (not declared nullable)"]
    if not any(key in schema for key in TYPE_KEYS):
        return [f"an untyped field {label} (declared free-form: declare its shape)"]
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            part = _deref(part)
            merged = {**merged, **part, "properties": {**merged.get("properties", {}), **part.get("properties", {})}}
            merged["required"] = [*merged.get("required", []), *part.get("required", [])]
        if not merged["properties"]:
            del merged["properties"]
        return walk(value, merged, where)
    if "oneOf" in schema or "anyOf" in schema:
        branches = schema.get("oneOf") or schema.get("anyOf")
        attempts = [walk(value, branch, where) for branch in branches]
        if any(not problems for problems in attempts):
            return []
        return min(attempts, key=len)
    if "enum" in schema and value not in schema["enum"]:
        return [f"{label} = {value!r} outside the declared enum {list(schema['enum'])}"]
    kind = schema.get("type")
    if kind is None:
        kind = "object" if ("properties" in schema or "additionalProperties" in schema) else None
        kind = kind or ("array" if "items" in schema else None)
    if kind is not None and not _is_type(value, kind):
        return [f"{label} = {value!r:.60} where the schema declares {kind}"]
    if kind == "string" and schema.get("format") == "date-time":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return [f"{label} = {value!r} where the schema declares a date-time"]
    if kind == "array":
        problems = []
        for index, element in enumerate(value):
            problems += walk(element, schema.get("items", {}), _join(where, index))
            if len(problems) > 20:
                break
        return problems
    if kind == "object":
        return _walk_object(value, schema, where)
    return []


def _walk_object(value: dict, schema: dict, where: str) -> list[str]:
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", False)
    problems = [
        f"{_join(where, name)} missing (declared required)"
        for name in schema.get("required", [])
        if name not in value
    ]
    for key, element in value.items():
        if key in properties:
            problems += walk(element, properties[key], _join(where, key))
        elif extra is True:
            continue
        elif isinstance(extra, dict):
            problems += walk(element, extra, _join(where, key))
        else:
            problems.append(f"undeclared field {_join(where, key)}")
    return problems


def _is_json(response) -> bool:
    return not getattr(response, "streaming", False) and "json" in response.get("Content-Type", "")


def violations(method: str, path: str, response) -> tuple[str, list[str]]:
    """``(operation name, problems)`` for one response; no problems for what is not checked."""
    method = method.upper()
    if not path.startswith("/api/"):
        return f"{method} {path}", []
    try:
        if resolve(path).url_name in UNCHECKED_ROUTES:
            return f"{method} {path}", []
    except Resolver404:
        pass
    name, operation = operation_for(method, path)
    status = str(response.status_code)
    if operation is None:
        name = f"{method} {path}"
        # Not an operation of the schema: api_not_found (404), a method the path lacks (405)...
        checked[f"{name} {status} (outside the schema)"] += 1
        if not _is_json(response):
            return name, [f"response {status} outside the schema is not the JSON error envelope"]
        return name, [f"response {status} (outside the schema) has {p}" for p in walk(response.json(), _error_schema())]
    checked[f"{name} {status}"] += 1
    declared = operation["responses"].get(status)
    if declared is None:
        return name, [f"response {status} is not declared (declared: {', '.join(operation['responses'])})"]
    if status == "204" or not _is_json(response):
        return name, []
    content = declared.get("content", {})
    if not content:
        return name, [f"response {status} has a JSON body but declares none"]
    media = content.get("application/json") or next(iter(content.values()))
    if "schema" not in media:
        return name, [f"response {status} has a JSON body but declares no schema for it"]
    return name, [f"response {status} has {p}" for p in walk(response.json(), media["schema"])]


def check(method: str, path: str, response) -> None:
    name, problems = violations(method, path, response)
    if problems:
        lines = [f"{name}: {problem}" for problem in problems[:20]]
        if len(problems) > 20:
            lines.append(f"... and {len(problems) - 20} more")
        raise ContractViolation("the response departs from /api/v1/schema:\n" + "\n".join(lines))


class ContractClient(APIClient):
    """An APIClient whose every response is checked against the schema (see the module docstring)."""

    def request(self, **kwargs):
        response = super().request(**kwargs)
        check(kwargs.get("REQUEST_METHOD", "GET"), kwargs.get("PATH_INFO", ""), response)
        return response
