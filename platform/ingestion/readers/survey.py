"""The validation pass of an import: find every file-level problem before anything is inserted, and
estimate the row count for the progress bar, as cheaply as the format allows.

Line and delimited formats can only fail mid-file on bytes that are not UTF-8 (the csv module, with
the field size limit raised below, accepts every well-encoded input), so their survey is one C-speed
pass over the bytes: decode in 1 MiB blocks and count newlines (about 1 GB/s, against about 0.3 M rows/s
for reading the rows, so a 100k-row file costs milliseconds). JSON documents and Parquet files can
break anywhere, so their survey reads every element or batch.

It also enforces the file-wide limits before anything is stored: ``Limits.decoded_bytes`` (a text
file decodes to its own size; a Parquet file's batches are sized in Arrow as they decode) and
``Limits.rows`` (row numbers as ``chunked`` counts them: lines for the line formats, so the newline
count is exact; csv/tsv records are counted exactly only when the newline count is over the limit).
"""
from __future__ import annotations

import codecs
import os

from .base import DEFAULT_LIMITS, Limits, ReaderError, check_not_empty
from .conll import survey_conll
from .delimited import read_csv, read_tsv
from .jsonarray import _elements
from .parquet import survey_parquet

_BLOCK = 1024 * 1024


def _utf8_lines(path: str | os.PathLike) -> int:
    """Newline count; raises ReaderError naming the line of the first byte that is not UTF-8."""
    check_not_empty(path)
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = 0
    last = b""
    with open(path, "rb") as handle:
        while block := handle.read(_BLOCK):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                # exc.start counts from the start of the bytes the decoder held (a carried partial
                # character plus this block), close enough to name the line.
                line = lines + block[: max(exc.start, 0)].count(b"\n") + 1
                raise ReaderError(
                    f"The file is not valid UTF-8 (line {line}: {exc.reason}). Save it as UTF-8 and upload it again."
                ) from None
            lines += block.count(b"\n")
            last = block
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ReaderError("The file is not valid UTF-8 (it ends inside a character).") from None
    return lines + (1 if last and not last.endswith(b"\n") else 0)


def _header_check(path, *, format: str, text_field: str) -> None:
    # Reading the first row runs the header checks (text column present).
    for _ in (read_tsv if format == "tsv" else read_csv)(path, text_field=text_field):
        break


def _csv_records_over(path, *, format: str, text_field: str, limit: int) -> bool:
    """Whether the file holds more than ``limit`` records (multi-line fields make lines over-count)."""
    for count, _ in enumerate((read_tsv if format == "tsv" else read_csv)(path, text_field=text_field), start=1):
        if count > limit:
            return True
    return False


def _check_size(path, limits: Limits) -> None:
    size = os.path.getsize(path)
    if size > limits.decoded_bytes:
        raise limits.too_many_bytes(size)


def survey(path: str | os.PathLike, *, format: str, text_field: str = "text", limits: Limits = DEFAULT_LIMITS) -> int:
    """Raise ReaderError for any file-level problem (TooBig for one over ``limits``); otherwise an
    estimate of the row count (exact for conll sentences, json, labelstudio-tasks, parquet and line formats without blank
    lines; an upper bound for csv/tsv with multi-line fields)."""
    if format in ("csv", "tsv"):
        _check_size(path, limits)
        lines = _utf8_lines(path)
        _header_check(path, format=format, text_field=text_field)
        if lines <= 1:
            raise ReaderError("The file holds no rows.")
        if lines - 1 > limits.rows and _csv_records_over(path, format=format, text_field=text_field, limit=limits.rows):
            raise limits.too_many_rows()
        return lines - 1
    if format in ("jsonl", "doccano", "txt"):
        _check_size(path, limits)
        lines = _utf8_lines(path)
        if lines > limits.rows:
            raise limits.too_many_rows()
        return lines
    if format in ("json", "labelstudio"):
        _check_size(path, limits)
        elements = 0
        for elements, _ in _elements(path, "Label Studio" if format == "labelstudio" else "JSON", limits):  # noqa: B007
            if elements > limits.rows:
                raise limits.too_many_rows()
        return elements
    if format == "conll":
        _check_size(path, limits)
        _utf8_lines(path)
        return survey_conll(path, limits)
    if format == "parquet":
        return survey_parquet(path, text_field=text_field, limits=limits)
    raise ReaderError(f"Unknown format {format!r}.")
