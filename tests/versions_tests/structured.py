"""Multilabel and span projects with annotations by several named sources (helpers, not tests)."""
from __future__ import annotations

from annotation.models import Annotation
from projects.models import Item, Project
from tests import factories

TOPICS = ("sport", "politics", "economy")
ENTITIES = ("PER", "LOC", "ORG")


def answer(item: Item, value: dict, source: str) -> Annotation:
    """An external annotator's current answer (an import of a labelled file stores these)."""
    return Annotation.objects.create(project_id=item.project_id, item=item, source=source, value=value, label="")


def span(text: str, needle: str, label: str, nth: int = 0) -> dict:
    """``{start, end, label}`` of the nth occurrence of ``needle`` in ``text`` (code points)."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return {"start": start, "end": start + len(needle), "label": label}


def multilabel_project(**fields) -> Project:
    return factories.make_project(task_type="multilabel", labels=TOPICS, **fields)


def spans_project(**fields) -> Project:
    return factories.make_project(task_type="spans", labels=ENTITIES, **fields)
