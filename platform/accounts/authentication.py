"""Token authentication for scripts (``Authorization: Token <key>``); the browser uses the session."""
from __future__ import annotations

import functools
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import Token, User
from accounts.services import token_digest
from common.rows import fetch_row, instance_from_row, model_fields, select_list

# A token's last use is written when the stored one is older than this: at most one UPDATE per token
# per window, so authenticating stays one read on the hot path (the list shows last use to this much).
LAST_USE_RESOLUTION = timedelta(minutes=5)


@functools.lru_cache(maxsize=8)
def _token_sql(vendor: str) -> str:
    """Params: the key's digest. Columns: the token's fields, then its user's."""
    quote = connection.ops.quote_name
    return (
        f"SELECT {select_list(Token, 't')}, {select_list(User, 'u')} FROM {quote(Token._meta.db_table)} t "
        f"JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = t.{quote(Token._meta.get_field('user').column)} "
        f"WHERE t.{quote(Token._meta.get_field('digest').column)} = %s"
    )


@functools.cache
def _token_columns() -> int:
    """How many of ``_token_sql``'s columns are the token's (the rest are its user's)."""
    return len(model_fields(Token))


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``TokenAuthentication`` contract (header, keyword, 401 with ``WWW-Authenticate: Token``) on
    accounts' own tokens: several per user, stored as digests, expiring, revocable. One query (the token
    joined with its user) filled from a cached SQL template instead of built by the ORM on every request,
    which was the largest single cost of a labeling request (~0.6 ms of CPU of ~2.3 here); expiry is a
    comparison on the fetched row."""

    def authenticate_credentials(self, key):
        row = None if "\x00" in key else fetch_row(_token_sql(connection.vendor), [token_digest(key)])
        if row is None:
            raise AuthenticationFailed(_("Invalid token."))
        n_token = _token_columns()
        token = instance_from_row(Token, row[:n_token])
        token.user = instance_from_row(User, row[n_token:])
        now = timezone.now()
        if token.expires_at is not None and token.expires_at <= now:
            raise AuthenticationFailed(_("Token expired."))
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        if token.last_used_at is None or now - token.last_used_at >= LAST_USE_RESOLUTION:
            Token.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return token.user, token
