"""The review loop's writes: what feeds the review queue, the queue's lease, flags and verdicts.

The queue is a table of open ``ReviewCandidate`` rows, one per (item, kind): version builds replace
the ``suspect``, ``low_confidence`` and ``disagreement`` rows of their project, a finished run replaces
the ``model_mistake`` rows, an annotator's flag adds a ``flagged`` row, and a new annotation that
disagrees with the item's others adds a ``disagreement`` row at once. A review of the item closes
every open row of it.

Concurrency: ``review_claim_next`` locks the chosen item row (``FOR UPDATE OF i SKIP LOCKED`` on
PostgreSQL) and upserts the reviewer's ``ReviewLease`` (``ON CONFLICT (item_id) DO UPDATE`` only over an
expired lease or one of their own): the lease's unique item is the last word, so two reviewers never hold the same item, even when one of them
judged the item free from a snapshot taken before the other committed. SQLite serialises writers.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from annotation.disagreement import value_disagreement
from annotation.models import Annotation, Flag, Review, ReviewCandidate, ReviewLease
from annotation.queue_sql import db_datetime, table
from annotation.values import invalid_value, value_clean, value_error_in
from annotation.votes import latest_reviews, value_content
from common.errors import Invalid
from common.rows import retry_on_deadlock
from projects.models import Item, Project, TaskType

Kind = ReviewCandidate.Kind
FLAG_SCORE = 2.0  # a person asked: reviewed before any statistical reason (scores of those are <= 1)
REVIEW_EXCLUDE_PREFIX = "review: "  # Item.excluded_reason of an item a reviewer excluded
_MAX_CLAIM_ROUNDS = 50


# ---------------------------------------------------------------------------------------------- feeding


def review_candidates_replace(*, project_id: int, kind: str, entries: Iterable[tuple[int, float, dict]]) -> int:
    """Make ``entries`` ``(item_id, score, detail)`` the project's open candidates of ``kind``,
    replacing the open ones (a new version's suspects replace the last one's). Items whose latest review
    is final (accept, correct, exclude) are left out: reviewed evidence never comes back by itself.
    Returns how many are open now."""
    final = _finally_reviewed(project_id)
    rows = [
        ReviewCandidate(project_id=project_id, item_id=item_id, kind=kind, score=float(score), detail=detail)
        for item_id, score, detail in entries
        if item_id not in final
    ]
    with transaction.atomic():
        ReviewCandidate.objects.filter(project_id=project_id, kind=kind, resolved_at__isnull=True).delete()
        ReviewCandidate.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _finally_reviewed(project_id: int) -> set[int]:
    """Items whose latest verdict is final: anything but a send-back (which asks for more votes)."""
    return {
        item_id for item_id, (verdict, _, _) in latest_reviews(project_id=project_id).items()
        if verdict != Review.Verdict.SEND_BACK
    }


def review_candidate_add(*, project_id: int, item_id: int, kind: str, score: float, detail: dict) -> None:
    """Open a candidate, or refresh the open one of the same kind (its detail and score)."""
    with transaction.atomic():
        updated = ReviewCandidate.objects.filter(item_id=item_id, kind=kind, resolved_at__isnull=True).update(
            score=score, detail=detail
        )
        if not updated:
            ReviewCandidate.objects.create(project_id=project_id, item_id=item_id, kind=kind, score=score, detail=detail)


def disagreement_check(*, item: Item, withdraw: bool = False) -> bool:
    """After a new annotation: open a ``disagreement`` candidate when the values of the item's current
    annotations (one per person) differ: single labels, label sets or spans
    (``annotation.disagreement``). Two queries. ``withdraw`` (after an edit): when they agree now, an
    open disagreement candidate of the item goes (no reviewer decided anything: it was simply settled),
    one query more."""
    rows = list(Annotation.objects.filter(item_id=item.id).values_list("label", "value"))
    if any(label for label, _ in rows):
        task_type, values = TaskType.CLASSIFICATION, [label for label, _ in rows if label]
    else:
        task_type = _task_type_of([value for _, value in rows])
        values = [value_content(task_type, value) for _, value in rows] if task_type else []
        values = [v for v in values if v is not None]
    found = value_disagreement(task_type, values) if task_type and len(values) > 1 else None
    if found is None:
        if withdraw:
            ReviewCandidate.objects.filter(item_id=item.id, kind=Kind.DISAGREEMENT, resolved_at__isnull=True).delete()
        return False
    score, detail = found
    review_candidate_add(project_id=item.project_id, item_id=item.id, kind=Kind.DISAGREEMENT, score=score, detail=detail)
    return True


def _task_type_of(values: list) -> str | None:
    """The task type an item's values are of, from their shape (no query for the project)."""
    for value in values:
        if isinstance(value, dict):
            if "labels" in value:
                return TaskType.MULTILABEL
            if "spans" in value:
                return TaskType.SPANS
    return None


def flag_create(*, item: Item, user: User, reason: str = "") -> Flag:
    """An annotator's flag: recorded, and the item goes to the review queue as ``flagged``."""
    reason = (reason or "").strip()[:500]
    with transaction.atomic():
        flag = Flag.objects.create(project_id=item.project_id, item=item, user=user, reason=reason)
        flags = list(
            Flag.objects.filter(item_id=item.id).order_by("id").values_list("user__username", "reason")
        )
        review_candidate_add(
            project_id=item.project_id, item_id=item.id, kind=Kind.FLAGGED, score=FLAG_SCORE,
            detail={"flags": [{"by": by, "reason": why} for by, why in flags[-20:]], "count": len(flags)},
        )
    return flag


# ------------------------------------------------------------------------------------------------ queue


@functools.lru_cache(maxsize=64)
def _candidate_sql(vendor: str, by_kind: bool, excluded: int) -> str:
    """The best open candidate's item that nobody else holds, locked; params: project, [kind], now,
    user, *excluded ids."""
    candidate, item, lease = table(ReviewCandidate), table(Item), table(ReviewLease)
    kind = " AND c.kind = %s" if by_kind else ""
    not_in = f" AND c.item_id NOT IN ({', '.join(['%s'] * excluded)})" if excluded else ""
    lock = " FOR UPDATE OF i SKIP LOCKED" if vendor == "postgresql" else ""
    return (
        f"SELECT i.id, i.text, i.meta FROM {candidate} c JOIN {item} i ON i.id = c.item_id "
        f"WHERE c.project_id = %s AND c.resolved_at IS NULL{kind} AND i.excluded_reason = '' "
        f"AND NOT EXISTS (SELECT 1 FROM {lease} l WHERE l.item_id = c.item_id AND l.expires_at > %s "
        f"AND l.user_id <> %s){not_in} ORDER BY c.score DESC, c.id LIMIT 1{lock}"
    )


@functools.lru_cache(maxsize=4)
def _lease_upsert_sql(lazy_commit: bool) -> str:
    """Take the item's lease unless someone else holds a live one; params: project, item, user,
    expires_at, created_at, now. Returns the lease id, or no row. ``lazy_commit`` (PostgreSQL, our own
    transaction): a lease is disposable, so its commit need not wait for the WAL flush (as the labeling
    queue's, ``queue_sql.lease_insert_sql``); verdicts stay durable."""
    lease = table(ReviewLease)
    returning = "id, set_config('synchronous_commit', 'off', true)" if lazy_commit else "id"
    return (
        f"INSERT INTO {lease} (project_id, item_id, user_id, expires_at, created_at) VALUES (%s, %s, %s, %s, %s) "
        f"ON CONFLICT (item_id) DO UPDATE SET user_id = excluded.user_id, expires_at = excluded.expires_at, "
        f"created_at = excluded.created_at WHERE {lease}.expires_at <= %s OR {lease}.user_id = excluded.user_id "
        f"RETURNING {returning}"
    )


def review_claim_next(
    *, project: Project, user: User, reason: str | None = None, exclude_ids: Iterable[int] = ()
) -> ReviewLease | None:
    """The reviewer's lease on the next item to review, or None when nothing is left.

    A live review lease the user already holds (on an item not in ``exclude_ids``, and with an open
    candidate of ``reason`` when given) is resumed, so a reload shows the same item; otherwise the item
    with the best open candidate (of ``reason``, when given) that no other reviewer holds is claimed.
    """
    if reason is not None and reason not in Kind.values:
        raise Invalid(gettext("reason must be one of %(choices)s.") % {"choices": ", ".join(Kind.values)},
                      code="invalid_reason", fields={"reason": [gettext("Unknown.")]})
    # PostgreSQL broke a lock cycle by aborting a claim once, in a loaded CI run with four reviewers:
    # nothing of it was written, so it is simply asked again.
    return _claim(project=project, user=user, reason=reason, exclude_ids=[int(i) for i in exclude_ids])


@retry_on_deadlock
def _claim(*, project: Project, user: User, reason: str | None, exclude_ids: list[int]) -> ReviewLease | None:
    now = timezone.now()
    resumed = _resume(project=project, user=user, reason=reason, exclude_ids=exclude_ids, now=now)
    if resumed is not None:
        return resumed
    expires_at = now + timedelta(seconds=settings.LEASE_SECONDS)
    lost: list[int] = []
    upsert = _lease_upsert_sql(connection.vendor == "postgresql" and not connection.in_atomic_block)
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(_MAX_CLAIM_ROUNDS):
            excluded = [*exclude_ids, *lost]
            params = [project.id, *([reason] if reason else []), now, user.id, *excluded]
            cursor.execute(_candidate_sql(connection.vendor, bool(reason), len(excluded)), params)
            row = cursor.fetchone()
            if row is None:
                return None
            cursor.execute(upsert, [project.id, row[0], user.id, expires_at, now, now])
            leased = cursor.fetchone()
            if leased is None:  # another reviewer committed a lease on it after our snapshot
                lost.append(row[0])
                continue
            lease = ReviewLease(id=leased[0], project_id=project.id, item_id=row[0], user=user,
                                expires_at=expires_at, created_at=now)
            meta = row[2]
            lease.item = Item(id=row[0], project=project, text=row[1], meta=json.loads(meta) if isinstance(meta, str) else meta)
            return lease
    raise RuntimeError(f"review_claim_next lost {_MAX_CLAIM_ROUNDS} rounds in a row")


def _resume(*, project, user, reason, exclude_ids, now) -> ReviewLease | None:
    held = ReviewLease.objects.filter(
        project_id=project.id, user=user, expires_at__gt=now, item__excluded_reason=""
    ).exclude(item_id__in=exclude_ids)
    open_candidates = ReviewCandidate.objects.filter(item_id=OuterRef("item_id"), resolved_at__isnull=True)
    if reason:
        open_candidates = open_candidates.filter(kind=reason)
    held = held.filter(Exists(open_candidates))
    lease = held.select_related("item").order_by("id").first()
    if lease is not None:
        lease.expires_at = db_datetime(lease.expires_at)
        lease.item.project = project
    return lease


# --------------------------------------------------------------------------------------------- verdicts


def review_create(*, item: Item, reviewer: User, verdict: str, value=None, reason: str = "") -> Review:
    """A reviewer's verdict, append-only (the latest one is the item's verdict):

    - ``accept``: the consensus stands (no value);
    - ``correct``: ``value`` is the adjudicated value, checked like an annotation;
    - ``exclude``: the item leaves future versions and the labeling queue (``reason`` says why);
    - ``send_back``: the item goes back to the labeling queue for one more annotation per send-back.

    Every verdict closes the item's open review candidates and releases the reviewer's lease; a verdict
    other than ``exclude`` restores an item an earlier review excluded."""
    if verdict not in Review.Verdict.values:
        raise Invalid(
            gettext("verdict must be one of %(choices)s.") % {"choices": ", ".join(Review.Verdict.values)},
            fields={"verdict": [gettext("Unknown.")]},
        )
    project = item.project
    label = ""
    if verdict == Review.Verdict.CORRECT:
        if value is None:
            raise invalid_value(gettext("A correction needs the corrected value."))
        try:
            value, label = value_clean(
                task_type=project.task_type, labels=project.labels, value=value, text=item.text,
                overlap=project.span_overlap,
            )
        except Invalid as exc:
            raise value_error_in(exc, gettext) from None
    elif value is not None:
        raise invalid_value(gettext("The %(verdict)s verdict takes no value.") % {"verdict": verdict})
    reason = (reason or "").strip()[:500]
    if verdict == Review.Verdict.EXCLUDE and not reason:
        raise Invalid(
            gettext("Say why the item is excluded."), code="reason_required", fields={"reason": [gettext("Required.")]}
        )
    return _review_write(item=item, reviewer=reviewer, verdict=verdict, value=value, label=label, reason=reason)


@retry_on_deadlock
def _review_write(*, item: Item, reviewer: User, verdict: str, value, label: str, reason: str) -> Review:
    project = item.project
    now = timezone.now()
    with transaction.atomic():
        review = Review.objects.create(
            project_id=item.project_id, item=item, reviewer=reviewer, verdict=verdict, value=value, label=label,
            reason=reason,
        )
        items = Item.objects.filter(id=item.id)
        if verdict == Review.Verdict.EXCLUDE:
            items.filter(excluded_reason="").update(excluded_reason=f"{REVIEW_EXCLUDE_PREFIX}{reason}"[:200])
        elif item.excluded_reason.startswith(REVIEW_EXCLUDE_PREFIX):  # the caller fetched the item: no query
            items.filter(excluded_reason__startswith=REVIEW_EXCLUDE_PREFIX).update(excluded_reason="")
        if verdict == Review.Verdict.SEND_BACK:
            # One more annotation: its counter drops under k (the votes all stay; the queue never hands
            # the item to someone who annotated it already).
            k = project.annotations_per_item
            items.update(annotation_count=Least(F("annotation_count"), max(k - 1, 0)))
        ReviewCandidate.objects.filter(item_id=item.id, resolved_at__isnull=True).update(resolved_at=now)
        ReviewLease.objects.filter(item_id=item.id).delete()
    return review


def review_leases_expire(*, now=None) -> int:
    deleted, _ = ReviewLease.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


__all__ = [
    "disagreement_check",
    "flag_create",
    "review_candidate_add",
    "review_candidates_replace",
    "review_claim_next",
    "review_create",
    "review_leases_expire",
]
