"""Per-row text steps: whitespace normalisation, length filters, language filter."""
from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

from common.scripts import is_cjk, token_count

from .base import BatchResult, Outcome, Param, Row, Step, StepError, gettext_noop

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


_LANG_CODE = re.compile(r"^[a-z]{2,3}(-[a-z]{2,4})?$", re.IGNORECASE)
# langdetect's names for Chinese, and how this step names them: `zh` is any Chinese, and the script
# tags zh-Hans (simplified) and zh-Hant (traditional) narrow it.
_ALIASES = {"zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}
_CJK_LANGUAGES = {"CHINESE": "zh", "JAPANESE": "ja", "KOREAN": "ko"}


@functools.cache
def _cjk_detector():
    """lingua's detector over Chinese, Japanese and Korean only: built in milliseconds, and right on every
    one of 617 short reviews and sentences where langdetect got 74% (bench_cjk has the figures)."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(Language.CHINESE, Language.JAPANESE, Language.KOREAN).build()


@functools.cache
def _to_simplified():
    import opencc

    return opencc.OpenCC("t2s")


def chinese_script(text: str) -> str:
    """zh-Hant when the text holds a traditional character (OpenCC's t2s changes it), else zh-Hans."""
    return "zh-Hant" if _to_simplified().convert(text) != text else "zh-Hans"


def fold_chinese(text: str) -> str:
    """Traditional Chinese characters written as simplified ones (OpenCC t2s), for duplicate detection
    across the two scripts; texts without Han characters come back unchanged."""
    return _to_simplified().convert(text) if is_cjk(text) else text


def detect_language(text: str) -> tuple[str | None, float | None]:
    """ISO 639-1 code (zh-Hans / zh-Hant for Chinese) and its probability, or (None, None).

    CJK texts (``common.scripts.is_cjk``) go to lingua restricted to Chinese, Japanese and Korean: on
    short texts langdetect called 這部電影非常好看 Korean and a quarter of short Chinese reviews Japanese
    or Korean. Other texts go to langdetect (fixed seed 0: reproducible), as before."""
    if is_cjk(text):
        detector = _cjk_detector()
        confidences = detector.compute_language_confidence_values(text)
        if not confidences:
            return None, None
        best = confidences[0]
        lang = _CJK_LANGUAGES[best.language.name]
        return (chinese_script(text) if lang == "zh" else lang), round(best.value, 3)
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0  # langdetect reads its seed from this class attribute
    try:
        best = detect_langs(text)[0]
    except LangDetectException:
        return None, None
    return _ALIASES.get(best.lang, best.lang), round(best.prob, 3)


class LanguageFilter(Step):
    """Texts no detector can classify (no letters) are excluded as "language unknown" unless
    keep_unknown. `zh` keeps simplified and traditional Chinese; zh-Hans or zh-Hant keeps one script
    (langdetect's old names zh-cn and zh-tw are read as those)."""

    op = "language"
    description = (
        "Keep items whose detected language is in `languages` (ISO 639-1 codes: en, de, zh, ja, ko...; "
        "zh-Hans or zh-Hant for one Chinese script). Chinese, Japanese and Korean texts are told apart "
        "by lingua, others by langdetect."
    )
    params = (
        Param("languages", list, "ISO 639-1 codes to keep (en, zh, ja, ko...; zh-Hans or zh-Hant for one script)."),
        Param("keep_unknown", bool, "Keep texts whose language cannot be detected.", default=False),
    )

    def check_params(self) -> None:
        for code in self.p["languages"]:
            if not _LANG_CODE.match(code):
                raise StepError(
                    gettext_noop("%(op)s: parameter '%(param)s' has a bad code %(code)r"),
                    op=self.op, param="languages", values={"code": code},
                )
        self.keep = {_ALIASES.get(code.lower(), code).lower() for code in self.p["languages"]}

    def _kept(self, lang: str) -> bool:
        lang = lang.lower()
        return lang in self.keep or (lang.startswith("zh-") and "zh" in self.keep)

    def process_batch(self, rows: Sequence[Row]) -> BatchResult:
        outcomes, seen = [], {}
        for item_id, text in rows:
            lang, prob = detect_language(text)
            seen[lang or "unknown"] = seen.get(lang or "unknown", 0) + 1
            if lang is None:
                if not self.p["keep_unknown"]:
                    outcomes.append(Outcome(item_id, excluded="language unknown", details={"language": None}))
            elif not self._kept(lang):
                outcomes.append(
                    Outcome(item_id, excluded=f"language {lang}", details={"language": lang, "probability": prob})
                )
        return BatchResult(outcomes, extra={"languages": seen})
