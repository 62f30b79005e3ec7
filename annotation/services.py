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

import functools
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from annotation.models import Annotation, Lease, Review, Skip
from annotation.strategies import FewestAnnotationsFirst, QueueStrategy, ScrambledId
from common.errors import Conflict, Invalid
from projects.models import Item, Project, TaskType

DEFAULT_STRATEGY = FewestAnnotationsFirst()

# A claim whose locked candidate lost the re-count (a rival leased it a moment earlier) tries the next
# one. Each lost round means a rival made progress, so this bound is only a guard against a bug.
_MAX_CLAIM_ROUNDS = 50


# ---------------------------------------------------------------------------------------------- values


def _invalid(message: str, *, code: str = "invalid_value") -> Invalid:
    return Invalid(message, code=code, fields={"value": [message]})


def annotation_value_clean(*, project: Project, value, text: str) -> tuple[dict, str]:
    """The value in canonical form and its single-label copy (``""`` unless classification).

    Shapes by task type: classification ``{"label": l}``; multilabel ``{"labels": [l, ...]}`` (distinct,
    may be empty: "none applies"); spans ``{"spans": [{start, end, label}]}`` with
    ``0 <= start < end <= len(text)``. Every label must be one of the project's. Invalid (400) otherwise.
    """
    labels = set(project.labels)
    if not isinstance(value, dict):
        raise _invalid("value must be an object such as {\"label\": \"positive\"}.")

    def known(label, where: str) -> str:
        if not isinstance(label, str) or label not in labels:
            raise _invalid(f"{where} {label!r} is not one of this project's labels.", code="invalid_label")
        return label

    if project.task_type == TaskType.CLASSIFICATION:
        if set(value) != {"label"}:
            raise _invalid("A classification value is {\"label\": <one of the project's labels>}.")
        label = known(value["label"], "Label")
        return {"label": label}, label

    if project.task_type == TaskType.MULTILABEL:
        chosen = value.get("labels")
        if set(value) != {"labels"} or not isinstance(chosen, list):
            raise _invalid("A multilabel value is {\"labels\": [<labels of the project>]}.")
        cleaned = [known(label, "Label") for label in chosen]
        if len(set(cleaned)) != len(cleaned):
            raise _invalid("A label repeats in labels.")
        order = {label: i for i, label in enumerate(project.labels)}
        return {"labels": sorted(cleaned, key=order.__getitem__)}, ""

    if project.task_type == TaskType.SPANS:
        spans = value.get("spans")
        if set(value) != {"spans"} or not isinstance(spans, list):
            raise _invalid("A spans value is {\"spans\": [{\"start\", \"end\", \"label\"}, ...]}.")
        cleaned = []
        for span in spans:
            if not isinstance(span, dict) or set(span) != {"start", "end", "label"}:
                raise _invalid("Each span is {\"start\": int, \"end\": int, \"label\": str}.")
            start, end = span["start"], span["end"]
            if type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text):
                raise _invalid(f"Span [{start!r}, {end!r}) is not within the text (0..{len(text)}).")
            cleaned.append({"start": start, "end": end, "label": known(span["label"], "Span label")})
        cleaned.sort(key=lambda s: (s["start"], s["end"], s["label"]))
        if any(a == b for a, b in zip(cleaned, cleaned[1:], strict=False)):
            raise _invalid("A span repeats.")
        return {"spans": cleaned}, ""

    raise _invalid(f"Task type {project.task_type!r} takes no annotations.")


# ----------------------------------------------------------------------------------------------- queue


# The claim is the hot path (bench target: next + submit p95 <= 25 ms with four annotators), so its
# statements are SQL templates built once per shape: building and compiling the same query through the
# ORM cost 2.4 ms of CPU per claim here (loaded machine) against ~0.1 ms to fill a cached template.
# Table and column names still come from the models.
_ORDERABLE = {"id", "annotation_count"}


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _order_sql(term, vendor: str) -> str:
    if isinstance(term, ScrambledId):
        seed, multiplier, modulus = int(term.seed), int(term.multiplier), int(term.modulus)
        xor = f"(i.id # {seed})" if vendor == "postgresql" else f"((i.id | {seed}) - (i.id & {seed}))"
        return f"(({xor} * {multiplier}) %% {modulus})"
    if term.name not in _ORDERABLE:
        raise ValueError(f"a queue strategy may order by {sorted(_ORDERABLE)}, not {term.name!r}")
    return f"i.{term.name}"


@functools.lru_cache(maxsize=64)
def _candidate_sql(vendor: str, terms: tuple, check_annotations: bool, excluded: int, resumable_excluded: int) -> str:
    """The first item the user may be handed, locked, unless they hold a lease ``_lease_resume`` would
    return; params: project, k, now, k, user, user, [user if check_annotations], *excluded ids, then
    the resume guard's project, user, now, *ids excluded from resuming."""
    item, lease, skip, annotation = _table(Item), _table(Lease), _table(Skip), _table(Annotation)
    clauses = [
        # annotation_count < k is an index range on item_queue_idx: the scan ends where counts reach k.
        "i.project_id = %s AND i.excluded_reason = '' AND i.annotation_count < %s",
        f"i.annotation_count + (SELECT COUNT(*) FROM {lease} l WHERE l.item_id = i.id AND l.expires_at > %s) < %s",
        f"NOT EXISTS (SELECT 1 FROM {skip} s WHERE s.item_id = i.id AND s.user_id = %s)",
        # Their own leases, live or expired: resumed, or left until the sweep (one lease row per person).
        f"NOT EXISTS (SELECT 1 FROM {lease} m WHERE m.item_id = i.id AND m.user_id = %s)",
    ]
    if check_annotations:
        # Only for k > 1: with k = 1 an item they annotated has annotation_count >= 1, out of range.
        clauses.append(f"NOT EXISTS (SELECT 1 FROM {annotation} a WHERE a.item_id = i.id AND a.annotator_id = %s)")
    if excluded:
        clauses.append(f"i.id NOT IN ({', '.join(['%s'] * excluded)})")
    # The resume guard: the conditions of _resume_sql, an uncorrelated sub-query evaluated once. With a
    # live lease to resume nothing is claimed (the caller then resumes it), so the common case, holding
    # none, costs no resume query of its own: one round trip fewer per claim.
    resumable_not_in = (
        f" AND g.item_id NOT IN ({', '.join(['%s'] * resumable_excluded)})" if resumable_excluded else ""
    )
    clauses.append(
        f"NOT EXISTS (SELECT 1 FROM {lease} g JOIN {item} gi ON gi.id = g.item_id WHERE g.project_id = %s "
        f"AND g.user_id = %s AND g.expires_at > %s AND gi.excluded_reason = ''{resumable_not_in})"
    )
    order = ", ".join(_order_sql(term, vendor) for term in terms)
    # FOR UPDATE OF i SKIP LOCKED: lock only the item row; rivals walk past each other's rows.
    lock = " FOR UPDATE OF i SKIP LOCKED" if vendor == "postgresql" else ""
    return (
        f"SELECT i.id, i.text, i.meta, i.annotation_count FROM {item} i WHERE "
        + " AND ".join(clauses)
        + f" ORDER BY {order} LIMIT 1{lock}"
    )


@functools.lru_cache(maxsize=8)
def _lease_insert_sql(lazy_commit: bool) -> str:
    """Insert the lease only if, counted now, the item is still below k; params: project, item, user,
    expires_at, created_at, annotation_count, item, now, k. Returns the new id, or no row.

    ``lazy_commit`` (PostgreSQL, outermost transaction only): the inserted row also turns off
    ``synchronous_commit`` for this transaction (``set_config(..., true)`` is ``SET LOCAL``), so the
    lease commits without waiting for the WAL flush. In RETURNING rather than a statement of its own:
    one round trip fewer per claim, and only a transaction that did write a lease is affected.
    """
    lease = _table(Lease)
    returning = "id, set_config('synchronous_commit', 'off', true)" if lazy_commit else "id"
    return (
        f"INSERT INTO {lease} (project_id, item_id, user_id, expires_at, created_at) SELECT %s, %s, %s, %s, %s "
        f"WHERE %s + (SELECT COUNT(*) FROM {lease} WHERE item_id = %s AND expires_at > %s) < %s RETURNING {returning}"
    )


@functools.lru_cache(maxsize=64)
def _resume_sql(excluded: int) -> str:
    """The user's oldest live lease on an included item; params: project, user, now, *excluded ids."""
    not_in = f" AND l.item_id NOT IN ({', '.join(['%s'] * excluded)})" if excluded else ""
    return (
        "SELECT i.id, i.text, i.meta, i.annotation_count, l.id AS lease_id, l.expires_at AS lease_expires_at, "
        f"l.created_at AS lease_created_at FROM {_table(Lease)} l JOIN {_table(Item)} i ON i.id = l.item_id "
        f"WHERE l.project_id = %s AND l.user_id = %s AND l.expires_at > %s AND i.excluded_reason = ''{not_in} "
        "ORDER BY l.id LIMIT 1"
    )


def _db_datetime(value) -> datetime:
    """A timestamp read by a raw cursor: SQLite hands back UTC text without an offset."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


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
    sql = _resume_sql(len(exclude_ids))
    item = next(iter(Item.objects.raw(sql, [project.id, user.id, now, *exclude_ids])), None)
    if item is None:
        return None
    return _lease_object(
        lease_id=item.lease_id,
        project=project,
        item=item,
        user=user,
        expires_at=_db_datetime(item.lease_expires_at),
        created_at=_db_datetime(item.lease_created_at),
    )


def item_claim_next(
    *,
    project: Project,
    user: User,
    exclude_ids: Iterable[int] = (),
    strategy: QueueStrategy = DEFAULT_STRATEGY,
) -> Lease | None:
    """The user's lease on the next item, or None when nothing is left for them.

    A live lease the user already holds (on an item not in ``exclude_ids``) is returned as is, so a page
    reload resumes the same item; ``exclude_ids`` lets a client that shows one item claim the following
    one ahead. Otherwise a new item is claimed atomically (see the module docstring): never one this user
    annotated, skipped or holds, never more than ``annotations_per_item`` people at once. The lease
    carries ``item`` (with id, text, meta, annotation_count) and expires after ``settings.LEASE_SECONDS``.
    """
    exclude_ids = [int(i) for i in exclude_ids]
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
    insert_sql = _lease_insert_sql(vendor == "postgresql" and not connection.in_atomic_block)
    with transaction.atomic(), connection.cursor() as cursor:
        for _ in range(_MAX_CLAIM_ROUNDS):
            excluded = [*exclude_ids, *lost]
            sql = _candidate_sql(vendor, strategy.order_terms(), k > 1, len(excluded), len(exclude_ids))
            params = [
                *(project.id, k, now, k, user.id, user.id, *([user.id] if k > 1 else []), *excluded),
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
    return True, _db_datetime(row[0])


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
        raise Conflict("You have already annotated this item.", code="already_annotated") from None
    # In memory only our own bump; concurrent annotations of the item are not reflected (no extra query).
    item.annotation_count += 1
    return annotation


@functools.cache
def _annotation_insert_sql() -> str:
    """Bump, consume, insert in ONE statement (PostgreSQL); params: item, user, now, project, user,
    value, label, lead_time_ms, now, now. Returns the annotation's id and lead time, or
    no row without a live lease (the caller rolls the bump back).

    The same steps, in the same order, as the three statements of the portable path: each CTE reads
    the one before (``USING bump``, ``FROM consumed``), so the item's row lock is taken before the
    lease is touched, and nothing is deleted or inserted when the item or the lease is missing.
    """
    item, lease, annotation = _table(Item), _table(Lease), _table(Annotation)
    return (
        f"WITH bump AS (UPDATE {item} SET annotation_count = annotation_count + 1 WHERE id = %s RETURNING id), "
        f"consumed AS (DELETE FROM {lease} l USING bump WHERE l.item_id = bump.id AND l.user_id = %s "
        "AND l.expires_at > %s RETURNING l.item_id, l.created_at) "
        f"INSERT INTO {annotation} (project_id, item_id, annotator_id, source, value, label, lead_time_ms, created_at) "
        "SELECT %s, consumed.item_id, %s, '', %s, %s, COALESCE(%s, GREATEST(0, FLOOR(EXTRACT(EPOCH FROM "
        "(%s::timestamptz - consumed.created_at)) * 1000))::integer), %s FROM consumed RETURNING id, lead_time_ms"
    )


def _annotation_insert_postgres(*, item: Item, user: User, value: dict, label: str, lead_time_ms, now) -> Annotation:
    """``annotation_create``'s transaction as BEGIN, one statement, COMMIT: three round trips, not five
    (the hot path: every submit). The commit stays durable (synchronous_commit untouched)."""
    db_value = Annotation._meta.get_field("value").get_db_prep_save(value, connection)
    params = [item.id, user.id, now, item.project_id, user.id, db_value, label, lead_time_ms, now, now]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_annotation_insert_sql(), params)
            row = cursor.fetchone()
            if row is None:
                raise _no_lease_conflict(item=item, user=user)  # rolls the bump back
    except IntegrityError:
        raise Conflict("You have already annotated this item.", code="already_annotated") from None
    annotation = Annotation.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "project_id", "item_id", "annotator_id", "source", "value", "label", "lead_time_ms", "created_at"],
        [row[0], item.project_id, item.id, user.id, "", value, label, row[1], now],
    )
    annotation.item, annotation.annotator = item, user
    return annotation


def _no_lease_conflict(*, item: Item, user: User) -> Conflict:
    if Annotation.objects.filter(item_id=item.id, annotator_id=user.id).exists():
        return Conflict("You have already annotated this item.", code="already_annotated")
    return Conflict(
        "You hold no live lease on this item (it expired or was never yours); ask for the next item.",
        code="no_live_lease",
    )


def item_skip(*, item: Item, user: User) -> None:
    """Never offer ``item`` to ``user`` again and release their lease. Idempotent."""
    with transaction.atomic():
        Skip.objects.bulk_create([Skip(project_id=item.project_id, item=item, user=user)], ignore_conflicts=True)
        Lease.objects.filter(item_id=item.id, user_id=user.id).delete()


def review_create(*, item: Item, reviewer: User, verdict: str, value=None) -> Review:
    """A reviewer's verdict: ``accept`` (no value) or ``correct`` with the adjudicated value, validated
    like an annotation. Reviews are append-only; the latest one is the item's verdict."""
    if verdict not in Review.Verdict.values:
        raise Invalid(f"verdict must be one of {', '.join(Review.Verdict.values)}.", fields={"verdict": ["Unknown."]})
    label = ""
    if verdict == Review.Verdict.CORRECT:
        if value is None:
            raise _invalid("A correction needs the corrected value.")
        value, label = annotation_value_clean(project=item.project, value=value, text=item.text)
    elif value is not None:
        raise _invalid("An accept verdict takes no value.")
    return Review.objects.create(
        project_id=item.project_id, item=item, reviewer=reviewer, verdict=verdict, value=value, label=label
    )


def leases_expire(*, now=None) -> int:
    """Delete expired leases (they already count for nothing; this frees their rows). Returns how many."""
    deleted, _ = Lease.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted

