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
from annotation.votes import vote_stream
from projects.models import Project


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
    votes, lead_times = project_votes(project=project)
    labelled = [v for v in votes if v[2]]
    table = rating_table(labelled, project.labels)
    report = table_report(table, level=level, weights=weights)
    consensus = majority_vote(labelled, table.labels) if labelled else {}
    with_consensus = agreement_with_reference(table, {item: c.label for item, c in consensus.items()})
    with_others = agreement_with_others(table)
    names = author_names(lead_times)
    for row in report["cohen_kappa"]:
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
    report["annotators"] = annotators
    return report

