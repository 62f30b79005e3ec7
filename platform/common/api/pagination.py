"""Keyset pagination: {"results": [...], "next": url|null}. The cursor is the last row's key, so a
page costs the same at row 10 and row 10 million, and rows inserted meanwhile are not skipped."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from functools import cache

from django.conf import settings
from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.api.schema import component_name
from common.errors import Invalid


def _page_size(request: Request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return settings.API_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise Invalid("page_size must be an integer.", fields={"page_size": ["Not an integer."]}) from None
    if not 1 <= size <= settings.API_MAX_PAGE_SIZE:
        raise Invalid(
            f"page_size must be between 1 and {settings.API_MAX_PAGE_SIZE}.",
            fields={"page_size": ["Out of range."]},
        )
    return size


def _decode(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("The cursor is not valid; start again from the first page.", code="invalid_cursor") from None


def _encode(key: int) -> str:
    return base64.urlsafe_b64encode(str(key).encode()).decode().rstrip("=")


def keyset_page(
    request: Request,
    queryset: QuerySet,
    serialize: Callable[[list], Iterable[dict]],
    *,
    descending: bool = False,
) -> Response:
    """Page ``queryset`` by primary key. ``serialize`` turns the page's rows into dicts."""
    size = _page_size(request)
    cursor = request.query_params.get("cursor")
    if cursor:
        last = _decode(cursor)
        queryset = queryset.filter(pk__lt=last) if descending else queryset.filter(pk__gt=last)
    rows = list(queryset.order_by("-pk" if descending else "pk")[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_url = None
    if has_more:
        query = request.query_params.copy()
        query["cursor"] = _encode(rows[-1].pk)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return Response({"results": list(serialize(rows)), "next": next_url})


@cache
def paginated(item: type[serializers.BaseSerializer], *, keyset: bool = True) -> type[serializers.Serializer]:
    """The declaration of what ``keyset_page`` answers with rows shaped as ``item``:
    ``{"results": [item...], "next": url|null}``, as the component ``Paginated<Item>List``. The schema
    gives the operation the page's query parameters, unless ``keyset=False`` (a list that is always one
    page, with ``next`` null)."""
    name = f"Paginated{component_name(item)}List"
    return type(
        name,
        (serializers.Serializer,),
        {
            "results": item(many=True),
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last one."),
            "Meta": type("Meta", (), {"ref_name": name}),
            "page": True,
            "keyset_page": keyset,
        },
    )
