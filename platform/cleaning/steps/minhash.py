"""MinHash signatures and LSH band keys for a whole batch of texts at once (numpy).

Why not datasketch's objects directly: measured on this machine for 5,000 short texts (84 char
5-grams each), ``MinHash.bulk`` costs 90 µs per text and ``MinHashLSH.insert`` 28 µs more, i.e.
about 2.5 minutes of pure CPU for a million texts before any query, and ``MinHashLSH`` keeps a Python
set per bucket per band: bench_cleaning measures 3.2 GB of index per million texts (tracemalloc). The
signature here is *datasketch's* MinHash (its default ``affine32`` scheme: MurmurHash3 fmix32 pre-mix,
then ``a*h + b mod 2^32`` with the permutations of ``datasketch.MinHash(num_perm, seed)``), computed
for every text of a batch in a few numpy operations: a test checks it equals ``MinHash.update_batch``
on the same shingle hashes. Banding is a sort over one uint64 key per item and band instead of dicts
of sets, so a million items cost ``bands × 8 MB``.
"""
from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

_U32 = np.uint32
_U64 = np.uint64
_MAX32 = np.uint32(0xFFFFFFFF)
_BASE = np.uint64(0x100000001B3)  # polynomial base for the rolling n-gram hash (wraps mod 2^64)


def permutations(num_perm: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own affine32 permutation parameters (a odd, b) for ``num_perm`` and ``seed``."""
    from datasketch import MinHash  # here, not at import: datasketch pulls scipy (about 60 MB) into every process

    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return a.astype(_U32), b.astype(_U32)


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before its permutations."""
    h = h ^ (h >> _U32(16))
    h = h * _U32(0x85EBCA6B)
    h = h ^ (h >> _U32(13))
    h = h * _U32(0xC2B2AE35)
    return h ^ (h >> _U32(16))


def _mix64_to_32(h: np.ndarray) -> np.ndarray:
    # splitmix64 finalizer, then the high half: neighbouring n-grams get unrelated 32-bit hashes
    h = h ^ (h >> _U64(30))
    h = h * _U64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> _U64(27))
    h = h * _U64(0x94D049BB133111EB)
    h = h ^ (h >> _U64(31))
    return (h >> _U64(32)).astype(_U32)


def char_shingles(text: str, n: int) -> set[str]:
    """The exact shingle set: every n-character window; a shorter non-empty text is one shingle."""
    if len(text) < n:
        return {text} if text else set()
    return {text[i : i + n] for i in range(len(text) - n + 1)}


def word_shingles(text: str, n: int) -> set[str]:
    words = text.split()
    if len(words) < n:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def _poly(cps: np.ndarray, n: int) -> np.ndarray:
    """Rolling polynomial hash of every n-window of code points (uint64, wrapping)."""
    count = len(cps) - n + 1
    h = np.zeros(count, dtype=_U64)
    for k in range(n):
        h = h * _BASE + cps[k : k + count]
    return h


def shingle_hashes(texts: Sequence[str], n: int, kind: str = "char") -> tuple[np.ndarray, np.ndarray]:
    """Distinct 32-bit shingle hashes of each text as two aligned arrays ``(segment, hash)``,
    sorted by segment (the text's position in ``texts``). Texts without shingles have no entry."""
    if kind == "word":
        segs, hashes = [], []
        for i, text in enumerate(texts):
            for shingle in word_shingles(text, n):
                segs.append(i)
                hashes.append(zlib.crc32(shingle.encode("utf-8")))
        seg = np.asarray(segs, dtype=np.int64)
        h32 = np.asarray(hashes, dtype=_U64).astype(_U32)
    else:
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        cps = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(_U64)
        starts = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        if len(cps) >= n:
            h = _poly(cps, n)
            seg = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)[: len(h)]
            valid = np.arange(len(h), dtype=np.int64) - starts[seg] <= lengths[seg] - n  # window inside its text
            h, seg = h[valid], seg[valid]
        else:
            h, seg = np.zeros(0, dtype=_U64), np.zeros(0, dtype=np.int64)
        short = np.flatnonzero((lengths > 0) & (lengths < n))
        if len(short):  # rare: a text shorter than n is one shingle, hashed over its own length
            extra = [_poly(cps[starts[i] : starts[i] + lengths[i]], int(lengths[i]))[0] for i in short]
            h = np.concatenate([h, np.asarray(extra, dtype=_U64)])
            seg = np.concatenate([seg, short])
        h32 = _mix64_to_32(h)
    key = _sorted_unique((seg.astype(_U64) << _U64(32)) | h32.astype(_U64))
    return (key >> _U64(32)).astype(np.int64), (key & _U64(0xFFFFFFFF)).astype(_U32)


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    # sort + neighbour compare: numpy 2.4's hash-based np.unique was 10x slower here (5.6 s vs 0.5 s
    # for 1.6M uint64 keys on this machine)
    values = np.sort(values)
    if len(values) == 0:
        return values
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def signatures(seg: np.ndarray, h32: np.ndarray, count: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signatures (count × num_perm, uint32); a text without shingles keeps all-ones.

    Works through blocks of 64 texts with (num_perm × shingles) buffers of a few MB that stay in
    cache and are reused, instead of one huge temporary per operation (3x faster measured)."""
    out = np.full((count, len(a)), _MAX32, dtype=_U32)
    if len(h32) == 0:
        return out
    hv = fmix32(h32)
    first = np.flatnonzero(np.concatenate(([True], seg[1:] != seg[:-1])))  # seg is sorted
    present = seg[first]
    a_col, b_col = a[:, None], b[:, None]
    texts_per_block = 64
    for t0 in range(0, len(first), texts_per_block):
        start = first[t0]
        end = first[t0 + texts_per_block] if t0 + texts_per_block < len(first) else len(hv)
        block = np.multiply(a_col, hv[None, start:end])  # wraps mod 2^32, as datasketch
        np.add(block, b_col, out=block)
        out[present[t0 : t0 + texts_per_block]] = np.minimum.reduceat(
            block, first[t0 : t0 + texts_per_block] - start, axis=1
        ).T
    return out


def choose_bands(threshold: float, num_perm: int, recall: float = 0.99) -> tuple[int, int]:
    """(bands, rows) with the most rows per band whose chance of making a pair at exactly
    ``threshold`` a candidate, 1 - (1 - t^r)^b, is at least ``recall``. More rows per band means fewer
    false candidates, so this puts the S-curve's knee as high as the recall target allows (for
    t = 0.8, 128 permutations: 21 bands × 6 rows, P(candidate | J = 0.8) = 0.998, knee near 0.6)."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= recall:
            return bands, rows
    return num_perm, 1


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One uint64 key per item and band (count × bands): equal bands give equal keys."""
    out = np.empty((sig.shape[0], bands), dtype=_U64)
    for j in range(bands):
        h = np.full(sig.shape[0], j + 1, dtype=_U64)
        for k in range(j * rows, (j + 1) * rows):
            h = (h ^ sig[:, k].astype(_U64)) * _U64(0x9E3779B97F4A7C15)
        out[:, j] = h ^ (h >> _U64(29))
    return out


def candidate_pairs(keys: np.ndarray, cap: int = 64) -> np.ndarray:
    """Pairs of row positions sharing a band key, as sorted unique int64 ``lo * n + hi`` (lo < hi).

    Rows are in ascending id order. In a bucket of more than ``cap + 1`` rows, each row is paired
    only with the bucket's first ``cap`` rows (the lowest ids, the likely kept copies), so a bucket
    of a hundred thousand templated texts costs ``cap`` comparisons per row, not fifty thousand."""
    n = keys.shape[0]
    found = np.zeros(0, dtype=np.int64)
    for j in range(keys.shape[1]):
        order = np.argsort(keys[:, j], kind="stable")
        ordered = keys[order, j]
        breaks = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        starts = np.concatenate(([0], breaks))
        sizes = np.diff(np.concatenate((starts, [n])))
        pairs = [order[starts[sizes == 2]] * n + order[starts[sizes == 2] + 1]]
        for start, size in zip(starts[sizes > 2], sizes[sizes > 2], strict=True):
            members = np.sort(order[start : start + size])
            heads = members[:cap]
            lo = np.broadcast_to(heads[None, :], (size - 1, len(heads)))
            hi = np.broadcast_to(members[1:, None], (size - 1, len(heads)))
            mask = lo < hi
            pairs.append(lo[mask] * n + hi[mask])
        found = _sorted_unique(np.concatenate([found, *pairs]).astype(np.int64))
    return found
