"""Users and their API tokens: creation and site admins' changes (passwords checked by Django's
validators), issue, revocation."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Token, User
from common.errors import Conflict, Forbidden, Invalid

# Tokens a user may hold at once; issuing one more deletes the oldest beyond it (a script that signs in
# on every run must not grow the table without bound).
MAX_TOKENS_PER_USER = 100


def password_check(*, password: str, user: User) -> None:
    """Django's validators (AUTH_PASSWORD_VALIDATORS) against ``user``'s username and email: raises
    Invalid naming the ``password`` field with every reason. Call wherever a password is set."""
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise Invalid(
            _("%(field)s: %(message)s") % {"field": "password", "message": " ".join(exc.messages)},
            code="weak_password",
            fields={"password": list(exc.messages)},
        ) from None


def user_create(*, username: str, password: str, email: str = "", is_admin: bool = False) -> User:
    user = User(username=username, email=email, is_admin=is_admin, is_staff=is_admin)
    password_check(password=password, user=user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Conflict(_("The username %(username)r is taken.") % {"username": username}, code="username_taken") from None
    return user


def user_update(
    *, actor: User, user: User, is_active: bool | None = None, is_admin: bool | None = None, password: str | None = None
) -> User:
    """A site admin's change to ``user``: (de)activate, make or unmake a site admin, set a new password.

    Deactivating revokes the user's tokens (their next request with one is a 401; Django's session
    backend already refuses an inactive user's session). A new password is checked like a new user's
    and ends the user's browser sessions (Django's session hash); their tokens stay, revoked on their
    own (``/users/{id}/tokens``). An admin may not deactivate or unmake themself (``self_change``):
    a site must keep someone who can undo it.

    Both rows are locked, in id order, and the actor is read again under the lock: two admins who
    unmake each other at once leave one admin, the second change being refused (Forbidden), instead
    of none."""
    if actor.pk == user.pk and (is_active is False or is_admin is False):
        raise Conflict(
            _("You cannot deactivate yourself or take your own admin role; ask another site admin."),
            code="self_change",
            fields={"is_active" if is_active is False else "is_admin": [_("Not on yourself.")]},
        )
    if password is not None:
        password_check(password=password, user=user)
    with transaction.atomic():
        locked = {u.pk: u for u in User.objects.select_for_update().filter(pk__in={actor.pk, user.pk}).order_by("pk")}
        if actor.pk not in locked or not locked[actor.pk].is_admin or not locked[actor.pk].is_active:
            raise Forbidden(_("Only site admins change users."))
        target = locked.get(user.pk)
        if target is None:
            return user  # deleted meanwhile: nothing left to change
        changed: list[str] = []
        if is_active is not None and target.is_active != is_active:
            target.is_active = is_active
            changed.append("is_active")
        if is_admin is not None and target.is_admin != is_admin:
            # is_staff follows is_admin, as at creation (Django's admin site).
            target.is_admin = target.is_staff = is_admin
            changed += ["is_admin", "is_staff"]
        if password is not None:
            target.set_password(password)
            changed.append("password")
        if changed:
            target.save(update_fields=changed)
        if is_active is False:
            tokens_revoke(user=target)
    return target


def token_digest(key: str) -> str:
    """What is stored of a key, and what authentication looks it up by."""
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, user: User) -> tuple[Token, str]:
    """A new token for ``user`` and its key, which exists only in this answer (the row keeps a digest).
    Drops the user's expired tokens and any beyond MAX_TOKENS_PER_USER, oldest first."""
    key = secrets.token_hex(20)  # 160 bits, 40 characters: the shape of DRF's keys
    now = timezone.now()
    hours = settings.DATAMOAT_TOKEN_TTL_HOURS
    with transaction.atomic():
        Token.objects.filter(user=user, expires_at__lte=now).delete()
        token = Token.objects.create(
            digest=token_digest(key),
            prefix=key[: Token.PREFIX_LENGTH],
            user=user,
            created_at=now,
            expires_at=now + timedelta(hours=hours) if hours else None,
        )
        surplus = list(Token.objects.filter(user=user).order_by("-id").values_list("id", flat=True)[MAX_TOKENS_PER_USER:])
        if surplus:
            Token.objects.filter(id__in=surplus).delete()
    return token, key


def token_for(*, user: User) -> str:
    """The key of a new token for ``user`` (what ``POST /auth/token`` answers)."""
    return token_create(user=user)[1]


def token_revoke(*, token: Token) -> None:
    """The token stops working at once: the next request with its key is a 401."""
    Token.objects.filter(pk=token.pk).delete()


def tokens_revoke(*, user: User) -> int:
    """Revoke every token of ``user``; returns how many there were."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted
