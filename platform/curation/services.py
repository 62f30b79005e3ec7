"""Versions: create (queued row, next number) and build (consolidate, split, snapshot, quality).

A build reads the project once, in id order and in batches (``values_list`` + ``iterator``, no query
per item). Votes are gathered whole because Dawid–Skene needs all of them at once: one
(item_id, author_key, label) tuple per annotation, ~150 MB per million annotations.

Every phase beats the job's heartbeat (``job_progress``) before it starts, the snapshot after each
batch and the quality report before each section and each fold of its noise estimate: the reaper
fails a build whose heartbeat is older than JOB_HEARTBEAT_STALE_SECONDS, and a big build's report
alone runs for minutes. A beat that finds the row no longer running stops the build.
"""
from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User
from annotation.agreement import agreement_report
from annotation.consolidation import consolidate
from annotation.item_selectors import labeled_item_exists
from annotation.review_services import review_candidates_replace
from annotation.votes import labelled_votes, review_verdicts
from cleaning.selectors import cleaning_figures
from common.errors import Conflict, Invalid
from common.jobs import job_claim, job_dispatch, job_fail_unexpected, job_progress, job_succeed
from common.storage import folder_delete, folder_publish, is_local
from curation.models import Consolidation, DatasetVersion
from curation.quality import ReportCancelled, quality_report, structured_quality_report
from curation.ruler import Ruler, ruler_for_build
from curation.selectors import snapshot_dir_for, snapshot_key
from curation.snapshot import SnapshotWriter, snapshot_table
from curation.splits import SplitAssigner, SplitError, split_validate
from curation.structured import (
    as_column,
    consolidate_structured,
    structured_item_exists,
    structured_reviews,
    structured_votes,
)
from ingestion.selectors import import_duplicates, import_unfinished
from projects.models import Item, Project, TaskType

logger = logging.getLogger(__name__)

BUILD_BATCH = 5_000  # items per database fetch and per progress beat


class _Cancelled(ReportCancelled):
    """The job row left `running` (cancelled or reaped) while we built (a ReportCancelled, so the
    quality report lets it through instead of recording it as a failed figure)."""


def version_create(
    *,
    project: Project,
    consolidation: str = Consolidation.MAJORITY,
    split: dict,
    seed: int = 0,
    name: str = "",
    created_by: User | None = None,
) -> DatasetVersion:
    """A queued version with the project's next number; its build is dispatched when the transaction
    commits. Raises Invalid (400) for an unknown consolidation or fractions that do not sum to 1, and
    Conflict (409 ``import_in_progress``) while an import of the project is queued or running: its items
    may be half there (an import is all or nothing only once it has finished); Conflict (409
    ``empty_version``) when no included item has a label yet (a vote with one of the project's labels,
    or a reviewer's correction): the build would succeed with nothing in it."""
    if consolidation not in Consolidation.values:
        raise Invalid(
            _("consolidation must be one of %(choices)s.") % {"choices": ", ".join(Consolidation.values)},
            fields={"consolidation": [_("Unknown method.")]},
        )
    try:
        fractions = split_validate(split)
    except SplitError as exc:
        raise Invalid(exc.message_in(_), fields={"split": [exc.message_in(_)]}) from None
    if project.task_type not in TaskType.values:
        raise Invalid(
            _("Versions are built for classification, multilabel and span projects only."),
            code="unsupported_task_type",
        )
    unfinished = import_unfinished(project_id=project.id)
    if unfinished is not None:
        raise Conflict(
            _("The import of %(file)s (#%(id)s) is still %(status)s; build the version once it has finished.")
            % {"file": repr(unfinished.file_name), "id": unfinished.id, "status": unfinished.status},
            code="import_in_progress",
        )
    structured = project.task_type != TaskType.CLASSIFICATION
    if not (structured_item_exists(project_id=project.id) if structured else labeled_item_exists(project=project)):
        raise Conflict(
            _("Nothing to version: no item of this project has a label yet. Label some items (or import a "
              "file with a label column), then build the version."),
            code="empty_version",
        )

    version = None
    for _attempt in range(5):
        try:
            with transaction.atomic():
                # The project row lock serialises numbering (PostgreSQL); SQLite serialises writers
                # anyway. The unique constraint is the last word, hence the retry.
                Project.objects.select_for_update().filter(id=project.id).values_list("id", flat=True).first()
                last = DatasetVersion.objects.filter(project=project).aggregate(n=Max("number"))["n"] or 0
                version = DatasetVersion.objects.create(
                    project=project,
                    number=last + 1,
                    name=name,
                    consolidation=consolidation,
                    split=fractions,
                    seed=seed,
                    created_by=created_by,
                )
            break
        except IntegrityError:
            continue
    if version is None:
        raise Conflict(_("Could not number the version; try again."))

    job_dispatch(version)
    return version


def _item_batches(project_id: int) -> Iterator[list[tuple[int, str]]]:
    rows = (
        Item.objects.filter(project_id=project_id, excluded_reason="")
        .order_by("id")
        .values_list("id", "text")
        .iterator(chunk_size=BUILD_BATCH)
    )
    while batch := list(islice(rows, BUILD_BATCH)):
        yield batch


def _phase(version: DatasetVersion, name: str, done: int) -> None:
    """Beat the heartbeat as phase ``name`` starts (logged at debug); _Cancelled once the row left running."""
    if not job_progress(job=version, done=done):
        raise _Cancelled
    logger.debug("version %s: %s", version.id, name)


def version_execute(*, version_id: int) -> DatasetVersion | None:
    """Claim the queued version and build it. Returns the version (succeeded, failed or cancelled), or
    None when it was not queued (another worker has it, or it was cancelled before it started).
    Any error fails the job with its message and leaves no snapshot folder behind."""
    version = job_claim(model=DatasetVersion, job_id=version_id)
    if version is None:
        return None
    try:
        _build(version)
    except _Cancelled:
        logger.info("version %s stopped: the job is no longer running", version.id)
    except Exception as exc:
        job_fail_unexpected(job=version, exc=exc, what="The version build")
    version.refresh_from_db()
    return version


@dataclass
class _Labels:
    """What a version's rows are labelled from: the votes, their consensus and the reviews' verdicts."""

    votes: list[tuple[int, str, str]]
    dropped: int  # votes whose label the project no longer has
    consensus: dict
    reviewed: dict[int, str | None]
    vote_count: dict[int, int]

    def final(self, item_id: int) -> tuple[str, float] | None:
        """The item's label and confidence, or None when it has no vote and no correction. A reviewer's
        verdict is final (confidence 1.0): a correction's label, or an accepted consensus."""
        found = self.consensus.get(item_id)
        if item_id in self.reviewed:
            label = self.reviewed[item_id] or (found.label if found else None)
            return (label, 1.0) if label is not None else None
        return (found.label, found.confidence) if found is not None else None


@dataclass
class _StructuredLabels(_Labels):
    """The same for multilabel and span projects: votes carry a value tuple (label set or spans),
    ``final`` answers ``(value tuple, confidence)``."""

    task_type: str = TaskType.MULTILABEL

    def final(self, item_id: int) -> tuple[tuple, float] | None:
        found = self.consensus.get(item_id)
        if item_id in self.reviewed:
            value = self.reviewed[item_id]
            if value is None:
                value = found.value if found else None
            return (value, 1.0) if value is not None else None
        return (found.value, found.confidence) if found is not None else None


def estimate_label_noise(*args, **kwargs):
    """``curation.noise.estimate_label_noise``, imported when a build first needs it: it pulls scikit-learn, pandas
    and cleanlab (about 90 MB), which no web process and no idle worker should hold."""
    from curation.noise import estimate_label_noise as estimate

    return estimate(*args, **kwargs)


def _gather_structured(version: DatasetVersion, labels: list[str], task_type: str) -> _StructuredLabels:
    project_id = version.project_id
    _phase(version, "votes", 0)
    votes, dropped = structured_votes(project_id=project_id, task_type=task_type, labels=labels)
    _phase(version, "consolidate", 0)
    consensus = consolidate_structured(votes, labels, task_type, version.consolidation)
    _phase(version, "reviews", 0)
    reviewed = structured_reviews(project_id=project_id, task_type=task_type, labels=labels)
    vote_count: dict[int, int] = {}
    for item_id, _author, _value in votes:
        vote_count[item_id] = vote_count.get(item_id, 0) + 1
    return _StructuredLabels(votes, dropped, consensus, reviewed, vote_count, task_type)


def _gather_labels(version: DatasetVersion, labels: list[str]) -> _Labels:
    project_id = version.project_id
    _phase(version, "votes", 0)
    votes, dropped = labelled_votes(project_id=project_id, labels=labels)
    _phase(version, "consolidate", 0)
    consensus = consolidate(votes, labels, version.consolidation)
    _phase(version, "reviews", 0)
    reviewed = review_verdicts(project_id=project_id, labels=labels)
    vote_count: dict[int, int] = {}
    for item_id, _author, _label in votes:
        vote_count[item_id] = vote_count.get(item_id, 0) + 1
    return _Labels(votes, dropped, consensus, reviewed, vote_count)


def _write_rows(version: DatasetVersion, writer: SnapshotWriter, found: _Labels, ruler: Ruler | None) -> tuple[int, int]:
    """Append every labelled, included item to the snapshot; returns how many items were read and how
    many ruler items were written. With a ruler, its items are the test split with the ruler's labels
    (confidence 1.0), and an item outside it that hashes to that split goes to train instead."""
    assign = SplitAssigner(version.split, version.seed)
    done = on_ruler = 0
    task_type = found.task_type if isinstance(found, _StructuredLabels) else TaskType.CLASSIFICATION
    for batch in _item_batches(version.project_id):
        ids, texts, out_labels, splits, confidences, annotations = [], [], [], [], [], []
        values: list = []
        for item_id, text in batch:
            split = assign(item_id)
            if ruler is not None and item_id in ruler.labels:
                final, split = (ruler.labels[item_id], 1.0), ruler.split
                on_ruler += 1
            else:
                final = found.final(item_id)
                if ruler is not None and split == ruler.split:
                    split = "train"
            if final is None:
                continue  # unlabeled: not in the version
            ids.append(item_id)
            texts.append(text)
            if task_type == TaskType.CLASSIFICATION:
                out_labels.append(final[0])
            else:
                out_labels.append(None)
                values.append(as_column(task_type, final[0]))
            splits.append(split)
            confidences.append(final[1])
            annotations.append(found.vote_count.get(item_id, 0))
        writer.append(
            ids, texts, out_labels, splits, confidences, annotations,
            label_sets=values if task_type == TaskType.MULTILABEL else None,
            spans=values if task_type == TaskType.SPANS else None,
        )
        done += len(batch)
        if not job_progress(job=version, done=done):
            raise _Cancelled
    writer.close_data()
    return done, on_ruler


def _quality(version: DatasetVersion, writer: SnapshotWriter, found: _Labels, labels: list[str], *,
             total: int, done: int) -> dict:
    _phase(version, "quality: cleaning", done)
    if isinstance(found, _StructuredLabels):
        quality = structured_quality_report(
            table=snapshot_table(writer.tmp_dir),
            labels=labels,
            task_type=found.task_type,
            votes=found.votes,
            method=version.consolidation,
            reviewed=len(found.reviewed),
            cleaning=cleaning_figures(project_id=version.project_id),
            agreement=agreement_report,
            unlabeled_items=total - writer.rows,
            on_phase=lambda name: _phase(version, f"quality: {name}", done),
        )
        quality["consolidation"]["dropped_votes"] = found.dropped  # annotations without the task's shape
        return quality
    quality = quality_report(
        table=snapshot_table(writer.tmp_dir),
        labels=labels,
        votes=found.votes,
        method=version.consolidation,
        reviewed=len(found.reviewed),
        cleaning=cleaning_figures(project_id=version.project_id),
        seed=version.seed,
        agreement=agreement_report,
        noise=estimate_label_noise,
        unlabeled_items=total - writer.rows,
        on_phase=lambda name: _phase(version, f"quality: {name}", done),
        reviewed_ids=frozenset(found.reviewed),
    )
    quality["consolidation"]["dropped_votes"] = found.dropped  # labels no longer in the project
    return quality


def _feed_review_queue(version: DatasetVersion, found: _Labels, suspects: list[dict], threshold: float) -> dict:
    """The version's evidence becomes the project's open review candidates: every label-noise suspect
    (ranked: the least self-confident first), every item whose consensus confidence is under the
    project's threshold, every item whose annotators disagree. Reviewed items are left out (by
    ``review_candidates_replace``). Returns the counts per kind."""
    project_id, number = version.project_id, version.number
    if isinstance(found, _StructuredLabels):
        return _feed_structured_review_queue(version, found, threshold)
    per_item: dict[int, dict[str, int]] = {}
    for item_id, _author, label in found.votes:
        per_item.setdefault(item_id, {})
        per_item[item_id][label] = per_item[item_id].get(label, 0) + 1
    disagreements = [
        (item_id, 1 - max(counts.values()) / sum(counts.values()), {"labels": counts, "version": number})
        for item_id, counts in per_item.items() if len(counts) > 1
    ]
    low = [
        (item_id, 1 - c.confidence, {"label": c.label, "confidence": c.confidence, "method": version.consolidation,
                                     "version": number})
        for item_id, c in found.consensus.items() if c.confidence < threshold and item_id not in found.reviewed
    ]
    ranked = [
        (s["item_id"], 1 - s["self_confidence"], {"given": s["given"], "suggested": s["suggested"],
                                                  "self_confidence": s["self_confidence"], "rank": rank,
                                                  "version": number})
        for rank, s in enumerate(suspects, start=1)
    ]
    return {
        "suspect": review_candidates_replace(project_id=project_id, kind="suspect", entries=ranked),
        "low_confidence": review_candidates_replace(project_id=project_id, kind="low_confidence", entries=low),
        "disagreement": review_candidates_replace(project_id=project_id, kind="disagreement", entries=disagreements),
    }


def _feed_structured_review_queue(version: DatasetVersion, found: _StructuredLabels, threshold: float) -> dict:
    """Multilabel and span versions feed the queue with disagreements (annotators' answers differ) and
    low-confidence consensus; they have no noise estimate, hence no suspects."""
    project_id, number = version.project_id, version.number
    answers: dict[int, set] = {}
    for item_id, _author, value in found.votes:
        answers.setdefault(item_id, set()).add(value)
    disagreements = [
        (item_id, 1 - found.consensus[item_id].confidence, {"answers": len(values), "version": number})
        for item_id, values in answers.items() if len(values) > 1
    ]
    low = [
        (item_id, 1 - c.confidence, {"confidence": c.confidence, "method": "majority", "version": number})
        for item_id, c in found.consensus.items() if c.confidence < threshold and item_id not in found.reviewed
    ]
    return {
        "suspect": review_candidates_replace(project_id=project_id, kind="suspect", entries=[]),
        "low_confidence": review_candidates_replace(project_id=project_id, kind="low_confidence", entries=low),
        "disagreement": review_candidates_replace(project_id=project_id, kind="disagreement", entries=disagreements),
    }


def _discard_snapshot(final_dir, key: str) -> None:
    """Remove a snapshot that will not be a version's: the local folder and whatever was stored."""
    shutil.rmtree(final_dir, ignore_errors=True)
    try:
        folder_delete(key)
    except Exception:  # the storage is unreachable: a folder without manifest is no snapshot anyway
        logger.warning("the stored snapshot %s could not be removed", key, exc_info=True)


def _build(version: DatasetVersion) -> None:
    project = version.project
    labels = [str(label) for label in project.labels]
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    total = Item.objects.filter(project_id=project.id, excluded_reason="").count()
    if not job_progress(job=version, done=0, total=total):
        raise _Cancelled
    structured = project.task_type != TaskType.CLASSIFICATION
    found = _gather_structured(version, labels, project.task_type) if structured else _gather_labels(version, labels)
    # The ruler (pinned evaluation set) holds single labels: classification only.
    ruler = None if structured else ruler_for_build(project_id=project.id, allowed_labels=labels)
    timings["consolidate"], mark = time.perf_counter() - mark, time.perf_counter()

    final_dir = snapshot_dir_for(project_id=project.id, number=version.number)
    _phase(version, "snapshot", 0)
    with SnapshotWriter(final_dir) as writer:
        done, on_ruler = _write_rows(version, writer, found, ruler)
        timings["snapshot"], mark = time.perf_counter() - mark, time.perf_counter()
        quality = _quality(version, writer, found, labels, total=total, done=done)
        suspects = quality.get("label_noise", {}).pop("all_suspects", [])
        quality["import_duplicates"] = import_duplicates(project_id=project.id)
        timings["quality"] = time.perf_counter() - mark
        quality["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
        _phase(version, "manifest", done)
        manifest = writer.finish(
            {
                "version": version.number,
                "version_id": version.id,
                "project": project.id,
                "task_type": str(project.task_type),
                "labels": labels,
                "consolidation": version.consolidation,
                "split": version.split,
                "seed": version.seed,
            }
        )
    key = snapshot_key(project_id=project.id, number=version.number)
    try:
        if not is_local():  # the filesystem storage has nothing to do: the build wrote in place
            _phase(version, "publish", done)
        folder_publish(final_dir, key)
    except BaseException:
        _discard_snapshot(final_dir, key)
        raise
    with transaction.atomic():
        succeeded = job_succeed(
            job=version,
            snapshot_path=key,
            content_hash=manifest["content_hash"],
            counts=manifest["counts"],
            quality=quality,
            ruler=ruler.summary(on_ruler) if ruler is not None else None,
            progress_done=done,
        )
        if succeeded:
            _feed_review_queue(version, found, suspects, project.review_threshold)
    if not succeeded:
        # Cancelled while the manifest was written: the version is not built, so neither is its snapshot.
        _discard_snapshot(final_dir, key)
        raise _Cancelled
