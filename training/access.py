"""The permission-checked fetch of a run (the rules of ``projects.access``)."""
from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from accounts.models import User
from projects.access import object_for_user
from training.models import TrainingRun


def run_for_user(*, user: User, run_id, roles: Iterable[str] | None = None) -> TrainingRun:
    """The run if its project is visible to the user (NotFound otherwise) and the role fits (Forbidden
    otherwise)."""
    return object_for_user(
        user=user,
        queryset=TrainingRun.objects.select_related("project", "version"),
        object_id=run_id,
        noun=_("Run"),
        roles=roles,
    )
