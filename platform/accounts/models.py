from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A person who signs in. ``is_admin`` is the site-wide admin role of API.md."""

    is_admin = models.BooleanField(default=False)

    class Meta:
        db_table = "accounts_user"
