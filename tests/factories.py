"""One factory per model. Plain functions: explicit, no magic sequences to debug."""
from __future__ import annotations

import itertools

from accounts.models import User
from accounts.roles import Role
from projects.models import Item, Membership, Project
from projects.services import content_hash

_seq = itertools.count(1)

PASSWORD = "correct-horse-battery"


def make_user(username: str | None = None, *, is_admin: bool = False) -> User:
    user = User(username=username or f"user{next(_seq)}", is_admin=is_admin, is_staff=is_admin)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_project(*, labels=("positive", "negative"), task_type="classification", k: int = 1, **fields) -> Project:
    return Project.objects.create(
        name=fields.pop("name", f"project {next(_seq)}"),
        task_type=task_type,
        labels=list(labels),
        annotations_per_item=k,
        **fields,
    )


def make_member(project: Project, user: User | None = None, role: str = Role.ANNOTATOR) -> User:
    user = user or make_user()
    Membership.objects.create(project=project, user=user, role=role)
    return user


def make_items(project: Project, texts) -> list[Item]:
    items = [
        Item(project=project, text=t, raw_text=t, content_hash=content_hash(t)) for t in texts
    ]
    return Item.objects.bulk_create(items)
