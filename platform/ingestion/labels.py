"""Turning a label cell of an imported row into an annotation value, or a row error."""
from __future__ import annotations

import json

from projects.models import TaskType


class LabelParser:
    """Checks imported labels against the project's labels.

    Classification: a string, or a one-element list (doccano, Label Studio), gives ``{"label": l}``.
    Multilabel: a list of strings (or one string, or a string holding a JSON list such as a CSV cell
    ``["a", "b"]``; a ``label_separator`` splits a string cell before this) gives ``{"labels": [...]}``
    in the project's label order. Spans: ``{"spans": [{start, end, label}]}`` as the readers give it,
    offsets already checked against the text (``readers.spans``), sorted by (start, end, label) with
    exact repeats folded; ``{"spans": []}`` is the answer "no entity". An empty cell (None, "", []) means
    "no label": the item is imported without an annotation. Anything else is a row error. Surrounding
    blanks are ignored, case is not (labels are names, "Positive" is not "positive").
    """

    def __init__(self, *, task_type: str, labels: list[str]):
        self.multilabel = task_type == TaskType.MULTILABEL
        self.spans = task_type == TaskType.SPANS
        self.labels = list(labels)
        self.allowed = set(labels)
        self._shown = ", ".join(repr(label) for label in self.labels[:20])

    def parse(self, raw) -> tuple[dict | None, str | None]:
        if raw is None or raw == "" or raw == []:
            return None, None
        if self.spans:
            return self._spans(raw)
        if isinstance(raw, str):
            raw = raw.strip()
            if not raw:
                return None, None
            if self.multilabel and raw.startswith("["):
                try:
                    listed = json.loads(raw)
                except ValueError:
                    return None, f"The label {raw!r} is not a JSON list of label names."
                if listed == []:
                    return None, None
                if not isinstance(listed, list) or not all(isinstance(v, str) for v in listed):
                    return None, f"The label {raw!r} is not a JSON list of label names."
                chosen = [v.strip() for v in listed]
            else:
                chosen = [raw]
        elif isinstance(raw, list) and all(isinstance(v, str) for v in raw):
            chosen = [v.strip() for v in raw]
        else:
            return None, f"The label {raw!r} is not a label name."
        unknown = [v for v in chosen if v not in self.allowed]
        if unknown:
            return None, f"The label {unknown[0]!r} is not one of the project's labels ({self._shown})."
        if self.multilabel:
            return {"labels": sorted(set(chosen), key=self.labels.index)}, None
        if len(chosen) != 1:
            return None, f"The row has {len(chosen)} labels; this project takes one label per item."
        return {"label": chosen[0]}, None

    def _spans(self, raw) -> tuple[dict | None, str | None]:
        if not isinstance(raw, dict) or set(raw) != {"spans"} or not isinstance(raw["spans"], list):
            return None, "The spans of this row are not {start, end, label} spans of its text."
        spans = set()
        for span in raw["spans"]:
            if not isinstance(span, dict) or set(span) != {"start", "end", "label"}:
                return None, "The spans of this row are not {start, end, label} spans of its text."
            start, end, label = span["start"], span["end"], span["label"]
            if type(start) is not int or type(end) is not int or not 0 <= start < end:
                return None, f"The span [{start!r}, {end!r}) has no valid offsets."
            if label not in self.allowed:
                return None, f"The span label {label!r} is not one of the project's labels ({self._shown})."
            spans.add((start, end, label))
        return {"spans": [{"start": s, "end": e, "label": label} for s, e, label in sorted(spans)]}, None
