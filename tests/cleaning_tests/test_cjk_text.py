"""Chinese, Japanese and Korean text in the cleaning steps and the label-noise features (issue 11):
lengths in tokens, near-duplicate shingles chosen per text by its script, PII in Chinese sentences.
The expected figures are worked out by hand in the comments."""
import pytest

from cleaning.steps import build_step, run_in_memory
from cleaning.steps.pii import redact
from common.scripts import cjk_share, is_cjk, token_count
from curation.noise import text_features


def _run(spec, rows):
    state, counts = run_in_memory([build_step(spec)], rows)
    return state, counts[0]


@pytest.mark.parametrize(
    ("text", "tokens", "cjk"),
    [
        ("这部电影非常好看", 8, True),  # simplified Chinese: one token per character
        ("這部電影非常好看", 8, True),  # traditional
        ("映画はとても良かった", 10, True),  # Japanese: kanji and kana, one token each
        ("이 영화 정말 좋아요", 4, True),  # Korean separates words with spaces: 4 words
        ("I loved 这部电影", 6, True),  # 2 words + 4 characters; 4 of 9 letters are Han (0.44)
        ("自带的vista home 不实用", 8, True),  # 6 Han of 15 letters (0.4): 6 + "vista", "home"
        ("The hotel was great", 4, False),
        ("12345 !!!", 2, False),  # no letters: not CJK
    ],
)
def test_it_counts_tokens_and_tells_the_script(text, tokens, cjk):
    assert token_count(text) == tokens
    assert is_cjk(text) is cjk


def test_a_mostly_latin_text_with_one_chinese_word_is_not_cjk():
    text = "The staff at the front desk said 没有 twice"  # 2 Han of 33 letters
    assert cjk_share(text) == pytest.approx(2 / 33)
    assert not is_cjk(text)


def test_min_length_in_tokens_counts_chinese_characters():
    rows = [(1, "好看"), (2, "这部电影非常好看"), (3, "great film")]
    state, counts = _run({"op": "min_length", "min": 3, "unit": "tokens"}, rows)
    assert state[1]["excluded"] == "shorter than 3 tokens"
    assert state[1]["details"] == {"length": 2}
    assert state[2]["excluded"] is None  # 8 tokens; split on spaces it was one
    assert state[3]["excluded"] == "shorter than 3 tokens"
    assert counts["excluded"] == 2


def test_max_length_in_tokens_counts_chinese_characters():
    state, _ = _run({"op": "max_length", "max": 5, "unit": "tokens"}, [(1, "这部电影非常好看"), (2, "很好")])
    assert state[1]["excluded"] == "longer than 5 tokens"
    assert state[1]["details"] == {"length": 8}
    assert state[2]["excluded"] is None


# 22 characters, 21 distinct bigrams: 这家 家酒 酒店 店的 的服 服务 务很 很好 好， ，房 房间 间干 干净 净，
# ，早 早餐 餐种 种类 类丰 丰富 富。  With 真的 inserted after 服务: 23 bigrams, 务很 gone, 务真 真的 的很
# new: 20 shared, union 24, J = 20/24 = 0.8333. Character 5-grams: 18 and 20 windows, 14 shared (3
# before the insertion, 11 after), union 24, J = 14/24 = 0.583: missed at 0.8.
HOTEL = "这家酒店的服务很好，房间干净，早餐种类丰富。"
HOTEL_EDITED = "这家酒店的服务真的很好，房间干净，早餐种类丰富。"


def test_near_dedup_uses_bigrams_for_chinese_by_default():
    state, _ = _run({"op": "near_dedup"}, [(1, HOTEL), (2, HOTEL_EDITED)])
    assert state[2]["excluded"] == "near-duplicate of #1"
    assert state[2]["details"] == {"near_duplicate_of": 1, "jaccard": 0.8333}


def test_near_dedup_with_five_grams_misses_the_chinese_pair():
    state, _ = _run({"op": "near_dedup", "ngram": 5}, [(1, HOTEL), (2, HOTEL_EDITED)])
    assert state[2]["excluded"] is None


def test_bigrams_keep_a_negation_apart_and_single_characters_do_not():
    # Bigrams: {强烈 烈推 推荐 荐。} vs {强烈 烈不 不推 推荐 荐。}: 3 shared of 6, J = 0.5.
    # Single characters: {强 烈 推 荐 。} vs the same plus 不: J = 5/6 = 0.8333, merged.
    rows = [(1, "强烈推荐。"), (2, "强烈不推荐。")]
    state, _ = _run({"op": "near_dedup"}, rows)
    assert state[2]["excluded"] is None
    state, _ = _run({"op": "near_dedup", "ngram": 1}, rows)
    assert state[2]["details"] == {"near_duplicate_of": 1, "jaccard": 0.8333}


def test_near_dedup_picks_shingles_per_text_in_a_mixed_project():
    rows = [
        (1, HOTEL),
        (2, "The room was spotless and the breakfast had plenty of choice."),
        (3, HOTEL_EDITED),
        (4, "The room was spotless and the breakfast had plenty of choice!"),
        (5, "映画はとても良かったです。また見たいと思います。"),
        (6, "映画はとても良かったです。また見たいと思いました。"),
    ]
    state, counts = _run({"op": "near_dedup"}, rows)
    linked = {i: e["details"]["near_duplicate_of"] for i, e in state.items() if e["excluded"]}
    assert linked == {3: 1, 4: 2, 6: 5}
    # Japanese: 24 characters, 23 bigrams of which 22 distinct (す。 twice, after で and after ま);
    # います。 → いました。: 24 characters, 24 distinct bigrams; ます goes, まし した た。 come: 21
    # shared, union 22 + 24 - 21 = 25, J = 21/25 = 0.84.
    assert state[6]["details"]["jaccard"] == 0.84
    assert counts["excluded"] == 3


def test_the_noise_features_of_chinese_are_character_ngrams():
    assert text_features("酒店很好") == ["酒", "店", "很", "好", "酒店", "店很", "很好"]
    # The Latin words of a mixed text stay words (lowercased, sklearn's word analyzer).
    assert text_features("WiFi 很快") == ["很", "快", "很快", "wifi"]
    assert text_features("The hotel was great") == [
        "the", "hotel", "was", "great", "the hotel", "hotel was", "was great",
    ]
    # Two opposite reviews now share what they share (酒店, 很): as one "word" each they shared nothing.
    assert set(text_features("这个酒店很好")) & set(text_features("这个酒店很差")) == {
        "这", "个", "酒", "店", "很", "这个", "个酒", "酒店", "店很",
    }


@pytest.mark.parametrize(
    ("text", "expected", "found"),
    [
        ("电话：139-1234-5678，谢谢", "电话：[PHONE]，谢谢", {"phone": 1}),
        ("手机号+86 186 0000 1234", "手机号[PHONE]", {"phone": 1}),
        ("联系我15012345678或者(010) 6552 9988", "联系我[PHONE]或者[PHONE]", {"phone": 2}),
        # The national standard's sample number (GB 11643): check digit X.
        ("身份证号码11010519491231002X。", "身份证号码[CN_ID]。", {"cn_id": 1}),
        # The same number with a wrong check digit is left alone.
        ("订单号110105194912310021", "订单号110105194912310021", {}),
    ],
)
def test_pii_in_chinese_sentences(text, expected, found):
    assert redact(text) == (expected, found)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("这部电影非常好看", "zh-Hans"),
        ("這部電影非常好看", "zh-Hant"),  # langdetect called it Korean
        ("早餐一般", "zh-Hans"),
        ("映画はとても良かった", "ja"),
        ("이 영화 정말 좋아요", "ko"),
        ("The film was great fun", "en"),
        ("Der Film war wirklich toll", "de"),
    ],
)
def test_the_language_step_names_short_cjk_texts(text, language):
    state, counts = _run({"op": "language", "languages": ["en"]}, [(1, text)])
    if language == "en":
        assert state[1]["excluded"] is None
    else:
        assert state[1]["details"]["language"] == language
        assert state[1]["excluded"] == f"language {language}"


def test_zh_keeps_both_chinese_scripts_and_a_script_tag_keeps_one():
    rows = [(1, "这部电影非常好看"), (2, "這部電影非常好看"), (3, "映画はとても良かった"), (4, "Great film")]
    state, _ = _run({"op": "language", "languages": ["zh"]}, rows)
    assert [i for i, e in state.items() if e["excluded"] is None] == [1, 2]
    state, _ = _run({"op": "language", "languages": ["zh-Hant", "ja"]}, rows)
    assert [i for i, e in state.items() if e["excluded"] is None] == [2, 3]
    # langdetect's old names, as stored in earlier runs' specs, still mean the same scripts.
    state, _ = _run({"op": "language", "languages": ["zh-cn"]}, rows)
    assert [i for i, e in state.items() if e["excluded"] is None] == [1]


def test_folding_chinese_scripts_is_off_by_default():
    rows = [(1, "这部电影非常好看，推荐！"), (2, "這部電影非常好看，推薦！")]
    state, _ = _run({"op": "exact_dedup"}, rows)
    assert state[2]["excluded"] is None
    state, _ = _run({"op": "exact_dedup", "fold_chinese": True}, rows)
    assert state[2]["excluded"] == "duplicate of #1"
    state, _ = _run({"op": "near_dedup", "fold_chinese": True}, rows)
    assert state[2]["details"] == {"near_duplicate_of": 1, "jaccard": 1.0}
