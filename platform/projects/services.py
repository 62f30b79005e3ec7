from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.roles import Role
from common.errors import Conflict, Invalid, NotFound
from projects.models import Membership, Project, TaskType


def content_hash(text: str) -> str:
    """The identity of an item's imported text within a project (sha256 of its UTF-8 bytes)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Invisible characters a pasted label carries at its ends; str.strip() already removes every Unicode
# space, the full-width (ideographic) U+3000 included, but not these.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
MAX_LABEL_LENGTH = 200  # Annotation.label and Review.label hold one


def label_name_clean(name: str) -> str:
    """A label name as stored: without surrounding spaces (ASCII, full-width U+3000 and every other
    Unicode space) or invisible zero-width characters. May be empty: the caller refuses that."""
    previous = None
    while previous != name:
        previous, name = name, name.strip().strip(_INVISIBLE)
    return name


def _validate_labels(labels: list[str]) -> list[str]:
    cleaned = [label_name_clean(label) for label in labels]
    if any(not label for label in cleaned):
        raise Invalid(_("Labels must not be empty."), fields={"labels": [_("A label is empty.")]})
    if any(len(label) > MAX_LABEL_LENGTH for label in cleaned):
        raise Invalid(
            _("A label is at most %(max)s characters.") % {"max": MAX_LABEL_LENGTH},
            fields={"labels": [_("A label is too long.")]},
        )
    if len(set(cleaned)) != len(cleaned):
        raise Invalid(_("Labels must be unique."), fields={"labels": [_("A label repeats.")]})
    return cleaned


# Who still uses a label. Apps that store labels (annotation) append here, from their AppConfig.ready,
# a function ``(project, labels) -> the ones of labels still in use``: projects may import none of them.
label_users: list[Callable[[Project, set[str]], set[str]]] = []


@transaction.atomic
def project_create(
    *,
    name: str,
    task_type: str,
    labels: list[str],
    created_by: User,
    guidelines: str = "",
    annotations_per_item: int = 1,
    span_overlap: bool = False,
) -> Project:
    if task_type not in TaskType.values:
        raise Invalid(_("Unknown task type %(task_type)r.") % {"task_type": task_type}, fields={"task_type": [_("Unknown.")]})
    project = Project.objects.create(
        name=name,
        task_type=task_type,
        labels=_validate_labels(labels),
        guidelines=guidelines,
        annotations_per_item=annotations_per_item,
        span_overlap=span_overlap,
        created_by=created_by,
    )
    # The creator manages what they create (admins included, so the project shows on their list).
    Membership.objects.create(project=project, user=created_by, role=Role.MANAGER)
    return project


def project_update(*, project: Project, check_labels: bool = True, **fields) -> Project:
    """Change the project's settings. A ``labels`` list may add and reorder labels; one that drops or
    renames a label some current annotation (or review) still uses is a Conflict ``labels_in_use``:
    that would silently drop their votes at the next version build, so such edits go through the
    label endpoints, which carry the annotations along (``annotation.labels``; they pass
    ``check_labels=False`` once they have). The project row is locked while labels change, so the
    labels compared are the current ones."""
    with transaction.atomic():
        if "labels" in fields:
            fields["labels"] = _validate_labels(fields["labels"])
            current = Project.objects.select_for_update().filter(id=project.id).values_list("labels", flat=True).first()
            gone = set(current or ()) - set(fields["labels"])
            if check_labels and gone:
                _refuse_labels_in_use(project, current, gone)
        for name, value in fields.items():
            setattr(project, name, value)
        project.save(update_fields=[*fields.keys(), "updated_at"])
    return project


def _refuse_labels_in_use(project: Project, current: list[str], gone: set[str]) -> None:
    in_use: set[str] = set()
    for users in label_users:
        in_use |= users(project, gone)
    if not in_use:
        return
    named = [label for label in current if label in in_use]
    message = ngettext(
        "Label %(labels)s is still used by current annotations or reviews; dropping it here would lose "
        "those votes. Use POST /api/v1/projects/%(project_id)s/labels/rename, /labels/merge or /labels/delete, "
        "which carry the annotations along.",
        "Labels %(labels)s are still used by current annotations or reviews; dropping them here would lose "
        "those votes. Use POST /api/v1/projects/%(project_id)s/labels/rename, /labels/merge or /labels/delete, "
        "which carry the annotations along.",
        len(named),
    ) % {"labels": ", ".join(repr(label) for label in named), "project_id": project.id}
    raise Conflict(
        message,
        code="labels_in_use",
        fields={"labels": [_("In use: %(labels)s.") % {"labels": ", ".join(named)}]},
    )


def project_delete(*, project: Project) -> None:
    project.delete()


def membership_add(*, project: Project, username: str, role: str) -> Membership:
    if role not in Role.values:
        raise _unknown_role(role)
    user = User.objects.filter(username=username).first()
    if user is None:
        raise Invalid(_("No user named %(username)r.") % {"username": username}, fields={"username": [_("No such user.")]})
    try:
        with transaction.atomic():
            return Membership.objects.create(project=project, user=user, role=role)
    except IntegrityError:
        raise Conflict(
            _("%(username)s is already a member of this project.") % {"username": username}, code="already_member"
        ) from None


def _unknown_role(role) -> Invalid:
    return Invalid(
        _("Unknown role %(role)r.") % {"role": role},
        fields={"role": [_("One of %(roles)s.") % {"roles": ", ".join(Role.values)}]},
    )


def _membership_locked(project: Project, username: str) -> Membership:
    """The member's row, the project row locked first: every change of a project's members runs one
    at a time, so the managers counted by ``_keep_a_manager`` are the current ones (two managers who
    demote each other at once leave one manager, not none)."""
    list(Project.objects.select_for_update().filter(id=project.id).values_list("id", flat=True))
    membership = Membership.objects.select_related("user").filter(project=project, user__username=username).first()
    if membership is None:
        raise NotFound(_("%(username)r is not a member of this project.") % {"username": username})
    return membership


def _keep_a_manager(membership: Membership, doing: str) -> None:
    if membership.role != Role.MANAGER:
        return
    if not Membership.objects.filter(project_id=membership.project_id, role=Role.MANAGER).exclude(id=membership.id).exists():
        if doing == "demoting":
            message = _("%(username)s is the project's last manager: make another member a manager before "
                        "demoting them.")
        else:
            message = _("%(username)s is the project's last manager: make another member a manager before "
                        "removing them.")
        raise Conflict(message % {"username": membership.user.username}, code="last_manager")


def membership_update(*, project: Project, username: str, role: str) -> Membership:
    """Give a member another role; it holds from their very next request (every request reads the
    role afresh: ``projects.access``). The last manager keeps theirs (Conflict ``last_manager``)."""
    if role not in Role.values:
        raise _unknown_role(role)
    with transaction.atomic():
        membership = _membership_locked(project, username)
        if role != Role.MANAGER:
            _keep_a_manager(membership, "demoting")
        if membership.role != role:
            membership.role = role
            membership.save(update_fields=["role", "updated_at"])
    return membership


def membership_remove(*, project: Project, username: str) -> None:
    """Take a member out of the project: from their next request it is not theirs (404). Their
    annotations and reviews stay: they are the project's data. Their leases go with the membership
    (annotation listens for the delete: ``annotation.signals``), so the items they held return to the
    queue at once. The last manager stays (Conflict ``last_manager``)."""
    with transaction.atomic():
        membership = _membership_locked(project, username)
        _keep_a_manager(membership, "removing")
        membership.delete()
