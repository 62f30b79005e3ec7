"""Turning a label cell of an imported row into an annotation value, or a row error."""
from __future__ import annotations

from projects.models import TaskType


class LabelParser:
    """Checks imported labels against the project's labels.

    Classification: a string, or a one-element list (doccano, Label Studio), gives ``{"label": l}``.
    Multilabel: a list of strings (or one string) gives ``{"labels": [...]}``. An empty cell (None, "",
    []) means "no label": the item is imported without an annotation. Anything else is a row error.
    Surrounding blanks are ignored, case is not (labels are names, "Positive" is not "positive").
    """

    def __init__(self, *, task_type: str, labels: list[str]):
        self.multilabel = task_type == TaskType.MULTILABEL
        self.labels = list(labels)
        self.allowed = set(labels)
        self._shown = ", ".join(repr(label) for label in self.labels[:20])

    def parse(self, raw) -> tuple[dict | None, str | None]:
        if raw is None or raw == "" or raw == []:
            return None, None
        if isinstance(raw, str):
            raw = raw.strip()
            if not raw:
                return None, None
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
