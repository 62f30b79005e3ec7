"""What every reader yields, and the chunker that turns a reader's rows into bounded chunks.

A reader is a generator ``(path, *, text_field) -> Iterator[tuple[int, dict] | RowError]``: one
``(row number, record)`` per data row, or a ``RowError`` for a row it could not parse (a broken JSON
line). It raises ``ReaderError`` for a problem with the whole file (not UTF-8, no text column, not
parseable at all). Records are JSON-safe dicts (str, int, float, bool, None, lists, dicts).

Row numbers are 1-based: the line number for line formats (jsonl, doccano, txt), the position of the
data record for csv/tsv (the header is not a row), of the element for json/labelstudio, of the row for
parquet.

Every string of a record (the text, other fields, their keys, nested) must be encodable as UTF-8: JSON
can spell a lone surrogate (``"\\ud800"``), which no database text column stores and no hash takes.
Such a row is a row error, not a failed import. Measured on 100k three-field rows: the check costs
25-50 ms (an import of them takes about 3 s); ``str.isascii`` is O(1) in CPython, so only non-ASCII
strings are encoded.

Limits (``Limits``, filled from settings by the service) are checked while the rows stream, so an
import over one fails before anything is stored (the service's survey pass reads the whole file first):
a text longer than ``text_chars`` characters, other fields that together hold more, or a value nested
deeper than ``depth`` are row errors; more than ``rows`` rows, or more than ``decoded_bytes`` bytes
produced by the reader (what a compressed Parquet file decodes to), raise ``TooBig`` for the whole file.
A row past what its text and fields may hold is skipped without being held whole where the format
allows (``Limits.line_bytes`` for the line formats, ``Limits.row_bytes`` for Parquet); a JSON array
element past ``line_bytes`` fails the file (see ``jsonarray``); a CSV row is bounded by the file.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

_NOT_ENCODABLE = (
    "The field {field!r} holds a character that cannot be stored as UTF-8 (a lone surrogate, such as the "
    "JSON escape \\ud800 without its pair); fix or remove it."
)


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (`make messages` knows this name) and leaves it as it is: readers
    run without Django, and in workers, where messages stay English."""
    return message


class ReaderError(Exception):
    """The whole file cannot be imported; ``str(error)`` is a sentence for the person who uploaded it.

    Raised with ``values``, the message is a template marked with ``gettext_noop``: the few errors an
    upload answers at once (its limits) are shown in the request's language by ``message_in``."""

    def __init__(self, message: str, values: dict | None = None):
        self.template, self.values = message, values
        super().__init__(message if values is None else message % values)

    def message_in(self, gettext) -> str:
        """The sentence through ``gettext`` (Django's, in the API); English when it has no template."""
        return str(self) if self.values is None else gettext(self.template) % self.values


class TooBig(ReaderError):
    """The file is over one of the import limits (``Limits``); the sentence names the setting."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one import may hold. Pure: the service fills it from settings (named in the sentences)."""

    text_chars: int = 100_000  # DATAMOAT_IMPORT_MAX_TEXT_CHARS: a text; the row's other fields together
    rows: int = 10_000_000  # DATAMOAT_IMPORT_MAX_ROWS: the highest row number a file may reach
    decoded_bytes: int = 4 * 1024**3  # DATAMOAT_IMPORT_MAX_DECODED_BYTES: what the reader produces in all
    depth: int = 16  # DATAMOAT_IMPORT_MAX_DEPTH: nesting of a record (the record itself is level 1)

    @property
    def row_bytes(self) -> int:
        """Bytes of values (decoded, as Arrow holds them) past which a row cannot pass the character
        checks: a text of ``text_chars`` characters is at most 4 bytes each in UTF-8, the other fields
        count 1 per character or scalar and take at most 8 bytes per unit; plus room for the keys."""
        return 12 * self.text_chars + 65536

    @property
    def line_bytes(self) -> int:
        """Bytes of a serialised row (a JSON line or array element) past which it cannot pass the
        character checks: JSON's escapes spell one character in up to 12 bytes (a surrogate pair)."""
        return 24 * self.text_chars + 65536

    def too_many_rows(self) -> TooBig:
        return TooBig(
            gettext_noop(
                "The file holds more than %(rows)s rows, the limit of one import (DATAMOAT_IMPORT_MAX_ROWS); "
                "split it into parts."
            ),
            {"rows": f"{self.rows:,}"},
        )

    def too_many_bytes(self, produced: int) -> TooBig:
        """``produced``: what the file is known to decode to at least (its size, a Parquet footer's
        uncompressed pages, the batches decoded so far)."""
        return TooBig(
            gettext_noop(
                "The file decodes to %(produced)s bytes or more, over the limit of %(limit)s bytes for one import "
                "(DATAMOAT_IMPORT_MAX_DECODED_BYTES); split it into parts."
            ),
            {"produced": f"{produced:,}", "limit": f"{self.decoded_bytes:,}"},
        )

    def too_long_text(self, length: int) -> str:
        return (
            f"The text is {length:,} characters long; the limit is {self.text_chars:,} "
            "(DATAMOAT_IMPORT_MAX_TEXT_CHARS)."
        )


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "message": self.message}


Record = tuple[int, dict]
Reader = Callable[..., Iterator["Record | RowError"]]


@dataclass(slots=True)
class Chunk:
    """Up to ``chunk_rows`` rows: valid records (each with a non-empty string under the text field)
    and the row errors met on the way. ``seen`` counts both."""

    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return len(self.records) + len(self.errors)


def check_not_empty(path: str | os.PathLike) -> None:
    if os.path.getsize(path) == 0:
        raise ReaderError("The file is empty.")


def not_utf8(exc: UnicodeDecodeError, where: str) -> ReaderError:
    return ReaderError(
        f"The file is not valid UTF-8 ({where}: {exc.reason} at byte {exc.start} of that stretch). "
        "Save it as UTF-8 and upload it again."
    )


class _Refused(Exception):
    """A row's value breaks a rule; ``args[0]`` names the reason ("encoding" or "depth")."""


def _units(value, depth: int, max_depth: int) -> int:
    """The size of a JSON-safe value in the units of ``Limits.text_chars``: characters of its strings
    and keys, 1 per other scalar. Raises _Refused for a string not encodable as UTF-8 or a container
    nested past ``max_depth`` (``depth`` is the level of ``value`` itself)."""
    kind = type(value)
    if kind is str:
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise _Refused("encoding") from None
        return len(value)
    if kind is dict or kind is list:
        if depth > max_depth:
            raise _Refused("depth")
        total = 0
        if kind is dict:
            for key, item in value.items():
                total += _units(key, depth, max_depth) + _units(item, depth + 1, max_depth)
        else:
            for item in value:
                total += _units(item, depth + 1, max_depth)
        return total
    return 1


def _name(key):
    """A field name to show: the key, or its ascii() when it cannot be encoded itself."""
    try:
        key.encode()
    except (UnicodeEncodeError, AttributeError):
        return ascii(key)
    return key


def record_problem(record: dict, text_field: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Why a record whose text was found fine cannot be stored, or None: a string that cannot be
    encoded as UTF-8 (the text included), a value nested deeper than ``limits.depth`` (the record is
    level 1), or other fields holding more than ``limits.text_chars`` units together (see ``_units``)."""
    size = 0
    max_depth = limits.depth
    for key, value in record.items():
        # The common cases, an ASCII string or a number under an ASCII name, cost two O(1) calls.
        kind = type(value)
        if kind is str:
            if value.isascii() and key.isascii():
                if key != text_field:
                    size += len(key) + len(value)
                continue
        elif (kind is int or kind is float or kind is bool or value is None) and type(key) is str and key.isascii():
            size += len(key) + 1
            continue
        try:
            units = _units(key, 1, max_depth) + _units(value, 2, max_depth)
        except _Refused as refused:
            if refused.args[0] == "depth":
                return f"The field {_name(key)!r} nests deeper than {max_depth} levels (DATAMOAT_IMPORT_MAX_DEPTH)."
            return _NOT_ENCODABLE.format(field=_name(key))
        if key != text_field:
            size += units
    if size > limits.text_chars:
        return (
            f"The fields other than the text hold {size:,} characters together; the limit is "
            f"{limits.text_chars:,} (DATAMOAT_IMPORT_MAX_TEXT_CHARS)."
        )
    return None


def chunked(
    rows: Iterator[Record | RowError], *, text_field: str, chunk_rows: int, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Chunk]:
    """Validate each record's text and group rows into chunks. A file with no row at all is an error:
    an import that silently does nothing helps no one. A row numbered past ``limits.rows`` raises
    TooBig (row numbers count lines for the line formats, records for the others)."""
    chunk = Chunk()
    records, errors = chunk.records, chunk.errors
    seen = 0
    any_row = False
    max_chars, max_rows = limits.text_chars, limits.rows
    for entry in rows:  # the hot loop of every import: keep it to type checks and appends
        any_row = True
        seen += 1
        if type(entry) is RowError:
            if entry.row > max_rows:
                raise limits.too_many_rows()
            errors.append(entry)
        else:
            row, record = entry
            if row > max_rows:
                raise limits.too_many_rows()
            text = record.get(text_field)
            if type(text) is str and text and len(text) <= max_chars and not text.isspace() and "\x00" not in text:
                problem = record_problem(record, text_field, limits)
                if problem is None:
                    records.append(entry)
                else:
                    errors.append(RowError(row, problem))
            elif text is None:
                errors.append(RowError(row, f"The text field {text_field!r} is missing."))
            elif type(text) is not str:
                errors.append(RowError(row, f"The text field {text_field!r} is not a string."))
            elif len(text) > max_chars:
                errors.append(RowError(row, limits.too_long_text(len(text))))
            elif "\x00" in text:  # no database stores it in text; it is never meant
                errors.append(RowError(row, "The text contains a NUL character."))
            else:
                errors.append(RowError(row, "The text is empty."))
        if seen == chunk_rows:
            yield chunk
            chunk = Chunk()
            records, errors = chunk.records, chunk.errors
            seen = 0
    if seen:
        yield chunk
    if not any_row:
        raise ReaderError("The file holds no rows.")
