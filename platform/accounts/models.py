from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone


class UserManager(DjangoUserManager):
    """Django's manager, whose ``create_superuser`` (``manage.py createsuperuser``, how a deployment makes
    its first admin) also makes a Datamoat site admin: a superuser who could not create a project
    would be no admin here."""

    use_in_migrations = True

    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("is_admin", True)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. ``is_admin`` is the site-wide admin role of API.md."""

    is_admin = models.BooleanField(default=False)

    objects = UserManager()

    class Meta:
        db_table = "accounts_user"


class Token(models.Model):
    """An API token (``Authorization: Token <key>``). A user may hold several (one per script or
    machine), each revoked alone, and each expires (``DATAMOAT_TOKEN_TTL_HOURS``).

    The key is shown once, when it is issued: only its SHA-256 is stored (``digest``), so a copy of the
    database holds no usable key; ``prefix`` (its first characters) tells tokens apart in a list.
    Revoking deletes the row, so the very next request with that key is refused."""

    PREFIX_LENGTH = 8

    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=PREFIX_LENGTH)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Null: never (DATAMOAT_TOKEN_TTL_HOURS=0).")
    # Written at most once per accounts.authentication.LAST_USE_RESOLUTION, so using a token stays a read.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "accounts_token"

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"
