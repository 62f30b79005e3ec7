"""Label schema edits that carry a project's annotations along: rename, merge, delete.

Changing ``Project.labels`` alone would silently drop every vote for a label that left it at the next
version build (a version keeps only votes whose label the project has). These edits rewrite what uses
the label, in one transaction with the new schema:

- current annotations: the value and the indexed ``label`` column (classification), the label lists
  (multilabel; distinct again after a merge) and span labels (spans; identical spans after a merge
  become one);
- reviews: a correction's value and label;
- open review candidates: the labels their detail names (suggestions, the disagreement's counts), so a
  reviewer working the queue is offered labels that exist.

History is never rewritten: version snapshots, run predictions and superseded annotation revisions keep
the names they were made with. A dry run counts the same rows and writes nothing (the settings page
shows the counts before the user confirms).

Deleting a label (a decision about the schema, not about the items):

- a classification annotation of that label is removed with its earlier revisions, and its item's
  ``annotation_count`` moves down, so the item goes back to the queue (also to the same person);
- a multilabel or span annotation loses that label (that span); one left empty stays, as an explicit
  "none of the labels";
- a review that corrected an item to that label (classification) is removed: a correction to a label
  that no longer exists says nothing about the item, so the item stands on its earlier review if it
  had one, or on its votes, and the next version build may send it to review again. Multilabel and
  span corrections lose the label like annotations;
- open review candidates lose the suggestion of that label; a disagreement that no longer holds
  (only one label left among its votes) is withdrawn.

Concurrency: the project row is locked for the edit, so two edits (or an edit and a PATCH of the
project's labels) run one after the other. An annotation checked against the old labels a moment
before the edit committed may be written just after it, so once the edit has committed, the same
rewrite runs again over the annotations and reviews made since shortly before it began (``SWEEP_BACK``).
"""
from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotation.imported import revision_chains_delete
from annotation.models import Annotation, Review, ReviewCandidate
from common.errors import Conflict, Invalid
from projects.models import Project, TaskType
from projects.services import MAX_LABEL_LENGTH, label_name_clean, project_update

logger = logging.getLogger(__name__)

BATCH = 2000
# How far before an edit began its second pass looks for annotations checked against the old labels:
# far longer than the moment between an annotation's check and its commit.
SWEEP_BACK = timedelta(minutes=1)

Mapping = dict[str, str | None]  # old label → new label, None: deleted
_DROP = object()  # a review candidate whose reason no longer holds


@dataclass
class _Counts:
    annotations: int = 0
    reviews: int = 0
    items: set[int] = field(default_factory=set)


# ------------------------------------------------------------------------------------------- the edits


def label_rename(*, project: Project, old: str, new: str, dry_run: bool = False) -> dict:
    """Rename ``old`` to ``new`` in place (same position). Invalid ``unknown_label`` when ``old`` is not
    a label; Conflict ``label_exists`` when ``new`` already is one (merge them instead)."""
    old, new = _name(old, "from"), _name(new, "to")

    def plan(labels: list[str]) -> tuple[list[str], Mapping]:
        _known(labels, [old], "from")
        if new == old:
            raise Invalid(
                _("from and to are the same label."), code="same_label", fields={"to": [_("Same as from.")]}
            )
        if new in labels:
            raise Conflict(
                _("The project already has a label %(new)r; merge %(old)r into it instead.") % {"new": new, "old": old},
                code="label_exists",
                fields={"to": [_("Exists already.")]},
            )
        return [new if label == old else label for label in labels], {old: new}

    return _edit(project=project, plan=plan, dry_run=dry_run)


def label_merge(*, project: Project, sources: Iterable[str], target: str, dry_run: bool = False) -> dict:
    """Merge ``sources`` into ``target``: every use of a source label becomes ``target``. ``target``
    may be a label already (it keeps its place; it may be one of the sources) or a new name (it takes
    the place of the first source). Invalid ``unknown_label`` for a source that is not a label."""
    names = list(dict.fromkeys(_name(source, "from") for source in sources))
    target = _name(target, "to")
    if not names:
        raise Invalid(_("Name the labels to merge."), fields={"from": [_("Empty.")]})

    def plan(labels: list[str]) -> tuple[list[str], Mapping]:
        _known(labels, names, "from")
        mapping: Mapping = {name: target for name in names if name != target}
        if not mapping:
            raise Invalid(_("Nothing to merge: from names only the target."), code="same_label",
                          fields={"from": [_("Only the target.")]})
        if target in labels:
            return [label for label in labels if label not in mapping], mapping
        merged: list[str] = []
        for label in labels:
            if label not in mapping:
                merged.append(label)
            elif target not in merged:
                merged.append(target)
        return merged, mapping

    return _edit(project=project, plan=plan, dry_run=dry_run)


def label_delete(*, project: Project, label: str, dry_run: bool = False) -> dict:
    """Delete ``label`` and what only it held (see the module docstring). Invalid ``unknown_label``
    when it is not a label, ``last_label`` when it is the only one."""
    label = _name(label, "label")

    def plan(labels: list[str]) -> tuple[list[str], Mapping]:
        _known(labels, [label], "label")
        if len(labels) == 1:
            raise Invalid(_("A project keeps at least one label; rename it instead."), code="last_label",
                          fields={"label": [_("The last label.")]})
        return [other for other in labels if other != label], {label: None}

    return _edit(project=project, plan=plan, dry_run=dry_run)


def labels_in_use(project: Project, labels: set[str]) -> set[str]:
    """The ones of ``labels`` that a current annotation or a review's correction of the project uses
    (registered with ``projects.services.label_users``: a PATCH of the labels may not drop them)."""
    wanted = set(labels)
    if project.task_type == TaskType.CLASSIFICATION:
        found = set(
            Annotation.objects.filter(project_id=project.id, label__in=sorted(wanted))
            .order_by().values_list("label", flat=True).distinct()
        )
    else:
        found = set()
        for value in Annotation.objects.filter(project_id=project.id).values_list("value", flat=True).iterator(
            chunk_size=BATCH
        ):
            found |= _value_labels(project.task_type, value) & wanted
            if found == wanted:
                return found
    for label, value in _corrections(project.id).values_list("label", "value"):
        found |= ({label} | _value_labels(project.task_type, value)) & wanted
    return found


# ------------------------------------------------------------------------------------------ machinery


def _name(value, where: str) -> str:
    name = label_name_clean(value) if isinstance(value, str) else ""
    if not name:
        raise Invalid(_("%(name)s needs a label name.") % {"name": where}, fields={where: [_("Empty.")]})
    if len(name) > MAX_LABEL_LENGTH:
        raise Invalid(
            _("A label is at most %(max)s characters.") % {"max": MAX_LABEL_LENGTH}, fields={where: [_("Too long.")]}
        )
    return name


def _known(labels: list[str], names: list[str], where: str) -> None:
    unknown = [name for name in names if name not in labels]
    if unknown:
        raise Invalid(
            _("The project has no label %(labels)s.") % {"labels": ", ".join(repr(name) for name in unknown)},
            code="unknown_label",
            fields={where: [_("Unknown: %(labels)s.") % {"labels": ", ".join(unknown)}]},
        )


def _edit(*, project: Project, plan: Callable[[list[str]], tuple[list[str], Mapping]], dry_run: bool) -> dict:
    if dry_run:
        labels, mapping = plan(list(project.labels))
        counts = _migrate(project, mapping, labels, write=False)
    else:
        started = timezone.now()
        with transaction.atomic():
            locked = Project.objects.select_for_update().get(id=project.id)
            labels, mapping = plan(list(locked.labels))
            counts = _migrate(locked, mapping, labels, write=True)
            project_update(project=locked, labels=labels, check_labels=False)
            transaction.on_commit(
                lambda: _sweep(locked, mapping, labels, since=started - SWEEP_BACK), robust=True
            )
        project.labels = labels
    return {
        "labels": labels,
        "annotations": counts.annotations,
        "reviews": counts.reviews,
        "items": len(counts.items),
        "dry_run": dry_run,
    }


def _migrate(project: Project, mapping: Mapping, labels: list[str], *, write: bool) -> _Counts:
    counts = _Counts()
    _annotations(project, mapping, labels, counts, write=write)
    _reviews(project, mapping, labels, counts, write=write)
    if write:
        _candidates(project, mapping)
    return counts


def _sweep(project: Project, mapping: Mapping, labels: list[str], *, since: datetime) -> None:
    """The second pass over annotations and reviews made since shortly before the edit (module
    docstring)."""
    with transaction.atomic():
        counts = _Counts()
        _annotations(project, mapping, labels, counts, write=True, since=since)
        _reviews(project, mapping, labels, counts, write=True, since=since)
    if counts.annotations or counts.reviews:
        logger.info("label edit of project %s: %d annotation(s) and %d review(s) written meanwhile carried along",
                    project.id, counts.annotations, counts.reviews)


def _annotations(
    project: Project, mapping: Mapping, labels: list[str], counts: _Counts, *, write: bool,
    since: datetime | None = None,
) -> None:
    rows = Annotation.objects.filter(project_id=project.id)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if project.task_type == TaskType.CLASSIFICATION:
        # The indexed label column finds them; one UPDATE per renamed label.
        affected = rows.filter(label__in=sorted(mapping))
        ids_items = list(affected.values_list("id", "item_id"))
        counts.annotations += len(ids_items)
        counts.items.update(item_id for _, item_id in ids_items)
        if not write:
            return
        for old, new in mapping.items():
            if new is not None:
                affected.filter(label=old).update(label=new, value={"label": new})
        deleted = [row_id for row_id, _ in ids_items] if None in mapping.values() else []
        for start in range(0, len(deleted), BATCH):
            revision_chains_delete(Annotation.objects.filter(id__in=deleted[start : start + BATCH]))
        return
    # Multilabel and spans keep their labels inside the value: found by a streamed pass (ids only kept),
    # then rewritten batch by batch, each batch read again (nothing is written while the pass streams).
    order = {label: position for position, label in enumerate(labels)}
    affected_ids = []
    for row_id, item_id, value in rows.values_list("id", "item_id", "value").iterator(chunk_size=BATCH):
        if _value_labels(project.task_type, value) & mapping.keys():
            affected_ids.append(row_id)
            counts.items.add(item_id)
    counts.annotations += len(affected_ids)
    if not write:
        return
    for start in range(0, len(affected_ids), BATCH):
        batch = Annotation.objects.filter(id__in=affected_ids[start : start + BATCH]).values_list("id", "value")
        rewritten = [
            Annotation(id=row_id, value=_value_rewrite(project.task_type, value, mapping, order))
            for row_id, value in batch
        ]
        Annotation.objects.bulk_update(rewritten, ["value"])


def _corrections(project_id: int):
    return Review.objects.filter(project_id=project_id, verdict=Review.Verdict.CORRECT)


def _reviews(
    project: Project, mapping: Mapping, labels: list[str], counts: _Counts, *, write: bool,
    since: datetime | None = None,
) -> None:
    order = {label: position for position, label in enumerate(labels)}
    rewritten: list[Review] = []
    deleted: list[int] = []
    rows = _corrections(project.id)
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    for review_id, item_id, label, value in rows.values_list("id", "item_id", "label", "value"):
        used = ({label} if label else set()) | _value_labels(project.task_type, value)
        if not used & mapping.keys():
            continue
        counts.reviews += 1
        counts.items.add(item_id)
        if project.task_type == TaskType.CLASSIFICATION:
            new = mapping[label if label in mapping else (value or {}).get("label")]
            if new is None:
                deleted.append(review_id)
            else:
                rewritten.append(Review(id=review_id, label=new, value={"label": new}))
        else:
            rewritten.append(Review(id=review_id, label=label,
                                    value=_value_rewrite(project.task_type, value, mapping, order)))
    if write:
        Review.objects.bulk_update(rewritten, ["label", "value"], batch_size=BATCH)
        for start in range(0, len(deleted), BATCH):
            Review.objects.filter(id__in=deleted[start : start + BATCH]).delete()


def _candidates(project: Project, mapping: Mapping) -> None:
    """Open review candidates name labels in their detail: rewrite them, or withdraw a disagreement
    that a merge or a deletion settled."""
    changed: list[ReviewCandidate] = []
    dropped: list[int] = []
    rows = ReviewCandidate.objects.filter(project_id=project.id, resolved_at__isnull=True)
    for candidate_id, kind, detail, score in rows.values_list("id", "kind", "detail", "score"):
        new = _detail_rewrite(kind, detail, mapping)
        if new is _DROP:
            dropped.append(candidate_id)
        elif new is not None:
            new_detail, new_score = new
            changed.append(ReviewCandidate(id=candidate_id, detail=new_detail, score=score if new_score is None else new_score))
    ReviewCandidate.objects.bulk_update(changed, ["detail", "score"], batch_size=BATCH)
    for start in range(0, len(dropped), BATCH):
        ReviewCandidate.objects.filter(id__in=dropped[start : start + BATCH]).delete()


def _detail_rewrite(kind: str, detail, mapping: Mapping):
    """(new detail, new score or None), None when untouched, or _DROP."""
    if not isinstance(detail, dict):
        return None
    new = dict(detail)
    touched = False
    for key in ("label", "given", "suggested", "predicted"):
        if isinstance(new.get(key), str) and new[key] in mapping:
            new[key] = mapping[new[key]]
            touched = True
    score = None
    votes = new.get("labels")
    if isinstance(votes, dict) and votes.keys() & mapping.keys():
        merged: Counter[str] = Counter()
        for label, n in votes.items():
            target = mapping[label] if label in mapping else label
            if target is not None:
                merged[target] += int(n)
        if kind == ReviewCandidate.Kind.DISAGREEMENT:
            if len(merged) < 2:
                return _DROP
            score = 1 - max(merged.values()) / merged.total()
        new["labels"] = dict(sorted(merged.items()))
        touched = True
    return (new, score) if touched else None


def _value_labels(task_type: str, value) -> set[str]:
    """Every label a value names."""
    if not isinstance(value, dict):
        return set()
    if task_type == TaskType.CLASSIFICATION:
        label = value.get("label")
        return {label} if isinstance(label, str) else set()
    if task_type == TaskType.MULTILABEL:
        return {label for label in value.get("labels") or () if isinstance(label, str)}
    return {span.get("label") for span in value.get("spans") or () if isinstance(span, dict)}


def _value_rewrite(task_type: str, value: dict, mapping: Mapping, order: dict[str, int]) -> dict:
    """A multilabel or spans value with ``mapping`` applied, in canonical form again (``values``:
    labels distinct in schema order; spans distinct and sorted)."""
    def mapped(label):
        return mapping[label] if label in mapping else label

    if task_type == TaskType.MULTILABEL:
        chosen = {mapped(label) for label in value.get("labels") or ()} - {None}
        return {"labels": sorted(chosen, key=lambda label: (order.get(label, len(order)), label))}
    spans = {
        (span["start"], span["end"], mapped(span["label"]))
        for span in value.get("spans") or ()
        if mapped(span["label"]) is not None
    }
    return {"spans": [{"start": start, "end": end, "label": label} for start, end, label in sorted(spans)]}
