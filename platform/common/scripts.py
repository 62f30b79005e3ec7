"""Which writing system a text is in, for the steps that must treat Chinese, Japanese and Korean
differently from space-separated scripts (near-duplicate shingles, lengths in tokens, the label-noise
estimate's features). Decided per text, so a project mixing languages gets each text right.

CJK here: Han ideographs (CJK Unified Ideographs with extensions A-F and the compatibility block),
Japanese kana and Korean Hangul (syllables and jamo). Korean separates words with spaces, but its
syllable blocks are as dense as Han characters, and short reviews are what these steps see; so it
counts as CJK too.
"""
from __future__ import annotations

import re

_CJK_RANGES = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3040-\u309f"  # Hiragana
    "\u30a0-\u30ff"  # Katakana
    "\u3130-\u318f"  # Hangul Compatibility Jamo
    "\u31f0-\u31ff"  # Katakana Phonetic Extensions
    "\u3400-\u4dbf"  # CJK Unified Ideographs Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\uac00-\ud7af"  # Hangul Syllables
    "\uf900-\ufaff"  # CJK Compatibility Ideographs
    "\U00020000-\U0003134f"  # Extensions B-G
)
CJK_CHAR = re.compile(f"[{_CJK_RANGES}]")
CJK_RUN = re.compile(f"[{_CJK_RANGES}]+")
# Han and kana: the scripts written without spaces between words (Korean puts spaces between words).
_UNSPACED = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")
_UNSPACED_RUN = re.compile(f"[{_UNSPACED}]+")

# A text is treated as CJK when at least this share of its letters are CJK characters. Mixed texts
# such as 自带的vista home不实用 (6 of 15 letters) count as CJK: their CJK part carries the meaning, and
# the short shingles CJK needs still work on the Latin words in them.
CJK_SHARE = 0.3


def cjk_share(text: str) -> float:
    """CJK characters over all letters (str.isalpha: every script's letters, no digits or punctuation)."""
    letters = sum(1 for ch in text if ch.isalpha())
    if not letters:
        return 0.0
    return len(CJK_CHAR.findall(text)) / letters


def is_cjk(text: str) -> bool:
    return cjk_share(text) >= CJK_SHARE


def token_count(text: str) -> int:
    """Length in tokens for every script: each Han or kana character is one token (Chinese and
    Japanese write no spaces; a character is the unit a reader counts), and the rest, Korean included,
    is split on whitespace. 这部电影非常好看 is 8 tokens, "I loved 这部电影" 2 + 4 = 6, 이 영화 정말 좋아요 4."""
    unspaced = len(_UNSPACED_CHAR.findall(text))
    return unspaced + len(_UNSPACED_RUN.sub(" ", text).split())
