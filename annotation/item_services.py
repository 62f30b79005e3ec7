"""Bulk actions on a project's items, from the item browser: exclude, restore, send to review, assign.

Set-based: the matched ids are read once (at most ``MAX_BULK_ITEMS``), then each write is one statement
per chunk of ``CHUNK`` ids (``INSERT … SELECT``, ``UPDATE … WHERE id IN``), never a statement per item:
10,000 items cost a dozen statements. Each action runs in one transaction: all of it or nothing.

- ``exclude``: a reviewer's exclusion, as ``review_create`` records one: a ``Review`` with verdict
  ``exclude`` (``reason``: the one given, or "excluded in bulk by <user>") and the item's
  ``excluded_reason`` set to "review: <reason>". Version builds, the labeling queue and the review
  queue leave excluded items out; the item's open review candidates close and its review lease goes.
  Items already excluded (by cleaning, or by a review) are left as they are, and not counted.
- ``restore``: undoes exclusions made by a review (a bulk one or ``review_create``'s), never a cleaning
  step's (those are undone by reverting the cleaning run, which writes the item's old values back).
  The item gets a new latest review that re-states the verdict it stood on before it was excluded:
  its latest ``accept`` or ``correct`` (with the correction) or ``send_back``, so a reviewer's
  correction comes back with the item; an item never reviewed otherwise gets ``send_back``, the
  verdict whose meaning is "no verdict: its votes decide" (``votes.review_verdicts``), without the
  extra annotation ``review_create``'s send-back asks for (its annotation count is left alone).
  ``reason``: the one given, or "restored in bulk by <user>".
- ``review``: a ``flagged`` review candidate ({"by", "bulk": true, "flags", "count"}, scored like an
  annotator's flag) for each included item that has no open flagged one: it enters the review queue.
- ``assign``: a lease for ``username`` (a member who may annotate) lasting
  ``DATAMOAT_ASSIGNMENT_HOURS``, on each included item with room (annotation count + live leases < k)
  that they have not annotated or skipped and do not hold. The queue resumes a person's live leases
  before claiming anything (``services.item_claim_next``) and counts leases against k, so the assignee
  gets these items next and, with k = 1, nobody else does. Their expired leases on the items are
  replaced.

Concurrency: exclude, restore and assign lock the matched item rows first (PostgreSQL, in id order),
as a claim and an annotation do one row at a time, so a lease counted here cannot race a claim's
(``services`` module docstring); SQLite serialises writers. Unique constraints (one open candidate per
item and kind, one lease per person and item) are the last word: ``ON CONFLICT DO NOTHING``, so two
bulk requests never duplicate rows and ``changed`` counts what this one wrote.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet, TextChoices
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import CAN_ANNOTATE, CAN_MANAGE
from annotation.models import Annotation, Lease, Review, ReviewCandidate, ReviewLease, Skip
from annotation.queue_sql import table
from annotation.review_services import FLAG_SCORE, REVIEW_EXCLUDE_PREFIX
from common.errors import Forbidden, Invalid, TooLarge
from common.rows import retry_on_deadlock
from projects.access import role_in
from projects.models import Item, Project

MAX_BULK_ITEMS = 10_000
CHUNK = 5_000  # ids per statement: well under SQLite's 32,766 variables and PostgreSQL's 65,535


class BulkAction(TextChoices):
    EXCLUDE = "exclude"
    RESTORE = "restore"
    REVIEW = "review"
    ASSIGN = "assign"


def items_bulk(
    *, project: Project, user: User, action: str, items: QuerySet[Item], username: str = "", reason: str = ""
) -> dict:
    """Apply ``action`` to the project's ``items`` (a queryset: some ids, or the item list's filters);
    ``{action, matched, changed}``: how many of the project's items matched, and how many the action
    changed (excluded, restored, sent to review, leased). ``project.user_role`` decides: managers and
    site admins do everything, reviewers only ``review`` (Forbidden otherwise). Invalid for an unknown
    action, or an ``assign`` without a member who may annotate; TooLarge past ``MAX_BULK_ITEMS``."""
    if action not in BulkAction.values:
        raise Invalid(_("action must be one of %(choices)s.") % {"choices": ", ".join(BulkAction.values)},
                      fields={"action": [_("Unknown.")]})
    if action != BulkAction.REVIEW and project.user_role not in ("admin", *CAN_MANAGE):
        raise Forbidden(_("Only managers exclude, restore or assign items in bulk; reviewers may send them to review."))
    reason = (reason or "").strip()[:500]
    assignee = _assignee(project=project, username=username) if action == BulkAction.ASSIGN else None
    ids = list(items.filter(project_id=project.id).order_by("id").values_list("id", flat=True)[: MAX_BULK_ITEMS + 1])
    if len(ids) > MAX_BULK_ITEMS:
        raise TooLarge(
            _("More than %(count)s items match; narrow the filter, or send them in several requests.")
            % {"count": f"{MAX_BULK_ITEMS:,}"},
            code="too_many_items",
        )
    if not ids:
        changed = 0
    elif action == BulkAction.EXCLUDE:
        changed = _exclude(project=project, user=user, ids=ids, reason=reason or f"excluded in bulk by {user.username}")
    elif action == BulkAction.RESTORE:
        changed = _restore(project=project, user=user, ids=ids, reason=reason or f"restored in bulk by {user.username}")
    elif action == BulkAction.REVIEW:
        changed = _send_to_review(project=project, user=user, ids=ids, reason=reason)
    else:
        changed = _assign(project=project, user=assignee, ids=ids)
    return {"action": action, "matched": len(ids), "changed": changed}


def _assignee(*, project: Project, username: str) -> User:
    username = (username or "").strip()
    if not username:
        raise Invalid(_("Say whom to assign the items to."), fields={"username": [_("Required for assign.")]})
    user = User.objects.filter(username=username, is_active=True).first()
    role = role_in(user=user, project=project) if user is not None else None
    if role not in ("admin", *CAN_ANNOTATE):
        raise Invalid(
            _("%(username)s is not an active member of this project who can annotate.") % {"username": repr(username)},
            code="not_an_annotator",
            fields={"username": [_("Not an active member who can annotate.")]},
        )
    return user


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _marks(ids: list[int]) -> str:
    return ", ".join(["%s"] * len(ids))


def _locked(items: QuerySet[Item]) -> list[int]:
    """The ids of ``items``, their rows locked until the transaction ends (PostgreSQL; in id order, so
    two bulk requests never wait on each other in a circle)."""
    return list(items.select_for_update().order_by("id").values_list("id", flat=True))


def _when(value):
    """A timestamp as the ORM writes it (raw statements write what Django's own inserts would)."""
    return connection.ops.adapt_datetimefield_value(value)


# --------------------------------------------------------------------------------- exclude, restore


@retry_on_deadlock
def _exclude(*, project: Project, user: User, ids: list[int], reason: str) -> int:
    now = timezone.now()
    excluded_reason = f"{REVIEW_EXCLUDE_PREFIX}{reason}"[:200]
    review = table(Review)
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(ids):
            targets = _locked(Item.objects.filter(id__in=chunk, excluded_reason=""))
            if not targets:
                continue
            cursor.execute(
                f"INSERT INTO {review} (project_id, item_id, reviewer_id, verdict, value, label, reason, created_at) "
                f"SELECT %s, i.id, %s, %s, NULL, '', %s, %s FROM {table(Item)} i WHERE i.id IN ({_marks(targets)})",
                [project.id, user.id, Review.Verdict.EXCLUDE, reason, _when(now), *targets],
            )
            Item.objects.filter(id__in=targets).update(excluded_reason=excluded_reason)
            ReviewCandidate.objects.filter(item_id__in=targets, resolved_at__isnull=True).update(resolved_at=now)
            ReviewLease.objects.filter(item_id__in=targets).delete()
            changed += len(targets)
    return changed


@retry_on_deadlock
def _restore(*, project: Project, user: User, ids: list[int], reason: str) -> int:
    now = timezone.now()
    review = table(Review)
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(ids):
            targets = _locked(Item.objects.filter(id__in=chunk, excluded_reason__startswith=REVIEW_EXCLUDE_PREFIX))
            if not targets:
                continue
            marks = _marks(targets)
            # Each item's standing verdict: its latest review other than an exclusion (one pass over the
            # items' reviews, ranked), re-stated as the new latest; send_back where there is none.
            cursor.execute(
                f"WITH standing AS (SELECT r.item_id, r.verdict, r.value, r.label, ROW_NUMBER() OVER "
                f"(PARTITION BY r.item_id ORDER BY r.created_at DESC, r.id DESC) AS n FROM {review} r "
                f"WHERE r.item_id IN ({marks}) AND r.verdict <> %s) "
                f"INSERT INTO {review} (project_id, item_id, reviewer_id, verdict, value, label, reason, created_at) "
                f"SELECT %s, i.id, %s, COALESCE(s.verdict, %s), s.value, COALESCE(s.label, ''), %s, %s "
                f"FROM {table(Item)} i LEFT JOIN standing s ON s.item_id = i.id AND s.n = 1 WHERE i.id IN ({marks})",
                [*targets, Review.Verdict.EXCLUDE, project.id, user.id, Review.Verdict.SEND_BACK, reason, _when(now),
                 *targets],
            )
            Item.objects.filter(id__in=targets).update(excluded_reason="")
            changed += len(targets)
    return changed


# ------------------------------------------------------------------------------------ review, assign


def _send_to_review(*, project: Project, user: User, ids: list[int], reason: str) -> int:
    detail = {
        "by": user.username,
        "bulk": True,
        # The shape of an annotator's flag (review_services.flag_create), so the review page explains it.
        "flags": [{"by": user.username, "reason": reason or "sent to review in bulk"}],
        "count": 1,
    }
    candidate = table(ReviewCandidate)
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(ids):
            cursor.execute(
                f"INSERT INTO {candidate} (project_id, item_id, kind, detail, score, created_at, resolved_at) "
                f"SELECT %s, i.id, %s, %s, %s, %s, NULL FROM {table(Item)} i "
                f"WHERE i.id IN ({_marks(chunk)}) AND i.excluded_reason = '' AND NOT EXISTS (SELECT 1 FROM "
                f"{candidate} c WHERE c.item_id = i.id AND c.kind = %s AND c.resolved_at IS NULL) "
                "ON CONFLICT DO NOTHING",
                [project.id, ReviewCandidate.Kind.FLAGGED, connection.ops.adapt_json_value(detail, None), FLAG_SCORE,
                 _when(timezone.now()), *chunk, ReviewCandidate.Kind.FLAGGED],
            )
            changed += cursor.rowcount
    return changed


@retry_on_deadlock
def _assign(*, project: Project, user: User, ids: list[int]) -> int:
    now = timezone.now()
    expires_at = now + timedelta(hours=settings.DATAMOAT_ASSIGNMENT_HOURS)
    lease, item = table(Lease), table(Item)
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(ids):
            targets = _locked(Item.objects.filter(id__in=chunk, excluded_reason=""))
            if not targets:
                continue
            # Their expired leases hold the (item, user) slot until the sweep: make room for the new ones.
            Lease.objects.filter(user_id=user.id, item_id__in=targets, expires_at__lte=now).delete()
            # The claim's room test (queue_sql.candidate_sql), counted with the item rows locked.
            cursor.execute(
                f"INSERT INTO {lease} (project_id, item_id, user_id, expires_at, created_at) "
                f"SELECT %s, i.id, %s, %s, %s FROM {item} i WHERE i.id IN ({_marks(targets)}) "
                f"AND i.annotation_count + (SELECT COUNT(*) FROM {lease} l WHERE l.item_id = i.id "
                "AND l.expires_at > %s) < %s "
                f"AND NOT EXISTS (SELECT 1 FROM {table(Skip)} s WHERE s.item_id = i.id AND s.user_id = %s) "
                f"AND NOT EXISTS (SELECT 1 FROM {table(Annotation)} a WHERE a.item_id = i.id AND a.annotator_id = %s "
                "AND a.superseded_at IS NULL) "
                f"AND NOT EXISTS (SELECT 1 FROM {lease} m WHERE m.item_id = i.id AND m.user_id = %s) "
                "ON CONFLICT DO NOTHING",
                [project.id, user.id, _when(expires_at), _when(now), *targets, _when(now),
                 project.annotations_per_item, user.id, user.id, user.id],
            )
            changed += cursor.rowcount
    return changed


__all__ = ["MAX_BULK_ITEMS", "BulkAction", "items_bulk"]
