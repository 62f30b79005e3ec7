"""The one vote stream: every read of a project's annotations as votes goes through here, for the
agreement figures (``quality_selectors``) and for version builds (curation), and the reviews' verdicts.

A vote is ``(item_id, author_key, label)``; ``author_key`` is ``annotation.models.author_key`` (one
string per author, shared by all their votes: a million votes by a few hundred authors then hold a few
hundred strings, not a million; measured 72 MB against 129 MB for 1M votes). Rows are streamed with a
server-side cursor on PostgreSQL (``.iterator``), so 1M annotations never sit in memory as models.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator

from annotation.models import Annotation, Review, author_key

CHUNK = 20_000

Vote = tuple[int, str, str]


def _annotation_rows(*, project_id: int, included_only: bool, ordered: bool, field: str) -> Iterator[tuple]:
    """``(item_id, author_key, <field>, lead_time_ms)`` for every current annotation of the project (each person's
    latest revision: ``Annotation.objects``). ``included_only`` leaves out items cleaning excluded; ``ordered`` yields
    in annotation id order (a version build's order), else in whatever order is cheapest."""
    rows = Annotation.objects.filter(project_id=project_id)
    if included_only:
        rows = rows.filter(item__excluded_reason="")
    rows = rows.order_by("id") if ordered else rows.order_by()
    keys: dict[tuple[int | None, str], str] = {}
    for item_id, annotator_id, source, answer, lead_time in rows.values_list(
        "item_id", "annotator_id", "source", field, "lead_time_ms"
    ).iterator(chunk_size=CHUNK):
        key = keys.get((annotator_id, source))
        if key is None:
            key = keys[annotator_id, source] = author_key(annotator_id, source)
        yield item_id, key, answer, lead_time


def vote_stream(*, project_id: int, included_only: bool, ordered: bool) -> Iterator[tuple[int, str, str, int | None]]:
    """``(item_id, author_key, label, lead_time_ms)`` (``_annotation_rows``; label "" for multilabel and span
    annotations)."""
    return _annotation_rows(project_id=project_id, included_only=included_only, ordered=ordered, field="label")


def labelled_votes(*, project_id: int, labels: Iterable[str]) -> tuple[list[Vote], int]:
    """The single-label votes on the project's included items, in annotation id order, and how many
    were dropped because their label is no longer one of ``labels`` (what a version build counts)."""
    allowed = set(labels)
    votes: list[Vote] = []
    dropped = 0
    for item_id, key, label, _ in vote_stream(project_id=project_id, included_only=True, ordered=True):
        if not label:
            continue
        if label not in allowed:
            dropped += 1
            continue
        votes.append((item_id, key, label))
    return votes, dropped


def value_stream(
    *, project_id: int, included_only: bool, ordered: bool
) -> Iterator[tuple[int, str, dict, int | None]]:
    """``(item_id, author_key, value, lead_time_ms)``: ``vote_stream``'s rows with the whole value (multilabel and
    span annotations have no single label)."""
    return _annotation_rows(project_id=project_id, included_only=included_only, ordered=ordered, field="value")


def value_content(task_type: str, value) -> tuple | None:
    """A multilabel or span value as a hashable vote: the labels ``("a", "c")`` or the spans
    ``((start, end, label), ...)``, sorted; None when the value is not of that task type's shape."""
    if not isinstance(value, dict):
        return None
    if task_type == "multilabel":
        labels = value.get("labels")
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            return None
        return tuple(sorted(set(labels)))
    if task_type == "spans":
        spans = value.get("spans")
        if not isinstance(spans, list):
            return None
        try:
            return tuple(sorted({(int(s["start"]), int(s["end"]), str(s["label"])) for s in spans}))
        except (TypeError, KeyError, ValueError):
            return None
    return None


def _value_labels(task_type: str, content: tuple) -> set[str]:
    return set(content) if task_type == "multilabel" else {span[2] for span in content}


def value_votes(*, project_id: int, task_type: str, labels: Iterable[str]) -> tuple[list[tuple[int, str, tuple]], int]:
    """The multilabel or span votes on the project's included items, in annotation id order, as
    ``(item_id, author_key, content)`` (``value_content``: a tuple of labels, or of ``(start, end,
    label)``), and how many were dropped because they name a label the project no longer has (or are
    not of the task type's shape). What a version build of a multilabel or span project consolidates
    (``value_consolidation.consolidate_label_sets`` / ``consolidate_spans``)."""
    allowed = set(labels)
    votes: list[tuple[int, str, tuple]] = []
    dropped = 0
    for item_id, key, value, _ in value_stream(project_id=project_id, included_only=True, ordered=True):
        content = value_content(task_type, value)
        if content is None or not _value_labels(task_type, content) <= allowed:
            dropped += 1
            continue
        votes.append((item_id, key, content))
    return votes, dropped


def review_value_verdicts(*, project_id: int, task_type: str, labels: Iterable[str]) -> dict[int, tuple | None]:
    """``review_verdicts`` for multilabel and span projects: item_id → the corrected content of its
    latest review (``value_content``'s tuple) for "correct", None for "accept"; no entry after a
    send-back or an exclusion. A correction naming a label the project no longer has is ignored."""
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
            continue
        if verdict != Review.Verdict.CORRECT:
            latest[item_id] = None
            continue
        content = value_content(task_type, value)
        if content is not None and _value_labels(task_type, content) <= allowed:
            latest[item_id] = content
    return latest


def review_verdicts(*, project_id: int, labels: Iterable[str]) -> dict[int, str | None]:
    """item_id → the verdict of its latest review (reviews are append-only and the latest one is the
    item's verdict): the corrected label for "correct", None for "accept" (the consensus stands, now
    adjudicated). An item whose latest verdict is "send_back" (more annotations wanted) or "exclude"
    has no entry: its votes decide again, or it is out. Included items only; a correction to a label
    the project no longer has is ignored."""
    allowed = set(labels)
    latest: dict[int, str | None] = {}
    rows = (
        Review.objects.filter(project_id=project_id, item__excluded_reason="")
        .order_by("item_id", "created_at", "id")
        .values_list("item_id", "verdict", "label", "value")
        .iterator(chunk_size=CHUNK)
    )
    for item_id, verdict, label, value in rows:
        if verdict in (Review.Verdict.SEND_BACK, Review.Verdict.EXCLUDE):
            latest.pop(item_id, None)
            continue
        if verdict != Review.Verdict.CORRECT:
            latest[item_id] = None
            continue
        label = _review_label(label, value)
        if label in allowed:
            latest[item_id] = label
    return latest


def _review_label(label: str, value) -> str:
    """A review's single label: its column, or the ``label`` of its value (rows written before the
    column was filled)."""
    if not label and isinstance(value, dict):
        return str(value.get("label", ""))
    return label


def latest_reviews(*, project_id: int, item_ids: Iterable[int] | None = None) -> dict[int, tuple[str, str, int]]:
    """item_id → (verdict, label, review id) of each item's latest review (reviews are append-only and
    the latest one is the item's verdict); all the project's reviewed items, or those of ``item_ids``."""
    rows = Review.objects.filter(project_id=project_id).order_by("item_id", "created_at", "id")
    wanted = None if item_ids is None else list(item_ids)
    batches = [rows] if wanted is None else [
        rows.filter(item_id__in=wanted[start : start + 5000]) for start in range(0, len(wanted), 5000)
    ]
    latest: dict[int, tuple[str, str, int]] = {}
    for batch in batches:
        for item_id, verdict, label, value, review_id in batch.values_list("item_id", "verdict", "label", "value", "id"):
            latest[item_id] = (verdict, _review_label(label, value), review_id)
    return latest


def latest_corrections(*, project_id: int, item_ids: Iterable[int], labels: Iterable[str]) -> dict[int, tuple[str, int]]:
    """item_id → (corrected label, review id) for the given items whose latest review is a correction
    to one of ``labels`` (the ruler takes reviewers' corrections of its items, whether or not the item
    is excluded now)."""
    allowed = set(labels)
    return {
        item_id: (label, review_id)
        for item_id, (verdict, label, review_id) in latest_reviews(project_id=project_id, item_ids=item_ids).items()
        if verdict == Review.Verdict.CORRECT and label in allowed
    }


def changes_between(*, project_id: int, item_ids: Iterable[int], since, until) -> tuple[dict[int, dict], set[int]]:
    """What happened to the items between two moments (a version diff's causes): item_id → the latest
    review in the window ``{by, verdict}``, and the items that got a new annotation in it (an edit
    counts: its current revision was made then)."""
    wanted = list(item_ids)
    reviews: dict[int, dict] = {}
    annotated: set[int] = set()
    for start in range(0, len(wanted), 5000):
        batch = wanted[start : start + 5000]
        for item_id, username, verdict in (
            Review.objects.filter(project_id=project_id, item_id__in=batch, created_at__gt=since, created_at__lte=until)
            .order_by("item_id", "created_at", "id")
            .values_list("item_id", "reviewer__username", "verdict")
        ):
            reviews[item_id] = {"by": username, "verdict": verdict}
        annotated.update(
            Annotation.objects.filter(
                project_id=project_id, item_id__in=batch, created_at__gt=since, created_at__lte=until
            ).values_list("item_id", flat=True)
        )
    return reviews, annotated
