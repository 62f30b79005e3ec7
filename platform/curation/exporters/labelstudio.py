"""Label Studio JSON: the tasks array that Label Studio's import takes, one task per row, streamed.

    [{"data": {"text": ..., "item_id": 12, "split": "train"},
      "annotations": [{"result": [...], "ground_truth": false}]}, ...]

Results use the labelling config Label Studio's templates name ``label`` (from_name) on ``text``
(to_name): classification and multilabel one ``choices`` result (``{"choices": [...]}``; multilabel with
the empty set ("none of these") has no result), spans one ``labels`` result per span with ``start``,
``end``, the covered ``text`` and ``labels: [label]``. Offsets are code points of the text (what the
backend uses everywhere; Label Studio counts the same for text without characters outside the BMP).
``labelstudio_config`` gives the matching labelling config.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from xml.sax.saxutils import quoteattr

from .batches import Batch, batch_columns

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
FROM_NAME, TO_NAME = "label", "text"


def labelstudio_result(task_type: str, text: str, label, labels, spans) -> list[dict]:
    if task_type == "spans":
        return [
            {"id": f"s{n}", "from_name": FROM_NAME, "to_name": TO_NAME, "type": "labels",
             "value": {"start": s["start"], "end": s["end"], "text": text[s["start"]:s["end"]], "labels": [s["label"]]}}
            for n, s in enumerate(spans or [])
        ]
    chosen = [label] if task_type == "classification" and label is not None else list(labels or [])
    if not chosen:
        return []
    return [{"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices", "value": {"choices": chosen}}]


def write_labelstudio(batches: Iterable[Batch], columns=None, *, task_type: str = "classification") -> Iterator[bytes]:
    """A JSON array: ``[`` first, one chunk of tasks per batch, ``]`` last (an empty export is ``[]``)."""
    yield b"["
    first = True
    for batch in batches:
        ids, texts, splits, labels_, label_sets, spans = batch_columns(
            batch, ["id", "text", "split", "label", "labels", "spans"])
        tasks = []
        for item_id, text, split, label, label_set, found in zip(ids, texts, splits, labels_, label_sets, spans,
                                                                 strict=True):
            task = {"data": {"text": text, "item_id": item_id, "split": split},
                    "annotations": [{"result": labelstudio_result(task_type, text, label, label_set, found),
                                     "ground_truth": False}]}
            tasks.append(_dumps(task))
        if tasks:
            yield (("" if first else ",") + ",\n".join(tasks)).encode("utf-8")
            first = False
    yield b"]\n"


def labelstudio_config(task_type: str, labels: Sequence[str]) -> str:
    """The labelling config (XML) the export's results belong to."""
    if task_type == "spans":
        inner = "".join(f"<Label value={quoteattr(label)}/>" for label in labels)
        return f'<View><Labels name="{FROM_NAME}" toName="{TO_NAME}">{inner}</Labels><Text name="{TO_NAME}" value="$text"/></View>'
    choice = "multiple" if task_type == "multilabel" else "single"
    inner = "".join(f"<Choice value={quoteattr(label)}/>" for label in labels)
    return (f'<View><Text name="{TO_NAME}" value="$text"/><Choices name="{FROM_NAME}" toName="{TO_NAME}" '
            f'choice="{choice}">{inner}</Choices></View>')
