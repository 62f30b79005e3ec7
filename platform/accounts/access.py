"""Permission-checked fetches of accounts' objects (the ``projects.access`` pattern)."""
from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import Token, User
from common.errors import Forbidden, NotFound
from common.rows import valid_pk


def user_for_tokens(*, actor: User, user_id) -> User:
    """The user whose tokens ``actor`` lists or revokes: site admins may reach anyone, everyone else
    only themselves. The refusal comes before the lookup, so it says nothing of who exists."""
    pk = valid_pk(user_id)
    if not actor.is_admin and (pk is None or pk != actor.pk):
        raise Forbidden(_("Only site admins see or revoke another user's tokens."))
    user = User.objects.filter(pk=pk).first() if pk is not None else None
    if user is None:
        raise NotFound(_("No such user."))
    return user


def token_of_user(*, user: User, token_id) -> Token:
    pk = valid_pk(token_id)
    token = Token.objects.filter(user=user, pk=pk).first() if pk is not None else None
    if token is None:
        raise NotFound(_("No such token for this user."))
    return token
