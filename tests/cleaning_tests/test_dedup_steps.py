"""exact_dedup and near_dedup: who is kept, how duplicates are linked, and the MinHash underneath."""
import random

import numpy as np
from datasketch import MinHash

from cleaning.steps import build_step, run_in_memory
from cleaning.steps.minhash import char_shingles, choose_bands, permutations, shingle_hashes, signatures
from cleaning.steps.near_dedup import jaccard


def _run(spec, rows, batch_size=1000):
    state, counts = run_in_memory([build_step(spec)], rows, batch_size=batch_size)
    return state, counts[0]


def test_exact_dedup_keeps_the_lowest_id_and_links_the_rest():
    rows = [(3, "Hello  World"), (7, "hello world"), (9, "HELLO WORLD "), (12, "something else")]
    state, counts = _run({"op": "exact_dedup"}, rows, batch_size=2)
    assert state[3]["excluded"] is None
    assert state[7]["excluded"] == "duplicate of #3"
    assert state[9]["details"] == {"duplicate_of": 3}
    assert state[12]["excluded"] is None
    assert counts["excluded"] == 2


def test_exact_dedup_leaves_texts_unchanged():
    state, counts = _run({"op": "exact_dedup"}, [(1, "A  b"), (2, "a b")])
    assert state[2]["text"] == "a b"
    assert counts["changed"] == 0


BASE = "the quick brown fox jumps over the lazy dog while the cat watches from the warm windowsill"


def test_near_dedup_links_a_close_copy_to_the_kept_original():
    copy = BASE.replace("lazy", "sleepy")
    other = "an entirely different sentence about rainfall statistics in the northern provinces"
    state, counts = _run({"op": "near_dedup"}, [(1, BASE), (2, other), (5, copy)])
    expected = jaccard(char_shingles(BASE, 5), char_shingles(copy, 5))
    assert expected >= 0.8
    assert state[1]["excluded"] is None and state[2]["excluded"] is None
    assert state[5]["excluded"] == "near-duplicate of #1"
    assert state[5]["details"] == {"near_duplicate_of": 1, "jaccard": round(expected, 4)}
    assert counts["excluded"] == 1 and counts["kept_with_duplicates"] == 1


def test_near_dedup_keeps_pairs_below_the_threshold():
    far = BASE.replace("quick brown fox", "slow grey wolf").replace("warm", "cold")
    assert jaccard(char_shingles(BASE, 5), char_shingles(far, 5)) < 0.8
    state, _ = _run({"op": "near_dedup"}, [(1, BASE), (2, far)])
    assert state[2]["excluded"] is None


def test_near_dedup_reports_only_pairs_whose_exact_jaccard_reaches_the_threshold():
    rng = random.Random(7)
    words = [f"w{i}" for i in range(300)]
    rows, next_id = [], 1
    for _ in range(60):
        text = " ".join(rng.choices(words, k=25))
        rows.append((next_id, text))
        next_id += 1
        for _ in range(2):  # copies with a few words replaced: some above 0.8, some below
            mutated = text.split()
            for _ in range(rng.randint(0, 4)):
                mutated[rng.randrange(len(mutated))] = rng.choice(words)
            rows.append((next_id, " ".join(mutated)))
            next_id += 1
    state, _ = _run({"op": "near_dedup", "threshold": 0.8}, rows, batch_size=37)
    texts = dict(rows)
    linked = 0
    for item_id, entry in state.items():
        if entry["excluded"]:
            kept = entry["details"]["near_duplicate_of"]
            assert kept < item_id and state[kept]["excluded"] is None
            assert jaccard(char_shingles(texts[item_id], 5), char_shingles(texts[kept], 5)) >= 0.8
            linked += 1
    assert linked > 20


def test_near_dedup_folds_identical_texts_onto_the_same_kept_copy():
    copy = BASE.replace("lazy", "sleepy")
    state, _ = _run({"op": "near_dedup"}, [(1, BASE), (2, copy), (3, copy.upper())])
    assert state[2]["details"]["near_duplicate_of"] == 1
    assert state[3]["details"] == state[2]["details"]


def test_near_dedup_can_use_word_shingles():
    long_text = " ".join(f"word{i}" for i in range(200))
    copy = long_text.replace("word100", "other")
    state, _ = _run({"op": "near_dedup", "shingle": "word"}, [(1, long_text), (2, copy)])
    assert state[2]["details"]["near_duplicate_of"] == 1


def test_signatures_equal_datasketch_minhash_on_the_same_shingle_hashes():
    texts = [BASE, "short", "ab", "", "mixed ünïcode 文字 text with emoji 🙂 inside"]
    seg, h32 = shingle_hashes(texts, 5)
    a, b = permutations(64)
    ours = signatures(seg, h32, len(texts), a, b)
    for i in range(len(texts)):
        theirs = MinHash(num_perm=64, hashfunc=int)
        theirs.update_batch([int(h) for h in h32[seg == i]])
        assert np.array_equal(ours[i], theirs.hashvalues), i


def test_shingle_hashes_count_the_exact_shingles():
    texts = [BASE, "abc", "abcdefg", "aaaaaaa"]
    seg, _ = shingle_hashes(texts, 5)
    assert np.bincount(seg).tolist() == [len(char_shingles(t, 5)) for t in texts]


def test_bands_are_tuned_for_recall_at_the_threshold():
    bands, rows = choose_bands(0.8, 128)
    assert (bands, rows) == (21, 6)
    assert 1 - (1 - 0.8**rows) ** bands >= 0.99
