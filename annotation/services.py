"""Labeling writes: claim the next item (a lease), annotate, skip, review, expire leases.

Concurrency contract (the annotator queue):
- a claim locks the chosen item row (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent annotators
  walk past each other's rows instead of queueing behind them) and, holding that lock, inserts its lease
  with an ``INSERT … SELECT … WHERE annotation_count + live leases < k`` that counts again. The second
  count is needed: under READ COMMITTED the candidate SELECT judges leases with the snapshot taken when
  it started, and a rival that committed its lease just before we locked the row is invisible to it
  (that commit does not touch the item row, so PostgreSQL has nothing to re-check). Without it, four
  threads labelling 200 items with k = 1 handed 1 to 3 items to two people per run here; with it, none.
- an annotation bumps ``Item.annotation_count`` first (that UPDATE is the item's row lock), then consumes
  the lease and inserts, in one transaction; so a claim holding the lock and an annotation never
  interleave, and ``annotation_count + live leases`` never exceeds k. On PostgreSQL the three steps are
  one statement (chained CTEs, same order), the claim's resume check rides in its candidate query and
  its ``synchronous_commit`` switch in the lease INSERT: next costs BEGIN, candidate, insert, COMMIT and
  an annotation BEGIN, statement, COMMIT (was 6 and 5 round trips; the bench's 4-annotator next+submit
  went from 85 to 41 ms median, interleaved A/B on the loaded 2-core machine).
- unique constraints (one lease, one annotation, one skip per person and item) are the last word:
  an IntegrityError is a 409 or a resumed lease, never a 500 nor a duplicate.

On SQLite there are no row locks: the settings open every transaction with BEGIN IMMEDIATE, so claims
are serialised whole. Raw statements use RETURNING (SQLite >= 3.35).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DataError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from accounts.roles import CAN_ANNOTATE, CAN_MANAGE
from annotation import queue_sql
from annotation.models import Annotation, Lease, Skip
from annotation.review_services import disagreement_check
from annotation.strategies import QueueStrategy, strategy_for
from annotation.values import value_clean, value_error_in
from common.errors import Conflict, Forbidden, Invalid
from projects.models import Item, Project

# A claim whose locked candidate lost the re-count (a rival leased it a moment earlier) tries the next
# one. Each lost round means a rival made progress, so this bound is only a guard against a bug.
_MAX_CLAIM_ROUNDS = 50


# ---------------------------------------------------------------------------------------------- values


def annotation_value_clean(*, project: Project, value, text: str) -> tuple[dict, str]:
    """``annotation.values.value_clean`` with the project's task type and labels."""
    try:
        return value_clean(
            task_type=project.task_type, labels=project.labels, value=value, text=text, overlap=project.span_overlap
        )
    except Invalid as exc:
        raise value_error_in(exc, gettext) from None


# ----------------------------------------------------------------------------------------------- queue


def _lease_object(*, lease_id, project: Project, item: Item, user: User, expires_at, created_at) -> Lease:
    lease = Lease.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "project_id", "item_id", "user_id", "expires_at", "created_at"],
        [lease_id, project.id, item.id, user.id, expires_at, created_at],
    )
    lease.item, lease.user = item, user
    return lease


def _lease_resume(*, project: Project, user: User, exclude_ids: list[int], now) -> Lease | None:
    # A live lease implies no annotation and no skip by this user: both consume the lease.
    sql = queue_sql.resume_sql(len(exclude_ids))
    item = next(iter(Item.objects.raw(sql, [project.id, project.id, user.id, now, *exclude_ids])), None)
    if item is None:
        return None
    return _lease_object(
        lease_id=item.lease_id,
        project=project,
        item=item,
        user=user,
        expires_at=queue_sql.db_datetime(item.lease_expires_at),
        created_at=queue_sql.db_datetime(item.lease_created_at),
    )


def item_claim_next(
    *,
    project: Project,
    user: User,
    exclude_ids: Iterable[int] = (),
    strategy: QueueStrategy | None = None,
) -> Lease | None:
    """The user's lease on the next item, or None when nothing is left for them.

    A live lease the user already holds (on an item not in ``exclude_ids``) is returned as is, so a page
    reload resumes the same item; ``exclude_ids`` lets a client that shows one item claim the following
    one ahead. Otherwise a new item is claimed atomically (see the module docstring): never one this user
    annotated, skipped or holds, never more than ``annotations_per_item`` people at once. The lease
    carries ``item`` (with id, text, meta, annotation_count, and ``suggestion_label``,
    ``suggestion_confidence``, ``suggestion_run``: the project's current suggestion for it, or None)
    and expires after ``settings.LEASE_SECONDS``.
    The order is the project's ``queue_order`` (``strategies.strategy_for``) unless ``strategy`` is given.
    """
    exclude_ids = [int(i) for i in exclude_ids]
    if strategy is None:
        strategy = strategy_for(project.queue_order, annotator_id=user.id)
    for _ in range(2):  # a second round only after losing a same-user race (double click)
        now = timezone.now()
        try:
            # Claims nothing while the user holds a lease to resume (the candidate's resume guard).
            lease = _lease_claim(project=project, user=user, exclude_ids=exclude_ids, strategy=strategy, now=now)
        except IntegrityError:
            # The same user claimed the same item concurrently; their other request's lease is resumed.
            continue
        if lease is not None:
            return lease
        # Nothing claimed: either they hold a live lease (resumed here), or nothing is left for them.
        return _lease_resume(project=project, user=user, exclude_ids=exclude_ids, now=now)
    return _lease_resume(project=project, user=user, exclude_ids=exclude_ids, now=timezone.now())


def _lease_claim(*, project, user, exclude_ids, strategy, now) -> Lease | None:
    k = project.annotations_per_item
    vendor = connection.vendor
    lost: list[int] = []
    # A lease is disposable: lost in a crash, its item is simply offered again. So its commit need not
    # wait for the WAL flush (measured here: 8 ms median, 21 ms p95 for a durable commit against 0.2 ms
    # without). Only in a transaction of our own: a caller's other writes may need durability.
    insert_sql = queue_sql.lease_insert_sql(vendor == "postgresql" and not connection.in_atomic_block)
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(_MAX_CLAIM_ROUNDS):
            excluded = [*exclude_ids, *lost]
            sql = queue_sql.candidate_sql(vendor, strategy.order_terms(), len(excluded), len(exclude_ids))
            params = [
                *(project.id, project.id, k, now, k, user.id, user.id, user.id, *excluded),
                *(project.id, user.id, now, *exclude_ids),
            ]
            item = next(iter(Item.objects.raw(sql, params)), None)
            if item is None:
                return None
            # Holding the row lock, count again in a new statement, hence a fresh snapshot (module
            # docstring); annotation_count is current: FOR UPDATE returns the latest committed row.
            leased_at = timezone.now()
            expires_at = leased_at + timedelta(seconds=settings.LEASE_SECONDS)
            cursor.execute(
                insert_sql,
                [project.id, item.id, user.id, expires_at, leased_at, item.annotation_count, item.id, leased_at, k],
            )
            row = cursor.fetchone()
            if row is None:
                lost.append(item.id)
                continue
            return _lease_object(
                lease_id=row[0], project=project, item=item, user=user, expires_at=expires_at, created_at=leased_at
            )
    raise RuntimeError(f"item_claim_next lost {_MAX_CLAIM_ROUNDS} rounds in a row; is the queue query wrong?")


# ----------------------------------------------------------------------------------------- annotations


def _lease_consume(*, item_id: int, user_id: int, now) -> tuple[bool, datetime | None]:
    """Delete the user's live lease on the item in one statement; (found, its created_at)."""
    table = connection.ops.quote_name(Lease._meta.db_table)
    with connection.cursor() as cursor:
        # DELETE … RETURNING (PostgreSQL, SQLite >= 3.35): one round trip instead of SELECT + DELETE.
        cursor.execute(
            f"DELETE FROM {table} WHERE item_id = %s AND user_id = %s AND expires_at > %s RETURNING created_at",
            [item_id, user_id, now],
        )
        row = cursor.fetchone()
    if row is None:
        return False, None
    return True, queue_sql.db_datetime(row[0])


def annotation_create(*, item: Item, user: User, value, lead_time_ms: int | None = None) -> Annotation:
    """Record the user's annotation of ``item`` and consume their lease.

    Requires a live lease (409 ``no_live_lease``); one annotation per person and item (409
    ``already_annotated``); the value must fit the project (400, see ``annotation_value_clean``).
    ``lead_time_ms`` defaults to the time since the lease was taken. ``item.project`` should be fetched
    already (``item_for_user`` does) to save a query.
    """
    project = item.project
    clean, label = annotation_value_clean(project=project, value=value, text=item.text)
    now = timezone.now()
    if connection.vendor == "postgresql":
        annotation = _annotation_insert_postgres(
            item=item, user=user, value=clean, label=label, lead_time_ms=lead_time_ms, now=now
        )
        item.annotation_count += 1
        _after_annotation(item, label)
        return annotation
    try:
        with transaction.atomic():
            # The bump comes first: its UPDATE takes the item's row lock, serialising us with claims.
            Item.objects.filter(id=item.id).update(annotation_count=F("annotation_count") + 1)
            found, leased_at = _lease_consume(item_id=item.id, user_id=user.id, now=now)
            if not found:
                raise _no_lease_conflict(item=item, user=user)
            if lead_time_ms is None and leased_at is not None:
                lead_time_ms = max(0, int((now - leased_at).total_seconds() * 1000))
            annotation = Annotation.objects.create(
                project_id=project.id,
                item=item,
                annotator=user,
                value=clean,
                label=label,
                lead_time_ms=lead_time_ms,
            )
    except IntegrityError:
        raise Conflict(gettext("You have already annotated this item."), code="already_annotated") from None
    # In memory only our own bump; concurrent annotations of the item are not reflected (no extra query).
    item.annotation_count += 1
    _after_annotation(item, label)
    return annotation


def _after_annotation(item: Item, label: str) -> None:
    """A second opinion may disagree (a label, a label set, spans): the review queue hears of it at once.
    Nothing to do (no query) for the first annotation of an item, the common case with k = 1."""
    if item.annotation_count > 1:
        disagreement_check(item=item)


def _annotation_insert_postgres(*, item: Item, user: User, value: dict, label: str, lead_time_ms, now) -> Annotation:
    """``annotation_create`` as one statement: on its own in autocommit (one round trip: the statement
    fails, and so undoes its bump, when there is no live lease), or within the caller's transaction
    in a savepoint (the hot path, every submit, is the former). The commit stays durable
    (synchronous_commit untouched)."""
    db_value = Annotation._meta.get_field("value").get_db_prep_save(value, connection)
    params = [item.id, user.id, now, item.project_id, user.id, db_value, label, lead_time_ms, now, now]
    try:
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                try:
                    cursor.execute(queue_sql.annotation_insert_sql(fails_without_lease=True), params)
                except DataError as exc:
                    from psycopg.errors import DivisionByZero  # PostgreSQL only

                    if isinstance(exc.__cause__, DivisionByZero):  # nothing inserted, all undone
                        raise _no_lease_conflict(item=item, user=user) from None
                    raise
                row = cursor.fetchone()
        else:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(queue_sql.annotation_insert_sql(), params)
                row = cursor.fetchone()
                if row is None:
                    raise _no_lease_conflict(item=item, user=user)  # rolls the bump back
    except IntegrityError:
        raise Conflict(gettext("You have already annotated this item."), code="already_annotated") from None
    annotation = Annotation.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "project_id", "item_id", "annotator_id", "source", "value", "label", "lead_time_ms", "created_at",
         "superseded_at", "supersedes_id"],
        [row[0], item.project_id, item.id, user.id, "", value, label, row[1], now, None, None],
    )
    annotation.item, annotation.annotator = item, user
    return annotation


def _no_lease_conflict(*, item: Item, user: User) -> Conflict:
    if Annotation.objects.filter(item_id=item.id, annotator_id=user.id).exists():
        return Conflict(gettext("You have already annotated this item."), code="already_annotated")
    return Conflict(
        gettext("You hold no live lease on this item (it expired or was never yours); ask for the next item."),
        code="no_live_lease",
    )


def annotation_revise(
    *, annotation: Annotation, editor: User, role: str, value, lead_time_ms: int | None = None
) -> Annotation:
    """Edit an annotation: a new current row (same item, same author, the new value, ``supersedes`` =
    the old id) and the old row marked superseded, in one transaction. Append-only: nothing is
    overwritten, and ``Item.annotation_count`` does not move (still one annotation per person).

    ``role`` is the editor's role in the project ("admin" for site admins): its author (our user, with
    a role that annotates) may edit it, a manager or site admin may edit anyone's, imported ones too
    (Forbidden otherwise). ``annotation.item.project`` should be fetched already. The value is checked
    like a new annotation's (400). A row that is no longer current is a Conflict
    ``annotation_superseded`` naming the current one: of two concurrent edits of the same row one wins
    and the other gets that answer (the conditional UPDATE below waits for the winner's row lock on
    PostgreSQL and then finds the row superseded; SQLite serialises writers), and the unique current
    row per person and item is the last word. A new disagreement with the item's other votes reaches
    the review queue at once; an open disagreement the edit settled is withdrawn.
    """
    own = annotation.annotator_id is not None and annotation.annotator_id == editor.id
    if not (role in ("admin", *CAN_MANAGE) or (own and role in CAN_ANNOTATE)):
        raise Forbidden(gettext("Only its author or a project manager may edit an annotation."))
    item = annotation.item
    clean, label = annotation_value_clean(project=item.project, value=value, text=item.text)
    now = timezone.now()
    try:
        with transaction.atomic():
            # The default manager holds current rows only: this is "UPDATE … WHERE superseded_at IS NULL".
            if not Annotation.objects.filter(id=annotation.id).update(superseded_at=now):
                raise _superseded_conflict(annotation)
            revised = Annotation.objects.create(
                project_id=annotation.project_id,
                item_id=annotation.item_id,
                annotator_id=annotation.annotator_id,
                source=annotation.source,
                value=clean,
                label=label,
                lead_time_ms=lead_time_ms,
                supersedes_id=annotation.id,
            )
    except IntegrityError:
        raise _superseded_conflict(annotation) from None
    revised.item, revised.annotator = item, annotation.annotator if annotation.annotator_id else None
    disagreement_check(item=item, withdraw=True)
    return revised


def _superseded_conflict(annotation: Annotation) -> Conflict:
    current = (
        Annotation.objects.filter(
            item_id=annotation.item_id, annotator_id=annotation.annotator_id, source=annotation.source
        ).values_list("id", flat=True).first()
    )
    if current:
        message = gettext("Annotation %(id)s was edited already (annotation %(current)s is the current one); "
                          "edit the current one.")
    else:
        message = gettext("Annotation %(id)s was edited already (it was deleted since); edit the current one.")
    return Conflict(message % {"id": annotation.id, "current": current}, code="annotation_superseded")


def item_skip(*, item: Item, user: User) -> None:
    """Never offer ``item`` to ``user`` again and release their lease. Idempotent."""
    with transaction.atomic():
        Skip.objects.bulk_create([Skip(project_id=item.project_id, item=item, user=user)], ignore_conflicts=True)
        Lease.objects.filter(item_id=item.id, user_id=user.id).delete()


def leases_expire(*, now=None) -> int:
    """Delete expired leases (they already count for nothing; this frees their rows). Returns how many."""
    deleted, _ = Lease.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted

