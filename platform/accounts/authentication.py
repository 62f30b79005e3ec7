"""Token authentication for scripts (``Authorization: Token <key>``); the browser uses the session."""
from __future__ import annotations

import functools

from django.db import connection
from django.db.models import Model
from rest_framework import authentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.models import User
from common.rows import fetch_row, instance_from_row, model_fields, select_list


@functools.lru_cache(maxsize=8)
def _token_sql(model: type[Model], vendor: str) -> str:
    """Params: key. Columns: the token's fields, then its user's."""
    quote = connection.ops.quote_name
    user_fk = model._meta.get_field("user")
    return (
        f"SELECT {select_list(model, 't')}, {select_list(User, 'u')} FROM {quote(model._meta.db_table)} t "
        f"JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = t.{quote(user_fk.column)} "
        f"WHERE t.{quote(model._meta.pk.column)} = %s"
    )


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``TokenAuthentication``, same contract and messages: its one query (token joined with its
    user) filled from a cached SQL template instead of built by the ORM on every request, which was the
    largest single cost of a labeling request (~0.6 ms of CPU of ~2.3 here, before this change)."""

    def authenticate_credentials(self, key):
        model = self.get_model()
        row = None if "\x00" in key else fetch_row(_token_sql(model, connection.vendor), [key])
        if row is None:
            raise AuthenticationFailed("Invalid token.")
        n_token = len(model_fields(model))
        token = instance_from_row(model, row[:n_token])
        token.user = instance_from_row(User, row[n_token:])
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        return token.user, token
