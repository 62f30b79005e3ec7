"""The OpenAPI schema's conventions, applied to every operation.

Naming: every API class nests its own ``InputSerializer``/``OutputSerializer`` (STYLE.md habit 2), so
plain class names collide; a nested serializer is named after its outer class.

Lists: an operation answering ``common.api.pagination.paginated(X)`` gets the page's query parameters
(``cursor``, ``page_size``).

Errors: every operation declares the error envelope (``common.api.serializers.ErrorOutput``) for the
statuses any such operation can answer: 400 when it takes a body or query parameters, 401 when it
authenticates (a bad token is refused everywhere), 403 for unsafe methods under session auth (CSRF),
404 when its path names an object, 415 when it takes a body (DRF refuses unknown media types). An
operation adds its own (403 for a role check on a read, 409, 413) with ``error_responses(...)``.
"""
from __future__ import annotations

from django.conf import settings
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.authentication import SessionAuthentication

UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# The query parameters of every keyset page (common.api.pagination.keyset_page).
PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="The `next` link's cursor: the page after the previous one."),
    OpenApiParameter(
        "page_size", int, description=f"Rows per page, 1 to {settings.API_MAX_PAGE_SIZE} (default {settings.API_PAGE_SIZE})."
    ),
]
ERROR_DESCRIPTIONS = {
    400: "Invalid input: `error.fields` names each bad field.",
    401: "Not signed in, or a bad token.",
    403: "Signed in without the role this needs (or, under session auth, without the CSRF token).",
    404: "Missing, or not yours.",
    409: "The object's state does not allow this now.",
    413: "Too large.",
    415: "An unsupported format or media type.",
}


def component_name(serializer) -> str:
    """The schema component name of a serializer class or instance (see AutoSchema below)."""
    cls = serializer if isinstance(serializer, type) else type(serializer)
    meta = getattr(cls, "Meta", None)
    if meta is not None and getattr(meta, "ref_name", None):
        return meta.ref_name
    name = cls.__name__.removesuffix("Serializer")
    if "." in cls.__qualname__:  # e.g. ImportCreateApi.InputSerializer -> ImportCreateApiInput
        return cls.__qualname__.rsplit(".", 1)[0].replace(".", "") + name
    return name


def error_responses(*codes: int) -> dict:
    """``{code: ErrorOutput}`` for ``extend_schema(responses={200: X, **error_responses(403, 409)})``."""
    from common.api.serializers import ErrorOutput

    return {code: OpenApiResponse(ErrorOutput, description=ERROR_DESCRIPTIONS.get(code, "")) for code in codes}


class AutoSchema(BaseAutoSchema):
    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        meta = getattr(serializer, "Meta", None)
        if meta is not None and getattr(meta, "ref_name", None):
            return name
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer = qualname.rsplit(".", 1)[0].replace(".", "")
            return f"{outer}{name}"
        return name

    def _answers_a_page(self, marker: str = "page") -> bool:
        """Whether a response is ``paginated(...)``; with marker "keyset_page", a page with a cursor."""
        responses = self.get_response_serializers()
        candidates = responses.values() if isinstance(responses, dict) else [responses]
        return any(getattr(candidate, marker, False) for candidate in candidates)

    def get_operation_id(self) -> str:
        operation_id = super().get_operation_id()
        if self.method == "GET" and self._answers_a_page() and operation_id.endswith("_retrieve"):
            return operation_id.removesuffix("_retrieve") + "_list"  # lists keep their ids (projects_list)
        return operation_id

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._answers_a_page("keyset_page"):
            return [*PAGE_PARAMETERS, *parameters]
        return parameters

    def _error_codes(self, operation: dict) -> set[int]:
        locations = {parameter["in"] for parameter in operation.get("parameters", [])}
        has_body = "requestBody" in operation
        authenticators = self.view.get_authenticators()
        codes = set()
        if has_body or "query" in locations:
            codes.add(400)
        if authenticators:
            codes.add(401)
        if self.method in UNSAFE_METHODS and any(isinstance(a, SessionAuthentication) for a in authenticators):
            codes.add(403)
        if "path" in locations:
            codes.add(404)
        if has_body:
            codes.add(415)
        return codes

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code, response in error_responses(*self._error_codes(operation)).items():
            if str(code) not in responses:
                responses[str(code)] = self._get_response_for_code(response, str(code))
        operation["responses"] = dict(sorted(responses.items()))
        return operation
