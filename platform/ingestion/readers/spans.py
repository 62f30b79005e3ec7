"""Span and multi-label cells of imported rows, put in one shape where the row is read (pure).

``spans_cell(raw, text)`` turns what a file holds for a row's spans into ``{"spans": [{start, end,
label}]}`` with offsets checked against the row's text, or names the problem. Accepted: that shape
itself (the CoNLL and Label Studio readers give it), a list of ``[start, end, label]`` triples (doccano's
sequence-labeling JSONL), a list of ``{start, end, label}`` objects, or of doccano's newer
``{start_offset, end_offset, label}`` entities; a string holding one of these as JSON (a CSV cell).
Offsets are code points of the text (Python's ``len``), ``0 <= start < end <= len(text)``. None, ""
and [] are "no label" (the item comes without an annotation); ``{"spans": []}`` is the explicit answer
"no entity". Label names are checked against the project by ``ingestion.labels.LabelParser``.

``split_labels(raw, separator)`` splits a multi-label string cell ("a|b") into a list.
"""
from __future__ import annotations

import json
from collections.abc import Iterator

from .base import Record, RowError

_SHAPE = (
    "The spans are not a list of [start, end, label] or of {start, end, label} objects "
    "(doccano, Label Studio or CoNLL shapes)."
)


def _triple(entry) -> tuple | None:
    if isinstance(entry, (list, tuple)) and len(entry) == 3:
        return entry[0], entry[1], entry[2]
    if isinstance(entry, dict):
        if "start" in entry:
            return entry.get("start"), entry.get("end"), entry.get("label")
        if "start_offset" in entry:
            return entry.get("start_offset"), entry.get("end_offset"), entry.get("label")
    return None


def spans_cell(raw, text: str, *, overlap: bool = True) -> tuple[dict | None, str | None]:
    """(``{"spans": [...]}`` or None for no label, problem or None). ``overlap=False`` (the project's
    ``span_overlap`` off) refuses two spans that share a character, as the labeling API does; exact
    repeats are one span."""
    if raw is None or raw == "" or raw == []:
        return None, None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None, _SHAPE
        if raw is None or raw == []:
            return None, None
    if isinstance(raw, dict) and set(raw) == {"spans"}:
        entries = raw["spans"]
    else:
        entries = raw
    if not isinstance(entries, list):
        return None, _SHAPE
    spans = []
    length = len(text)
    for entry in entries:
        found = _triple(entry)
        if found is None:
            return None, _SHAPE
        start, end, label = found
        if type(start) is not int or type(end) is not int:
            return None, f"The span {list(found)!r} has offsets that are not whole numbers."
        if not isinstance(label, str) or not label.strip():
            return None, f"The span {list(found)!r} has no label name."
        if not 0 <= start < end <= length:
            return None, (
                f"The span [{start}, {end}) {label!r} is not within the text (0..{length} characters, "
                "counted in Unicode code points)."
            )
        spans.append({"start": start, "end": end, "label": label.strip()})
    if not overlap:
        reach = None  # the span reaching furthest right so far
        for start, end, _label in sorted({(s["start"], s["end"], s["label"]) for s in spans}):
            if reach is not None and start < reach[1]:
                return None, (
                    f"The spans [{reach[0]}, {reach[1]}) and [{start}, {end}) overlap; this project does not allow "
                    "overlapping spans."
                )
            if reach is None or end > reach[1]:
                reach = (start, end)
    return {"spans": spans}, None


def split_labels(raw, separator: str):
    """A string cell split on ``separator`` (blanks around each label dropped, empty parts too); any
    other value as it is."""
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(separator) if part.strip()]
    return raw


def with_label_cells(
    rows: Iterator[Record | RowError],
    *,
    text_field: str,
    label_field: str,
    spans: bool = False,
    overlap: bool = True,
    label_separator: str | None = None,
) -> Iterator[Record | RowError]:
    """The rows with their label cell put in shape: spans checked against the text, and against each
    other when ``overlap`` is False (a bad cell is a row error), or a multi-label string split on ``label_separator``. Rows without a string text are
    left for ``chunked`` to refuse."""
    for entry in rows:
        if type(entry) is RowError:
            yield entry
            continue
        row, record = entry
        raw = record.get(label_field)
        if spans:
            text = record.get(text_field)
            if raw is not None and isinstance(text, str):
                value, problem = spans_cell(raw, text, overlap=overlap)
                if problem:
                    yield RowError(row, problem)
                    continue
                record[label_field] = value
        elif label_separator and isinstance(raw, str):
            record[label_field] = split_labels(raw, label_separator)
        yield entry
