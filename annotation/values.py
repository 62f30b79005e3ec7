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


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (`make messages` knows this name) and leaves it as it is: this
    module imports no Django; ``value_error_in`` gives its errors in the request's language."""
    return message


def invalid_value(message: str, *, code: str = "invalid_value", values: dict | None = None) -> Invalid:
    """Invalid naming the ``value`` field. With ``values``, ``message`` is a template filled with them;
    the template is kept on the error (``template``, ``values``) for ``value_error_in``."""
    text = message if values is None else message % values
    error = Invalid(text, code=code, fields={"value": [text]})
    error.template, error.values = message, values
    return error


def value_error_in(error: Invalid, gettext) -> Invalid:
    """An error of ``value_clean`` with its message through ``gettext`` (Django's, in the request's
    language): the callers in Django code re-raise this one."""
    template = getattr(error, "template", None)
    if template is None:
        return error
    message = gettext(template) if error.values is None else gettext(template) % error.values
    return Invalid(message, code=error.code, fields={"value": [message]})


def value_clean(
    *, task_type: str, labels: Sequence[str], value, text: str, overlap: bool = True
) -> tuple[dict, str]:
    """The value in canonical form and its single-label copy (``""`` unless classification).

    Shapes by task type: classification ``{"label": l}``; multilabel ``{"labels": [l, ...]}`` (distinct,
    may be empty: "none applies"); spans ``{"spans": [{start, end, label}]}`` with
    ``0 <= start < end <= len(text)``; with ``overlap`` False (the project's ``span_overlap``) no two
    spans may share a character. Every label must be one of ``labels``. Invalid otherwise.
    """
    known_labels = set(labels)
    if not isinstance(value, dict):
        raise invalid_value(gettext_noop("value must be an object such as {\"label\": \"positive\"}."))

    def known(label, where: str) -> str:
        if not isinstance(label, str) or label not in known_labels:
            if where == "span":
                message = gettext_noop("Span label %(label)r is not one of this project's labels.")
            else:
                message = gettext_noop("Label %(label)r is not one of this project's labels.")
            raise invalid_value(message, code="invalid_label", values={"label": label})
        return label

    if task_type == CLASSIFICATION:
        if set(value) != {"label"}:
            raise invalid_value(gettext_noop("A classification value is {\"label\": <one of the project's labels>}."))
        label = known(value["label"], "label")
        return {"label": label}, label

    if task_type == MULTILABEL:
        chosen = value.get("labels")
        if set(value) != {"labels"} or not isinstance(chosen, list):
            raise invalid_value(gettext_noop("A multilabel value is {\"labels\": [<labels of the project>]}."))
        cleaned = [known(label, "label") for label in chosen]
        if len(set(cleaned)) != len(cleaned):
            raise invalid_value(gettext_noop("A label repeats in labels."))
        order = {label: i for i, label in enumerate(labels)}
        return {"labels": sorted(cleaned, key=order.__getitem__)}, ""

    if task_type == SPANS:
        spans = value.get("spans")
        if set(value) != {"spans"} or not isinstance(spans, list):
            raise invalid_value(gettext_noop("A spans value is {\"spans\": [{\"start\", \"end\", \"label\"}, ...]}."))
        cleaned = []
        for span in spans:
            if not isinstance(span, dict) or set(span) != {"start", "end", "label"}:
                raise invalid_value(gettext_noop("Each span is {\"start\": int, \"end\": int, \"label\": str}."))
            start, end = span["start"], span["end"]
            if type(start) is not int or type(end) is not int or not 0 <= start < end <= len(text):
                raise invalid_value(
                    gettext_noop("Span [%(start)r, %(end)r) is not within the text (0..%(length)s)."),
                    values={"start": start, "end": end, "length": len(text)},
                )
            cleaned.append({"start": start, "end": end, "label": known(span["label"], "span")})
        cleaned.sort(key=lambda s: (s["start"], s["end"], s["label"]))
        if any(a == b for a, b in zip(cleaned, cleaned[1:], strict=False)):
            raise invalid_value(gettext_noop("A span repeats."))
        if not overlap:
            reach = None  # the span reaching furthest right so far
            for span in cleaned:
                if reach is not None and span["start"] < reach["end"]:
                    raise invalid_value(
                        gettext_noop(
                            "Spans [%(start_a)s, %(end_a)s) and [%(start_b)s, %(end_b)s) overlap; this project "
                            "does not allow overlapping spans."
                        ),
                        code="spans_overlap",
                        values={"start_a": reach["start"], "end_a": reach["end"],
                                "start_b": span["start"], "end_b": span["end"]},
                    )
                if reach is None or span["end"] > reach["end"]:
                    reach = span
        return {"spans": cleaned}, ""

    raise invalid_value(gettext_noop("Task type %(task_type)r takes no annotations."), values={"task_type": task_type})
