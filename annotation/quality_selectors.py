"""Agreement reads: a project's votes, its agreement report and per-annotator figures.

The figures themselves are computed by the pure cores (``annotation.agreement``, and
``annotation.consolidation.majority_vote`` for the consensus); this module only streams the rows.
"""
from __future__ import annotations

import numpy as np

from accounts.models import User
from annotation.agreement import (
    agreement_with_others,
    agreement_with_reference,
    rating_table,
    table_report,
)
from annotation.consolidation import majority_vote
from annotation.multilabel_agreement import multilabel_agreement
from annotation.span_agreement import span_agreement
from annotation.value_consolidation import consolidate_label_sets, consolidate_spans
from annotation.votes import value_content, value_stream, vote_stream
from projects.models import Item, Project, TaskType


def project_votes(*, project: Project) -> tuple[list[tuple[int, str, str]], dict[str, list[int | None]]]:
    """``(votes, lead_times)``: every annotation of the project as a vote ``(item_id, author_key, label)``
    (label "" for multilabel and span annotations), and each author's lead times (None where unknown).
    All annotations count, including those on excluded items (``annotation.votes.vote_stream``)."""
    votes: list[tuple[int, str, str]] = []
    lead_times: dict[str, list[int | None]] = {}
    for item_id, key, label, lead_time in vote_stream(project_id=project.id, included_only=False, ordered=False):
        votes.append((item_id, key, label))
        lead_times.setdefault(key, []).append(lead_time)
    return votes, lead_times


def author_names(keys) -> dict[str, str]:
    """Display names: our users' username, external annotators' source name (one query for users)."""
    user_ids = [int(k[5:]) for k in keys if k.startswith("user:")]
    usernames = dict(User.objects.filter(id__in=user_ids).values_list("id", "username")) if user_ids else {}
    return {k: usernames.get(int(k[5:]), k) if k.startswith("user:") else k[len("source:"):] for k in keys}


def _median(values: list[int | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(np.median(known)) if known else None


def project_agreement(*, project: Project, level: str = "nominal", weights: str | None = None) -> dict:
    """The agreement report of ``annotation.agreement`` with display names, plus ``annotators``:
    ``[{annotator, key, items, median_lead_time_ms, agreement_with_consensus, agreement_with_others,
    items_compared}]``, most items first.

    ``agreement_with_consensus``: share of the annotator's items (those with >= 2 votes) whose
    majority-vote label (``consolidation.majority_vote``, the label a version build would keep) equals
    theirs. Their own vote is part of that majority, so ``agreement_with_others`` gives the leave-one-out
    view: the mean share of the other annotators' votes on their items that equal theirs. Both None
    when the annotator shares no item.

    ``level`` (Krippendorff's alpha) and ``weights`` (the pairwise Cohen kappas) go to
    ``agreement.table_report``, with the project's label order as the scale; ratio raises
    ``agreement.NonNumericLabels`` when a label is not a number."""
    if project.task_type != TaskType.CLASSIFICATION:
        return _value_agreement(project=project)
    votes, lead_times = project_votes(project=project)
    labelled = [v for v in votes if v[2]]
    table = rating_table(labelled, project.labels)
    report = table_report(table, level=level, weights=weights)
    consensus = majority_vote(labelled, table.labels) if labelled else {}
    with_consensus = agreement_with_reference(table, {item: c.label for item, c in consensus.items()})
    with_others = agreement_with_others(table)
    report.update(task_type=TaskType.CLASSIFICATION.value, masi_alpha=None, spans=None)
    for row in report["per_label"].values():
        row.update(exact_f1=None, overlap_f1=None, cohen_kappa=[], mean_cohen_kappa=None)
    report["annotators"] = _annotator_rows(report, lead_times, with_consensus, with_others)
    return report


def _annotator_rows(report: dict, lead_times: dict, with_consensus: dict, with_others: dict) -> list[dict]:
    """Display names into the report's pairs, and the per-annotator rows (most items first)."""
    names = author_names(lead_times)
    pair_lists = [report["cohen_kappa"], *(row.get("cohen_kappa") or [] for row in report["per_label"].values())]
    if report.get("spans"):
        pair_lists.append(report["spans"]["pairs"])
    for pairs in pair_lists:
        for row in pairs:
            row["a"], row["b"] = names[row["a"]], names[row["b"]]
    annotators = []
    for key, times in lead_times.items():
        consensus_share, compared = with_consensus.get(key, (None, 0))
        others_share, _ = with_others.get(key, (None, 0))
        annotators.append(
            {
                "annotator": names[key],
                "key": key,
                "items": len(times),
                "median_lead_time_ms": _median(times),
                "agreement_with_consensus": consensus_share,
                "agreement_with_others": others_share,
                "items_compared": compared,
            }
        )
    annotators.sort(key=lambda a: (-a["items"], a["annotator"]))
    return annotators


def _value_agreement(*, project: Project) -> dict:
    """``project_agreement`` of a multilabel or span project (``multilabel_agreement`` /
    ``span_agreement``; Krippendorff's alpha nominal and Cohen's kappa unweighted whatever was asked,
    echoed as such). Per annotator, ``agreement_with_consensus`` and ``agreement_with_others`` compare
    whole values exactly: the same label set, the same spans; the consensus is the majority of
    ``annotation.value_consolidation``."""
    task_type = project.task_type
    labels = list(project.labels)
    votes: list[tuple[int, str, tuple]] = []
    lead_times: dict[str, list[int | None]] = {}
    for item_id, key, value, lead_time in value_stream(project_id=project.id, included_only=False, ordered=False):
        lead_times.setdefault(key, []).append(lead_time)
        content = value_content(task_type, value)
        if content is not None:
            votes.append((item_id, key, content))
    if task_type == TaskType.MULTILABEL:
        report = multilabel_agreement(votes, labels)
        for row in report["per_label"].values():
            row.update(exact_f1=None, overlap_f1=None)
        report["spans"] = None
        known = [v for v in votes if set(v[2]) <= set(labels)]
        # value_content sorts label sets by name: the consensus is keyed the same way.
        consensus = {i: tuple(sorted(c.labels)) for i, c in consolidate_label_sets(known, labels).items()} if known else {}
    else:
        report = span_agreement(votes, labels, _texts(project.id, {v[0] for v in votes}))
        for row in report["per_label"].values():
            row.update(cohen_kappa=[], mean_cohen_kappa=None)
        report["masi_alpha"] = None
        known = [v for v in votes if {s[2] for s in v[2]} <= set(labels)]
        consensus = {
            i: tuple((s["start"], s["end"], s["label"]) for s in c.spans)
            for i, c in consolidate_spans(known, labels).items()
        } if known else {}
    report.update(task_type=str(task_type), krippendorff_level="nominal", cohen_kappa_weights="none")
    keys = {content: str(n) for n, content in enumerate(dict.fromkeys([*(v[2] for v in votes), *consensus.values()]))}
    table = rating_table([(i, a, keys[c]) for i, a, c in votes], list(keys.values()))
    with_consensus = agreement_with_reference(table, {i: keys[c] for i, c in consensus.items()})
    report["annotators"] = _annotator_rows(report, lead_times, with_consensus, agreement_with_others(table))
    return report


def _texts(project_id: int, item_ids: set[int]) -> dict[int, str]:
    wanted = sorted(item_ids)
    texts: dict[int, str] = {}
    for start in range(0, len(wanted), 5000):
        texts.update(Item.objects.filter(project_id=project_id, id__in=wanted[start : start + 5000]).values_list("id", "text"))
    return texts

