"""Version builds of multilabel and span projects: their votes, reviews and a majority consolidation.

A structured vote is ``(item_id, author_key, value)`` where value is a label set (a tuple in project
label order; empty = "none of these") or a tuple of spans ``(start, end, label)`` (empty = no entity),
read from each person's current annotation (``Annotation.objects``).

Consolidation (majority, per element): a label (multilabel) or an exact span ``(start, end, label)``
(spans) is in the consolidated answer when more than half of the item's annotators chose it. The
confidence is the share of the item's annotators whose whole answer equals the consolidated one.
Dawid–Skene is not defined here for these shapes: a version asking for it uses the same majority and
says so in its quality report (``consolidation.method_used``).

This is the local entry point until ``annotation.consolidation`` has its own
``consolidate_multilabel``/``consolidate_spans``: ``consolidate_structured`` takes the same votes.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from annotation.models import Annotation, Review, author_key
from annotation.value_consolidation import consolidate_label_sets, consolidate_spans
from projects.models import TaskType

CHUNK = 20_000

Span = tuple[int, int, str]


@dataclass(frozen=True)
class StructuredConsensus:
    value: tuple  # label set (project order) or spans (sorted)
    confidence: float
    annotators: int


def _value_of(task_type: str, value, allowed: set[str]) -> tuple | None:
    """The canonical tuple of a stored value, or None when it has not the task type's shape. Labels the
    project no longer has are left out (their elements are dropped, the rest of the answer stands)."""
    if not isinstance(value, dict):
        return None
    if task_type == TaskType.MULTILABEL:
        chosen = value.get("labels")
        if not isinstance(chosen, list):
            return None
        return tuple(label for label in chosen if label in allowed)
    chosen = value.get("spans")
    if not isinstance(chosen, list):
        return None
    spans = {
        (int(s["start"]), int(s["end"]), str(s["label"]))
        for s in chosen
        if isinstance(s, dict) and s.get("label") in allowed and isinstance(s.get("start"), int)
        and isinstance(s.get("end"), int)
    }
    return tuple(sorted(spans))


def _ordered(task_type: str, elements: Iterable, labels: Sequence[str]) -> tuple:
    if task_type == TaskType.MULTILABEL:
        order = {label: i for i, label in enumerate(labels)}
        return tuple(sorted(elements, key=order.__getitem__))
    return tuple(sorted(elements))


def structured_votes(*, project_id: int, task_type: str, labels: Sequence[str]) -> tuple[list[tuple], int]:
    """The structured votes on the project's included items in annotation id order, and how many
    annotations were dropped (a value without the task type's shape)."""
    allowed = set(labels)
    votes: list[tuple] = []
    dropped = 0
    keys: dict[tuple[int | None, str], str] = {}
    rows = (
        Annotation.objects.filter(project_id=project_id, item__excluded_reason="")
        .order_by("id")
        .values_list("item_id", "annotator_id", "source", "value")
        .iterator(chunk_size=CHUNK)
    )
    for item_id, annotator_id, source, value in rows:
        found = _value_of(task_type, value, allowed)
        if found is None:
            dropped += 1
            continue
        key = keys.get((annotator_id, source))
        if key is None:
            key = keys[annotator_id, source] = author_key(annotator_id, source)
        votes.append((item_id, key, _ordered(task_type, found, labels)))
    return votes, dropped


def consolidate_structured(votes: Iterable[tuple], labels: Sequence[str], task_type: str,
                           method: str = "majority") -> dict[int, StructuredConsensus]:
    """item_id → its consensus by ``method`` per label (multi-label) or per exact span (spans): "majority" (kept
    by more than half of the item's annotators; exactly half is not kept) or "dawid_skene" (a binary model per
    label, or over every candidate span), from ``annotation.value_consolidation``. The confidence is the least
    sure of the item's decisions."""
    votes = list(votes)
    if task_type == TaskType.MULTILABEL:
        found = consolidate_label_sets(votes, labels, method)
        return {item: StructuredConsensus(_ordered(task_type, c.labels, labels), c.confidence, c.votes)
                for item, c in found.items()}
    found = consolidate_spans(votes, labels, method)
    return {item: StructuredConsensus(tuple((s["start"], s["end"], s["label"]) for s in c.spans), c.confidence, c.votes)
            for item, c in found.items()}


def structured_reviews(*, project_id: int, task_type: str, labels: Sequence[str]) -> dict[int, tuple | None]:
    """item_id → the corrected value (a tuple) of its latest review when it is a correction, None when
    it accepted the consensus; items whose latest verdict sends back or excludes have no entry (as
    ``annotation.votes.review_verdicts``). A correction without the task type's shape is ignored."""
    allowed = set(labels)
    latest: dict[int, tuple | None] = {}
    rows = (
        Review.objects.filter(project_id=project_id, item__excluded_reason="")
        .order_by("item_id", "created_at", "id")
        .values_list("item_id", "verdict", "value")
        .iterator(chunk_size=CHUNK)
    )
    for item_id, verdict, value in rows:
        if verdict in (Review.Verdict.SEND_BACK, Review.Verdict.EXCLUDE):
            latest.pop(item_id, None)
        elif verdict != Review.Verdict.CORRECT:
            latest[item_id] = None
        else:
            found = _value_of(task_type, value, allowed)
            if found is not None:
                latest[item_id] = _ordered(task_type, found, labels)
    return latest


def structured_item_exists(*, project_id: int) -> bool:
    """Whether a multilabel or span build would find an answer: any current annotation of an included
    item (an empty label set or no span is an answer too), or a correcting review."""
    if Annotation.objects.filter(project_id=project_id, item__excluded_reason="").exists():
        return True
    return Review.objects.filter(project_id=project_id, verdict=Review.Verdict.CORRECT,
                                 item__excluded_reason="").exists()


def as_column(task_type: str, value: tuple) -> list:
    """A consolidated tuple as the snapshot column's entry: a label list or span dicts."""
    if task_type == TaskType.MULTILABEL:
        return list(value)
    return [{"start": s, "end": e, "label": lab} for s, e, lab in value]
