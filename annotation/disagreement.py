"""When an item's annotators disagree, for every task type: the review queue's ``disagreement`` reason.
Pure (no Django): the review services call it after an annotation, a version build for every item.

Definition: the annotators disagree when their values differ, i.e. not every current annotation of the
item has the same value: the same label (classification), the same label set (multilabel; an empty set,
"none of these", is a value like any other) or the same spans, exactly (spans). The score, higher
reviewed first, is ``1 - (largest group of identical values) / annotators`` for all three, so three
annotators split 2 against 1 score 1/3 whatever the task type.

Details (the reason's ``detail``): classification ``{"labels": {label: votes}}`` as always; multilabel
``{"chosen": {label: annotators who chose it}, "sets": [{"labels": [...], "votes": n}], "annotators": n}``;
spans ``{"spans": [{"start", "end", "label", "votes"}], "annotators": n}``, the spans that not every
annotator marked (at most ``MAX_SPANS``, the most marked first).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

MAX_SPANS = 50

__all__ = ["value_disagreement"]


def value_disagreement(task_type: str, values: Sequence) -> tuple[float, dict] | None:
    """``(score, detail)`` when ``values`` differ, else None (module docstring).

    ``values``: one per annotator: the label (classification), an iterable of labels (multilabel) or
    an iterable of ``(start, end, label)`` (spans).

    >>> value_disagreement("multilabel", [("a",), ("a", "b"), ("a",)])[0]
    0.33333333333333337
    >>> value_disagreement("spans", [((0, 4, "PER"),), ((0, 4, "PER"),)]) is None
    True
    """
    if task_type == "classification":
        counts = Counter(values)
        if len(counts) < 2:
            return None
        return 1 - max(counts.values()) / counts.total(), {"labels": dict(sorted(counts.items()))}
    groups = Counter(frozenset(tuple(v) if isinstance(v, list) else v for v in value) for value in values)
    if len(groups) < 2:
        return None
    n = len(values)
    score = 1 - max(groups.values()) / n
    if task_type == "multilabel":
        chosen = Counter(label for value, votes in groups.items() for label in value for _ in range(votes))
        sets = [{"labels": sorted(value), "votes": votes} for value, votes in groups.most_common()]
        return score, {"chosen": dict(sorted(chosen.items())), "sets": sets, "annotators": n}
    if task_type == "spans":
        marked = Counter(span for value, votes in groups.items() for span in value for _ in range(votes))
        disputed = sorted((span for span, votes in marked.items() if votes < n), key=lambda s: (-marked[s], s))
        spans = [{"start": s, "end": e, "label": label, "votes": marked[s, e, label]}
                 for s, e, label in disputed[:MAX_SPANS]]
        return score, {"spans": spans, "annotators": n}
    raise ValueError(f"unknown task type {task_type!r}")
