"""The interface speaks English and Simplified Chinese (frontend/src/i18n.ts, vue-i18n): every message
key is in both catalogues, and no template or script shows text that does not go through them.

Catalogues: frontend/src/locales/<locale>/<namespace>.json, the same files and the same keys (nested
objects flattened to dotted paths) in every locale, no empty message, and the same {placeholders}
in both languages. Every `$t("ns.key")` / `t("ns.key")` literal in the source names a key that exists.

Templates: text between tags and the literal values of the attributes people read or hear (aria-label,
title, placeholder, alt, label) must come from `$t(...)` or a bound expression; data (a text, a
username) is shown through `{{ }}` and is not the template's. Allowed as they are: the brand, key
names on key caps, file formats and units, and whatever an element marked `translate="no"` holds.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "frontend" / "src"
LOCALES = SRC / "locales"
LANGUAGES = ("en", "zh-CN")

# Words a Chinese page may show as they are: the brand, keys on the keyboard, formats and units,
# metric names that are the same in Chinese papers.
ALLOWED = {
    "Datamoat", "Enter", "Esc", "Escape", "Ctrl", "Shift", "Tab", "Space", "Backspace", "Alt", "Cmd",
    "JSONL", "JSON", "CSV", "TSV", "Parquet", "CoNLL", "API", "ID", "URL", "ms", "s", "min", "k", "F1",
    "AUROC", "PII", "MinHash", "LSH", "TF-IDF", "Dawid", "Skene", "Krippendorff", "Cohen", "Fleiss", "MASI",
    "kappa", "alpha", "GPU", "CPU", "SHA", "Markdown", "n/a",
}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt", "label", "aria-description")


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def catalogue(language: str) -> dict[str, str]:
    messages = {}
    for file in sorted((LOCALES / language).glob("*.json")):
        messages.update(_flatten(json.loads(file.read_text(encoding="utf-8")), f"{file.stem}."))
    return messages


def _placeholders(message: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", message))


def test_both_languages_have_the_same_namespaces_and_keys():
    files = {language: sorted(p.name for p in (LOCALES / language).glob("*.json")) for language in LANGUAGES}
    assert files["en"] == files["zh-CN"], "each namespace file must exist in every locale"
    english, chinese = catalogue("en"), catalogue("zh-CN")
    assert sorted(set(english) - set(chinese)) == [], "keys missing from the Chinese catalogue"
    assert sorted(set(chinese) - set(english)) == [], "keys missing from the English catalogue"


def test_no_message_is_empty_and_placeholders_match():
    english, chinese = catalogue("en"), catalogue("zh-CN")
    problems = []
    for key, message in english.items():
        other = chinese.get(key)
        if not isinstance(message, str) or not message.strip():
            problems.append(f"en {key}: empty")
        if other is not None and (not isinstance(other, str) or not other.strip()):
            problems.append(f"zh-CN {key}: empty")
        elif other is not None and _placeholders(message) != _placeholders(other):
            problems.append(f"{key}: placeholders {_placeholders(message)} vs {_placeholders(other)}")
    assert not problems, "\n".join(problems)


SOURCES = sorted([*SRC.rglob("*.vue"), *(p for p in SRC.rglob("*.ts") if p.name != "api-schema.d.ts")])


def test_every_key_the_code_names_exists():
    english = catalogue("en")
    missing = []
    for path in SOURCES:
        for key in re.findall(r"""(?<![\w.])\$?t\(\s*["'`]([\w.-]+)["'`]""", path.read_text(encoding="utf-8")):
            # a key ending in "." is a prefix completed at run time (e.g. t(`status.${s}`)).
            if not key.endswith(".") and key not in english and not any(k.startswith(key + ".") for k in english):
                missing.append(f"{path.relative_to(SRC)}: {key}")
    assert not missing, "keys used but not in the catalogues:\n" + "\n".join(missing)


def _template(source: str) -> str:
    start, end = source.find("<template>"), source.rfind("</template>")
    return source[start + len("<template>") : end] if start >= 0 and end > start else ""


def _strip_untranslated_parts(template: str) -> str:
    template = re.sub(r"<!--.*?-->", " ", template, flags=re.S)
    # Elements marked translate="no" hold data or names: drop them with their content (one level of
    # nesting of the same tag is enough for our templates).
    template = re.sub(r"<(\w[\w-]*)([^>]*\btranslate=\"no\"[^>]*)>.*?</\1>", " ", template, flags=re.S)
    template = re.sub(r"\{\{.*?\}\}", " ", template, flags=re.S)
    return template


def _words_left(text: str) -> list[str]:
    words = re.findall(r"[A-Za-z][A-Za-z'’-]*", text)
    return [w for w in words if w not in ALLOWED and w.strip("'’-") not in ALLOWED]


def untranslated(path: Path) -> list[str]:
    """What a reader would see in English in this file's template: text nodes and read attributes."""
    template = _strip_untranslated_parts(_template(path.read_text(encoding="utf-8")))
    found = []
    for tag in re.finditer(r"<[^>]+>", template):
        for name in READ_ATTRIBUTES:
            for value in re.findall(rf'(?<![:\w-]){name}="([^"]*)"', tag.group(0)):
                if _words_left(value):
                    found.append(f'{name}="{value}"')
    for text in re.split(r"<[^>]+>", template):
        if _words_left(text):
            found.append(" ".join(text.split())[:80])
    return found


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.vue")), ids=lambda p: p.name)
def test_no_template_shows_text_that_is_not_translated(path):
    found = untranslated(path)
    assert not found, f"{path.relative_to(SRC)} shows text outside $t():\n" + "\n".join(found)
