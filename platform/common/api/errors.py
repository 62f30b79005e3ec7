"""The error envelope of API.md: {"error": {"code", "message", "fields"}} for every failure."""
from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common import errors

logger = logging.getLogger(__name__)


# The one place a domain error becomes an HTTP status. Most specific class first.
DOMAIN_STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.Forbidden, status.HTTP_403_FORBIDDEN),
    (errors.Conflict, status.HTTP_409_CONFLICT),
    (errors.TooLarge, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE),
    (errors.Unsupported, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE),
    (errors.DomainError, status.HTTP_400_BAD_REQUEST),
)


def domain_status(exc: errors.DomainError) -> int:
    return next(code for kind, code in DOMAIN_STATUS if isinstance(exc, kind))


def _flatten(detail) -> dict:
    if isinstance(detail, dict):
        return {key: _messages(value) for key, value in detail.items()}
    return {}


def _messages(value):
    if isinstance(value, list):
        return [str(v) if not isinstance(v, (dict, list)) else _messages(v) for v in value]
    if isinstance(value, dict):
        return {k: _messages(v) for k, v in value.items()}
    return [str(value)]


def _first_message(fields: dict) -> str:
    for name, msgs in fields.items():
        while isinstance(msgs, (list, dict)) and msgs:
            msgs = msgs[0] if isinstance(msgs, list) else next(iter(msgs.values()))
        if msgs:
            if name in ("non_field_errors", "detail"):
                return str(msgs)
            return _("%(field)s: %(message)s") % {"field": name, "message": msgs}
    return _("The request is not valid.")


_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def envelope(*, code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc, context):
    if isinstance(exc, errors.DomainError):
        return Response(envelope(code=exc.code, message=exc.message, fields=exc.fields), status=domain_status(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found, or not yours."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in %s", context.get("view"))
        return Response(
            envelope(code="server_error", message=_("Something went wrong on our side; it has been logged.")),
            status=500,
        )

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {"non_field_errors": _messages(exc.detail)}
        body = envelope(code="invalid", message=_first_message(fields), fields=fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = _CODES.get(response.status_code, "error")
        body = envelope(code=code, message=str(detail))
    response.data = body
    return response


def json_error(status_code: int, message: str, code: str | None = None) -> JsonResponse:
    """For plain Django views (404/500 handlers under /api/)."""
    return JsonResponse(envelope(code=code or _CODES.get(status_code, "error"), message=message), status=status_code)
