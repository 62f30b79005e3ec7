"""Keyset pagination: {"results": [...], "next": url|null}. The cursor is the last row's key, so a
page costs the same at row 10 and row 10 million, and rows inserted meanwhile are not skipped.

A list sorted by another column (``key``) pages by the pair (key, pk): the key alone is not unique
(many items share an annotation count), and a cursor of the key alone would skip or repeat the rows
that tie across a page boundary."""
from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from functools import cache

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
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
        raise Invalid(_("page_size must be an integer."), fields={"page_size": [_("Not an integer.")]}) from None
    if not 1 <= size <= settings.API_MAX_PAGE_SIZE:
        raise Invalid(
            _("page_size must be between 1 and %(max)s.") % {"max": settings.API_MAX_PAGE_SIZE},
            fields={"page_size": [_("Out of range.")]},
        )
    return size


def _decode(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _invalid_cursor() from None


def _encode(key: int | str) -> str:
    return base64.urlsafe_b64encode(str(key).encode()).decode().rstrip("=")


def _decode_pair(cursor: str) -> tuple[int, int]:
    """A (key, pk) cursor, written as "key,pk"; a plain pk cursor (another ordering's) is not valid here."""
    try:
        key, pk = (int(part) for part in base64.urlsafe_b64decode(cursor.encode() + b"==").decode().split(","))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        key = pk = -1
    if not (0 <= key < 2**63 and 0 <= pk < 2**63):  # never ask the database about 10**30
        raise _invalid_cursor()
    return key, pk


def _invalid_cursor() -> Invalid:
    return Invalid(_("The cursor is not valid; start again from the first page."), code="invalid_cursor")


def keyset_page(
    request: Request,
    queryset: QuerySet,
    serialize: Callable[[list], Iterable[dict]],
    *,
    descending: bool = False,
    key: str | None = None,
) -> Response:
    """Page ``queryset`` by primary key, or by (``key``, pk) when ``key`` names an integer column that
    is never null (both in the same direction). ``serialize`` turns the page's rows into dicts."""
    size = _page_size(request)
    cursor = request.query_params.get("cursor")
    after = "lt" if descending else "gt"
    if cursor and key is None:
        queryset = queryset.filter(**{f"pk__{after}": _decode(cursor)})
    elif cursor:
        last_key, last_pk = _decode_pair(cursor)
        queryset = queryset.filter(Q(**{f"{key}__{after}": last_key}) | Q(**{key: last_key, f"pk__{after}": last_pk}))
    order = ["pk"] if key is None else [key, "pk"]
    rows = list(queryset.order_by(*(f"-{name}" if descending else name for name in order))[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    next_url = None
    if has_more:
        query = request.query_params.copy()
        last = rows[-1]
        query["cursor"] = _encode(last.pk if key is None else f"{getattr(last, key)},{last.pk}")
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
