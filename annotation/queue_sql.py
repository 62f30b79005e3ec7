"""The labeling hot path's SQL (PostgreSQL and SQLite): templates built once per shape and cached.

The claim and the submit are the hot path (bench target: next + submit p95 <= 25 ms with four
annotators), so their statements are SQL templates: building and compiling the same query through the
ORM cost 2.4 ms of CPU per claim here (loaded machine) against ~0.1 ms to fill a cached template. Table
and column names still come from the models. ``annotation.services`` runs them; the concurrency contract
they implement is in its docstring.
"""
from __future__ import annotations

import functools
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from annotation.models import Annotation, Lease, Skip, Suggestion, SuggestionJob
from annotation.strategies import ScrambledId, SuggestionMargin
from projects.models import Item

_ORDERABLE = {"id", "annotation_count"}


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def suggestion_join() -> str:
    """The item's suggestion from the project's current set (its succeeded suggestion job of the latest
    run: one probe of ``suggestion_job_current_idx``, evaluated once), if any, as ``s``; one param,
    the project. The job's move to succeeded publishes a whole set at once, so this never reads half of
    one. Every claim and resume joins it: the queue answers the suggestion with the item, at no extra
    round trip."""
    return (
        f" LEFT JOIN {table(Suggestion)} s ON s.item_id = i.id AND s.run_id = (SELECT MAX(j.run_id) FROM "
        f"{table(SuggestionJob)} j WHERE j.project_id = %s AND j.status = 'succeeded')"
    )


# The suggestion's fields beside the item's (None without one): annotation.apis renders them.
SUGGESTION_COLUMNS = "s.label AS suggestion_label, s.confidence AS suggestion_confidence, s.run_id AS suggestion_run"


def order_sql(term, vendor: str) -> str:
    if isinstance(term, SuggestionMargin):
        # Items with a suggestion first (false sorts before true; SQLite's 0 before 1), least margin first.
        return "(s.margin IS NULL), s.margin"
    if isinstance(term, ScrambledId):
        seed, multiplier, modulus = int(term.seed), int(term.multiplier), int(term.modulus)
        xor = f"(i.id # {seed})" if vendor == "postgresql" else f"((i.id | {seed}) - (i.id & {seed}))"
        return f"(({xor} * {multiplier}) %% {modulus})"
    if term.name not in _ORDERABLE:
        raise ValueError(f"a queue strategy may order by {sorted(_ORDERABLE)}, not {term.name!r}")
    return f"i.{term.name}"


@functools.lru_cache(maxsize=64)
def candidate_sql(vendor: str, terms: tuple, excluded: int, resumable_excluded: int) -> str:
    """The first item the user may be handed, locked, with its suggestion (``SUGGESTION_COLUMNS``),
    unless they hold a lease ``_lease_resume`` would return; params: project (the suggestion join),
    project, k, now, k, user, user, user, *excluded ids, then the resume guard's project, user, now,
    *ids excluded from resuming."""
    item, lease, skip, annotation = table(Item), table(Lease), table(Skip), table(Annotation)
    clauses = [
        # annotation_count < k is an index range on item_queue_idx: the scan ends where counts reach k.
        "i.project_id = %s AND i.excluded_reason = '' AND i.annotation_count < %s",
        f"i.annotation_count + (SELECT COUNT(*) FROM {lease} l WHERE l.item_id = i.id AND l.expires_at > %s) < %s",
        f"NOT EXISTS (SELECT 1 FROM {skip} s WHERE s.item_id = i.id AND s.user_id = %s)",
        # Their own leases, live or expired: resumed, or left until the sweep (one lease row per person).
        f"NOT EXISTS (SELECT 1 FROM {lease} m WHERE m.item_id = i.id AND m.user_id = %s)",
    ]
    # Never an item they annotated: with k = 1 one is out of range anyway, unless a reviewer sent it back
    # for one more annotation (its counter drops under k). One probe of annotation_once_per_user, whose
    # predicate the current-row test repeats (a person's revisions of an item always end in a current
    # one: they are only ever deleted all together).
    clauses.append(
        f"NOT EXISTS (SELECT 1 FROM {annotation} a WHERE a.item_id = i.id AND a.annotator_id = %s "
        "AND a.superseded_at IS NULL)"
    )
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
    order = ", ".join(order_sql(term, vendor) for term in terms)
    # FOR UPDATE OF i SKIP LOCKED: lock only the item row; rivals walk past each other's rows.
    lock = " FOR UPDATE OF i SKIP LOCKED" if vendor == "postgresql" else ""
    return (
        f"SELECT i.id, i.text, i.meta, i.annotation_count, {SUGGESTION_COLUMNS} FROM {item} i{suggestion_join()} WHERE "
        + " AND ".join(clauses)
        + f" ORDER BY {order} LIMIT 1{lock}"
    )


@functools.lru_cache(maxsize=8)
def lease_insert_sql(lazy_commit: bool) -> str:
    """Insert the lease only if, counted now, the item is still below k; params: project, item, user,
    expires_at, created_at, annotation_count, item, now, k. Returns the new id, or no row.

    ``lazy_commit`` (PostgreSQL, outermost transaction only): the inserted row also turns off
    ``synchronous_commit`` for this transaction (``set_config(..., true)`` is ``SET LOCAL``), so the
    lease commits without waiting for the WAL flush. In RETURNING rather than a statement of its own:
    one round trip fewer per claim, and only a transaction that did write a lease is affected.
    """
    lease = table(Lease)
    returning = "id, set_config('synchronous_commit', 'off', true)" if lazy_commit else "id"
    return (
        f"INSERT INTO {lease} (project_id, item_id, user_id, expires_at, created_at) SELECT %s, %s, %s, %s, %s "
        f"WHERE %s + (SELECT COUNT(*) FROM {lease} WHERE item_id = %s AND expires_at > %s) < %s RETURNING {returning}"
    )


@functools.lru_cache(maxsize=64)
def resume_sql(excluded: int) -> str:
    """The user's oldest live lease on an included item, with its suggestion; params: project (the
    suggestion join), project, user, now, *excluded ids."""
    not_in = f" AND l.item_id NOT IN ({', '.join(['%s'] * excluded)})" if excluded else ""
    return (
        "SELECT i.id, i.text, i.meta, i.annotation_count, l.id AS lease_id, l.expires_at AS lease_expires_at, "
        f"l.created_at AS lease_created_at, {SUGGESTION_COLUMNS} FROM {table(Lease)} l "
        f"JOIN {table(Item)} i ON i.id = l.item_id{suggestion_join()} "
        f"WHERE l.project_id = %s AND l.user_id = %s AND l.expires_at > %s AND i.excluded_reason = ''{not_in} "
        "ORDER BY l.id LIMIT 1"
    )


def db_datetime(value) -> datetime:
    """A timestamp read by a raw cursor: SQLite hands back UTC text without an offset."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value



@functools.cache
def annotation_insert_sql(*, fails_without_lease: bool = False) -> str:
    """Bump, consume, insert in ONE statement (PostgreSQL); params: item, user, now, project, user,
    value, label, lead_time_ms, now, now. Returns the annotation's id and lead time, or
    no row without a live lease (the caller rolls the bump back).

    The same steps, in the same order, as the three statements of the portable path: each CTE reads
    the one before (``USING bump``, ``FROM consumed``), so the item's row lock is taken before the
    lease is touched, and nothing is deleted or inserted when the item or the lease is missing.

    ``fails_without_lease``: instead of no row, the statement fails (division by zero, SQLSTATE 22012)
    when nothing was inserted, so that PostgreSQL undoes its bump itself: it can then run on its own
    in autocommit, without the BEGIN and COMMIT round trips (two of a submit's five).
    """
    item, lease, annotation = table(Item), table(Lease), table(Annotation)
    insert = (
        f"INSERT INTO {annotation} (project_id, item_id, annotator_id, source, value, label, lead_time_ms, created_at) "
        "SELECT %s, consumed.item_id, %s, '', %s, %s, COALESCE(%s, GREATEST(0, FLOOR(EXTRACT(EPOCH FROM "
        "(%s::timestamptz - consumed.created_at)) * 1000))::integer), %s FROM consumed RETURNING id, lead_time_ms"
    )
    steps = (
        f"WITH bump AS (UPDATE {item} SET annotation_count = annotation_count + 1 WHERE id = %s RETURNING id), "
        f"consumed AS (DELETE FROM {lease} l USING bump WHERE l.item_id = bump.id AND l.user_id = %s "
        "AND l.expires_at > %s RETURNING l.item_id, l.created_at)"
    )
    if not fails_without_lease:
        return f"{steps} {insert}"
    return (
        f"{steps}, made AS ({insert}) SELECT id, lead_time_ms FROM made UNION ALL "
        "SELECT NULL, (1 / (SELECT count(*) FROM made))::integer WHERE NOT EXISTS (SELECT 1 FROM made)"
    )
