"""normalize_whitespace, min_length, max_length, language: pure, no database."""
from cleaning.steps import build_step, run_in_memory


def _run(spec, rows):
    state, counts = run_in_memory([build_step(spec)], rows)
    return state, counts[0]


def test_it_collapses_whitespace_and_strips():
    state, counts = _run({"op": "normalize_whitespace"}, [(1, "  a \t b\n\nc  "), (2, "clean text")])
    assert state[1]["text"] == "a b c"
    assert state[2]["text"] == "clean text"
    assert counts == {"op": "normalize_whitespace", "changed": 1, "excluded": 0}


def test_it_treats_unicode_spaces_as_whitespace():
    state, _ = _run({"op": "normalize_whitespace"}, [(1, "a\u00a0\u3000b")])
    assert state[1]["text"] == "a b"


def test_it_applies_nfc_only_when_asked():
    decomposed = "Cafe\u0301"
    plain, _ = _run({"op": "normalize_whitespace"}, [(1, decomposed)])
    nfc, counts = _run({"op": "normalize_whitespace", "nfc": True}, [(1, decomposed)])
    assert plain[1]["text"] == decomposed
    assert nfc[1]["text"] == "Caf\u00e9"
    assert counts["changed"] == 1


def test_min_length_excludes_short_texts_with_a_reason():
    state, counts = _run({"op": "min_length", "min": 5}, [(1, "abcd"), (2, "abcde")])
    assert state[1]["excluded"] == "shorter than 5 chars"
    assert state[1]["details"] == {"length": 4}
    assert state[2]["excluded"] is None
    assert counts["excluded"] == 1


def test_min_length_counts_tokens_when_asked():
    state, _ = _run({"op": "min_length", "min": 3, "unit": "tokens"}, [(1, "two words"), (2, "now three words")])
    assert state[1]["excluded"] == "shorter than 3 tokens"
    assert state[2]["excluded"] is None


def test_max_length_excludes_long_texts():
    state, _ = _run({"op": "max_length", "max": 3}, [(1, "abcd"), (2, "abc")])
    assert state[1]["excluded"] == "longer than 3 chars"
    assert state[2]["excluded"] is None


def test_language_keeps_listed_languages_and_names_the_others():
    rows = [
        (1, "The film was a delight from start to finish, and the actors were wonderful."),
        (2, "Der Film war von Anfang bis Ende ein Vergnügen, und die Schauspieler waren wunderbar."),
        (3, "12345 67890"),
    ]
    state, counts = _run({"op": "language", "languages": ["en"]}, rows)
    assert state[1]["excluded"] is None
    assert state[2]["excluded"] == "language de"
    assert state[3]["excluded"] == "language unknown"
    assert counts["languages"] == {"en": 1, "de": 1, "unknown": 1}


def test_language_detection_is_reproducible():
    text = "Ceci est une phrase courte."
    first, _ = _run({"op": "language", "languages": ["en"]}, [(1, text)])
    again, _ = _run({"op": "language", "languages": ["en"]}, [(1, text)])
    assert first == again


def test_language_can_keep_unknown_texts():
    state, _ = _run({"op": "language", "languages": ["en"], "keep_unknown": True}, [(1, "123 456")])
    assert state[1]["excluded"] is None
