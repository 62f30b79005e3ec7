from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.roles import Role
from common.errors import Conflict, Invalid
from projects.models import Membership, Project, TaskType


def content_hash(text: str) -> str:
    """The identity of an item's imported text within a project (sha256 of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _validate_labels(labels: list[str]) -> list[str]:
    cleaned = [label.strip() for label in labels]
    if any(not label for label in cleaned):
        raise Invalid("Labels must not be empty.", fields={"labels": ["A label is empty."]})
    if len(set(cleaned)) != len(cleaned):
        raise Invalid("Labels must be unique.", fields={"labels": ["A label repeats."]})
    return cleaned


@transaction.atomic
def project_create(
    *,
    name: str,
    task_type: str,
    labels: list[str],
    created_by: User,
    guidelines: str = "",
    annotations_per_item: int = 1,
) -> Project:
    if task_type not in TaskType.values:
        raise Invalid(f"Unknown task type {task_type!r}.", fields={"task_type": ["Unknown."]})
    project = Project.objects.create(
        name=name,
        task_type=task_type,
        labels=_validate_labels(labels),
        guidelines=guidelines,
        annotations_per_item=annotations_per_item,
        created_by=created_by,
    )
    # The creator manages what they create (admins included, so the project shows on their list).
    Membership.objects.create(project=project, user=created_by, role=Role.MANAGER)
    return project


def project_update(*, project: Project, **fields) -> Project:
    if "labels" in fields:
        fields["labels"] = _validate_labels(fields["labels"])
    for name, value in fields.items():
        setattr(project, name, value)
    project.save(update_fields=[*fields.keys(), "updated_at"])
    return project


def project_delete(*, project: Project) -> None:
    project.delete()


def membership_add(*, project: Project, username: str, role: str) -> Membership:
    if role not in Role.values:
        raise Invalid(f"Unknown role {role!r}.", fields={"role": [f"One of {', '.join(Role.values)}."]})
    user = User.objects.filter(username=username).first()
    if user is None:
        raise Invalid(f"No user named {username!r}.", fields={"username": ["No such user."]})
    try:
        with transaction.atomic():
            return Membership.objects.create(project=project, user=user, role=role)
    except IntegrityError:
        raise Conflict(f"{username} is already a member of this project.", code="already_member") from None
