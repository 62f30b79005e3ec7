"""Annotation values: the shape each task type takes, checked and put in canonical form. Pure (no
Django): the labeling service, reviews and imports call it with the project's task type and labels.

    >>> value_clean(task_type="multilabel", labels=["a", "b", "c"], value={"labels": ["c", "a"]}, text="")
    ({'labels': ['a', 'c']}, '')
"""
from __future__ import annotations

from collections.abc import Sequence

from common.errors import Invalid

# The task types of projects.models.TaskType, by value (this module imports no Django).
CLASSIFICATION, MULTILABEL, SPANS = "classification", "multilabel", "spans"


def invalid_value(message: str, *, code: str = "invalid_value") -> Invalid:
    return Invalid(message, code=code, fields={"value": [message]})


def value_clean(*, task_type: str, labels: Sequence[str], value, text: str) -> tuple[dict, str]:
    """The value in canonical form and its single-label copy (``""`` unless classification).

    Shapes by task type: classification ``{"label": l}``; multilabel ``{"labels": [l, ...]}`` (distinct,
    may be empty: "none applies"); spans ``{"spans": [{start, end, label}]}`` with
    ``0 <= start < end <= len(text)``. Every label must be one of ``labels``. Invalid otherwise.
    """
    known_labels = set(labels)
    if not isinstance(value, dict):
        raise invalid_value("value must be an object such as {\"label\": \"positive\"}.")

    def known(label, where: str) -> str:
        if not isinstance(label, str) or label not in known_labels:
            raise invalid_value(f"{where} {label!r} is not one of this project's labels.", code="invalid_label")
        return label

    if task_type == CLASSIFICATION:
        if set(value) != {"label"}:
            raise invalid_value("A classification value is {\"label\": <one of the project's labels>}.")
        label = known(value["label"], "Label")
        return {"label": label}, label

    if task_type == MULTILABEL:
        chosen = value.get("labels")
        if set(value) != {"labels"} or not isinstance(chosen, list):
            raise invalid_value("A multilabel value is {\"labels\": [<labels of the project>]}.")
        cleaned = [known(label, "Label") for label in chosen]
        if len(set(cleaned)) != len(cleaned):
            raise invalid_value("A label repeats in labels.")
        order = {label: i for i, label in enumerate(labels)}
        return {"labels": sorted(cleaned, key=order.__getitem__)}, ""

    if task_type == SPANS:
        spans = value.get("spans")
        if set(value) != {"spans"} or not isinstance(spans, list):
            raise invalid_value("A spans value is {\"spans\": [{\"start\", \"end\", \"label\"}, ...]}.")
        cleaned = []
        for span in spans:
            if not isinstance(span, dict) or set(span) != {"start", "end", "label"}:
                raise invalid_value("Each span is {\"start\": int, \"end\": int, \"label\": str}.")
            start, end = span["start"], span["end"]
            if type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text):
                raise invalid_value(f"Span [{start!r}, {end!r}) is not within the text (0..{len(text)}).")
            cleaned.append({"start": start, "end": end, "label": known(span["label"], "Span label")})
        cleaned.sort(key=lambda s: (s["start"], s["end"], s["label"]))
        if any(a == b for a, b in zip(cleaned, cleaned[1:], strict=False)):
            raise invalid_value("A span repeats.")
        return {"spans": cleaned}, ""

    raise invalid_value(f"Task type {task_type!r} takes no annotations.")
