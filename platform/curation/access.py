"""The permission-checked fetch of a version (the rules of ``projects.access``)."""
from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from accounts.models import User
from curation.models import DatasetVersion
from projects.access import object_for_user


def version_for_user(*, user: User, version_id, roles: Iterable[str] | None = None) -> DatasetVersion:
    """The version if its project is visible to the user (NotFound otherwise) and the user holds one of
    ``roles`` there (Forbidden otherwise)."""
    return object_for_user(
        user=user,
        queryset=DatasetVersion.objects.select_related("project"),
        object_id=version_id,
        noun=_("Version"),
        roles=roles,
    )
