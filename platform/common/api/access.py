"""Permission-checked fetch helpers. Objects outside your projects are 404; a member without the
role gets 403."""
from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, PermissionDenied

from accounts.models import User
from projects.models import Item, Project


def role_in(*, user: User, project: Project) -> str | None:
    """The user's role in the project, 'admin' for site admins, None for outsiders."""
    if user.is_admin:
        return "admin"
    return project.memberships.filter(user=user).values_list("role", flat=True).first()


def projects_visible_to(user: User) -> QuerySet[Project]:
    if user.is_admin:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user)


def project_for_user(*, user: User, project_id, roles: Iterable[str] | None = None) -> Project:
    """The project if the user may see it (404 otherwise) and holds one of ``roles`` (403 otherwise).
    ``roles=None`` accepts any member. Site admins pass every check."""
    try:
        project = Project.objects.get(id=int(project_id))
    except (Project.DoesNotExist, ValueError, TypeError):
        raise NotFound("Project not found, or not yours.") from None
    return project_check(user=user, project=project, roles=roles)


def project_check(*, user: User, project: Project, roles: Iterable[str] | None = None) -> Project:
    """The role checks of ``project_for_user`` on a project already fetched; sets ``user_role``."""
    role = role_in(user=user, project=project)
    if role is None:
        raise NotFound("Project not found, or not yours.")
    if roles is not None and role != "admin" and role not in set(roles):
        raise PermissionDenied("Your role in this project does not allow this.")
    project.user_role = role
    return project


def item_for_user(*, user: User, item_id, roles: Iterable[str] | None = None) -> Item:
    """The item if its project is visible to the user (404 otherwise), with the role check above."""
    try:
        item = Item.objects.select_related("project").get(id=int(item_id))
    except (Item.DoesNotExist, ValueError, TypeError):
        raise NotFound("Item not found, or not yours.") from None
    try:
        project_check(user=user, project=item.project, roles=roles)
    except NotFound:
        raise NotFound("Item not found, or not yours.") from None
    return item
