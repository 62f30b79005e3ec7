"""A JSON document that is an array of objects, and Label Studio's JSON export (an array of tasks).

No streaming JSON parser (ijson) is installed, so elements are decoded one at a time with the standard
library's ``JSONDecoder.raw_decode`` over a sliding text buffer. Memory bound: one element plus a
64 KiB read-ahead (the buffer keeps only the element being decoded), whatever the file's size. An
element that does not parse ends the file (there is no way to find the next element in a broken
array), so it is a file-level error naming the element; so is an element longer than
``Limits.line_bytes`` (it could not pass the text and field limits, and holding it is what the limit
prevents) or one nested too deeply for the parser.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator

from .base import DEFAULT_LIMITS, Limits, ReaderError, Record, RowError, TooBig, check_not_empty, not_utf8

_READ = 64 * 1024
_WHITESPACE = " \t\n\r"


class _Buffer:
    def __init__(self, handle):
        self.handle = handle
        self.text = ""
        self.pos = 0
        self.eof = False

    def more(self) -> bool:
        if self.eof:
            return False
        # Read at least as much as is buffered: a large element costs O(n log n) retries, not O(n²).
        data = self.handle.read(max(_READ, len(self.text) - self.pos))
        if not data:
            self.eof = True
            return False
        if self.pos > len(self.text) // 2:  # drop what was decoded; keeps the buffer to one element
            self.text = self.text[self.pos :]
            self.pos = 0
        self.text += data
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end), consuming the blanks."""
        while True:
            text, pos, size = self.text, self.pos, len(self.text)
            while pos < size and text[pos] in _WHITESPACE:
                pos += 1
            self.pos = pos
            if pos < size or not self.more():
                return text[pos] if pos < size else ""


def _elements(path: str | os.PathLike, kind: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[tuple[int, object]]:
    check_not_empty(path)
    cap = limits.line_bytes
    decoder = json.JSONDecoder()
    index = 0
    with open(path, encoding="utf-8-sig", errors="strict") as handle:
        buf = _Buffer(handle)
        try:
            first = buf.peek()
            if first != "[":
                raise ReaderError(f"The {kind} file must hold a JSON array of objects; it starts with {first!r}.")
            buf.pos += 1
            if buf.peek() == "]":
                return
            while True:
                index += 1
                buf.peek()  # raw_decode does not skip leading blanks
                while True:
                    try:
                        value, end = decoder.raw_decode(buf.text, buf.pos)
                    except json.JSONDecodeError as exc:
                        if len(buf.text) - buf.pos > cap:  # characters: at least as many bytes
                            raise TooBig(
                                f"The {kind} file's element {index} is longer than {cap:,} characters, more than "
                                "a text and its fields may hold (DATAMOAT_IMPORT_MAX_TEXT_CHARS)."
                            ) from None
                        if buf.more():
                            continue
                        raise ReaderError(f"The {kind} file is not valid JSON at element {index}: {exc.msg}.") from None
                    except RecursionError:
                        raise ReaderError(
                            f"The {kind} file's element {index} nests deeper than the reader can follow "
                            f"(records may nest {limits.depth} levels: DATAMOAT_IMPORT_MAX_DEPTH)."
                        ) from None
                    # A value ending exactly at the buffer's end may be a number cut in two.
                    if end == len(buf.text) and buf.more():
                        continue
                    break
                buf.pos = end
                yield index, value
                sep = buf.peek()
                buf.pos += 1
                if sep == "]":
                    break
                if sep != ",":
                    raise ReaderError(f"The {kind} file is not valid JSON after element {index}: expected ',' or ']'.")
            if buf.peek() != "":
                raise ReaderError(f"The {kind} file has data after the closing ']'.")
        except UnicodeDecodeError as exc:
            raise not_utf8(exc, f"near element {index}") from None


def read_json(
    path: str | os.PathLike, *, text_field: str = "text", limits: Limits = DEFAULT_LIMITS
) -> Iterator[Record | RowError]:
    for index, value in _elements(path, "JSON", limits):
        if type(value) is dict:
            yield index, value
        else:
            yield RowError(index, f"The element is a JSON {type(value).__name__}, not an object.")


def _annotator(completed_by) -> str:
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("email") or completed_by.get("id")
    return f"labelstudio:{completed_by}" if completed_by not in (None, "") else "labelstudio"


def _choices(annotation: dict):
    """The choices of an annotation's first ``choices`` result: one label (str) or several (list)."""
    for result in annotation.get("result") or []:
        if isinstance(result, dict) and isinstance(result.get("value"), dict) and "choices" in result["value"]:
            choices = result["value"]["choices"]
            if isinstance(choices, list) and len(choices) == 1:
                return choices[0]
            return choices
    return None


def _code_points(text: str, utf16_offset: int) -> int | None:
    """The code-point offset of a UTF-16 offset into ``text`` (older Label Studio versions counted in
    JavaScript's UTF-16 units), or None when it falls inside a surrogate pair or past the end."""
    units = 0
    for index, char in enumerate(text):
        if units == utf16_offset:
            return index
        if units > utf16_offset:
            return None
        units += 2 if ord(char) > 0xFFFF else 1
    return len(text) if units == utf16_offset else None


def _region(value: dict, text) -> tuple[int, int] | str:
    """A ``labels`` region's (start, end) in code points of ``text``, or the problem. Label Studio 1.x
    counts code points; older versions counted UTF-16 units, which differ after an emoji: when the
    region's own ``text`` does not match the offsets as code points but matches them as UTF-16 units,
    they are converted."""
    start, end = value.get("start"), value.get("end")
    if type(start) is not int or type(end) is not int:
        return f"A labels region has offsets {start!r}, {end!r}, not whole numbers (a region of a rich text, not a Text?)."
    shown = value.get("text")
    if isinstance(text, str) and isinstance(shown, str) and text[start:end] != shown:
        converted = _code_points(text, start), _code_points(text, end)
        if None not in converted and text[converted[0] : converted[1]] == shown:
            return converted[0], converted[1]
        return f"A labels region [{start}, {end}) says it covers {shown!r}, which is not what the text holds there."
    return start, end


def _spans(annotation: dict, text) -> dict | str:
    """``{"spans": [...]}`` of an annotation's ``labels`` results (one span per label of a region), or
    the problem. An annotation without such results is the answer "no entity"."""
    spans = []
    for result in annotation.get("result") or []:
        if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
            continue
        value = result["value"]
        if result.get("type") != "labels" and not ("labels" in value and "start" in value):
            continue
        region = _region(value, text)
        if isinstance(region, str):
            return region
        names = value.get("labels")
        if not isinstance(names, list) or not names:
            return "A labels region has no labels."
        spans.extend({"start": region[0], "end": region[1], "label": name} for name in names)
    return {"spans": spans}


def read_labelstudio(
    path: str | os.PathLike, *, text_field: str = "text", limits: Limits = DEFAULT_LIMITS, spans: bool = False
) -> Iterator[Record | RowError]:
    """Label Studio's JSON export: ``[{"id", "data": {"text": ...}, "annotations": [{"completed_by",
    "result": [{"value": {"choices": [...]}}]}]}]``.

    One record per (task, annotation), all with the task's row number, carrying the task's ``data``
    fields plus ``label`` (the choice(s)) and ``annotator`` ("labelstudio:<completed_by>"); a task
    without annotations gives one record without them. Import with ``label_field="label"`` (first
    annotation wins) or ``annotator_field="annotator"`` (every annotation, as crowd labels). Cancelled
    annotations are left out.

    ``spans=True`` (span projects): ``label`` is ``{"spans": [{start, end, label}]}`` from the
    annotation's results of type ``labels`` (``"value": {"start", "end", "text", "labels": [...]}``,
    https://labelstud.io/guide/export.html), offsets in code points of the task's text (see
    ``_region``); an annotation with none is the answer "no entity". A region that does not fit the
    text skips that annotation's record as a row error.
    """
    for index, task in _elements(path, "Label Studio", limits):
        if type(task) is not dict or not isinstance(task.get("data"), dict):
            yield RowError(index, "The task has no 'data' object.")
            continue
        base = {k: v for k, v in task["data"].items() if k not in ("label", "annotator")}
        if "id" in task:
            base["labelstudio_id"] = task["id"]
        annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
        if not annotations:
            yield index, base
            continue
        for annotation in annotations:
            if spans:
                label = _spans(annotation, base.get(text_field))
                if isinstance(label, str):
                    yield RowError(index, label)
                    continue
            else:
                label = _choices(annotation)
            yield index, {**base, "label": label, "annotator": _annotator(annotation.get("completed_by"))}
