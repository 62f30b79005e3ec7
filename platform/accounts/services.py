from __future__ import annotations

from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from accounts.models import User
from common.errors import Conflict


def user_create(*, username: str, password: str, email: str = "", is_admin: bool = False) -> User:
    try:
        with transaction.atomic():
            user = User(username=username, email=email, is_admin=is_admin, is_staff=is_admin)
            user.set_password(password)
            user.save()
    except IntegrityError:
        raise Conflict(f"The username {username!r} is taken.", code="username_taken") from None
    return user


def token_for(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
