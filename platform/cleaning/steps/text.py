"""Per-row text steps: whitespace normalisation, length filters, language filter."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from common.scripts import token_count

from .base import BatchResult, Outcome, Param, Row, Step, StepError

_WS = re.compile(r"\s+")  # str patterns match Unicode whitespace (NBSP, ideographic space...) too


def collapse_whitespace(text: str) -> str:
    return _WS.sub(" ", text).strip()


def comparison_key(text: str) -> str:
    """What dedup compares: case-folded, whitespace collapsed (so "Hello  World" == "hello world")."""
    return collapse_whitespace(text).casefold()


class NormalizeWhitespace(Step):
    op = "normalize_whitespace"
    description = "Collapse runs of whitespace to one space and strip the ends; optionally Unicode NFC."
    params = (Param("nfc", bool, "Also apply Unicode NFC normalisation (composed accents).", default=False),)

    def process_batch(self, rows: Sequence[Row]) -> BatchResult:
        outcomes = []
        for item_id, text in rows:
            new = unicodedata.normalize("NFC", text) if self.p["nfc"] else text
            new = collapse_whitespace(new)
            if new != text:
                outcomes.append(Outcome(item_id, text=new))
        return BatchResult(outcomes)


_UNIT = Param(
    "unit", str,
    "Count characters, or tokens: whitespace-separated words, with each Chinese or Japanese character one token.",
    default="chars", choices=("chars", "tokens"),
)


def _length(text: str, unit: str) -> int:
    return len(text) if unit == "chars" else token_count(text)


class MinLength(Step):
    op = "min_length"
    description = (
        "Exclude items shorter than `min` characters (or tokens: words, and each Chinese or Japanese "
        "character)."
    )
    params = (Param("min", int, "The shortest length kept.", minimum=0), _UNIT)

    def process_batch(self, rows: Sequence[Row]) -> BatchResult:
        least, unit = self.p["min"], self.p["unit"]
        return BatchResult(
            [
                Outcome(i, excluded=f"shorter than {least} {unit}", details={"length": n})
                for i, t in rows
                if (n := _length(t, unit)) < least
            ]
        )


class MaxLength(Step):
    op = "max_length"
    description = (
        "Exclude items longer than `max` characters (or tokens: words, and each Chinese or Japanese "
        "character)."
    )
    params = (Param("max", int, "The longest length kept.", minimum=1), _UNIT)

    def process_batch(self, rows: Sequence[Row]) -> BatchResult:
        most, unit = self.p["max"], self.p["unit"]
        return BatchResult(
            [
                Outcome(i, excluded=f"longer than {most} {unit}", details={"length": n})
                for i, t in rows
                if (n := _length(t, unit)) > most
            ]
        )


_LANG_CODE = re.compile(r"^[a-z]{2,3}(-[a-z]{2,4})?$")


class LanguageFilter(Step):
    """langdetect is a probabilistic detector: its seed is fixed (0) so a run is reproducible.
    Texts it cannot classify (no letters) are excluded as "language unknown" unless keep_unknown."""

    op = "language"
    description = "Keep items whose detected language (langdetect, fixed seed) is in `languages`."
    params = (
        Param("languages", list, "ISO 639-1 codes to keep, as langdetect names them (en, de, zh-cn...)."),
        Param("keep_unknown", bool, "Keep texts whose language cannot be detected.", default=False),
    )

    def check_params(self) -> None:
        for code in self.p["languages"]:
            if not _LANG_CODE.match(code):
                raise StepError(f"language: parameter 'languages' has a bad code {code!r}", op=self.op, param="languages")
        self.keep = set(self.p["languages"])

    def process_batch(self, rows: Sequence[Row]) -> BatchResult:
        from langdetect import DetectorFactory, detect_langs
        from langdetect.lang_detect_exception import LangDetectException

        DetectorFactory.seed = 0  # langdetect reads its seed from this class attribute
        outcomes, seen = [], {}
        for item_id, text in rows:
            try:
                best = detect_langs(text)[0]
                lang, prob = best.lang, round(best.prob, 3)
            except LangDetectException:
                lang, prob = None, None
            seen[lang or "unknown"] = seen.get(lang or "unknown", 0) + 1
            if lang is None:
                if not self.p["keep_unknown"]:
                    outcomes.append(Outcome(item_id, excluded="language unknown", details={"language": None}))
            elif lang not in self.keep:
                outcomes.append(
                    Outcome(item_id, excluded=f"language {lang}", details={"language": lang, "probability": prob})
                )
        return BatchResult(outcomes, extra={"languages": seen})
