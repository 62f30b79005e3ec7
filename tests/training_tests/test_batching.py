"""Batches sorted by length inside shuffled pools: the same rows, the same number of batches, less padding."""
from __future__ import annotations

import torch

from training.engine.data import Encoded, batches


def _data(n: int = 1000, seed: int = 0) -> Encoded:
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(3, 120, (n,), generator=generator)
    ids = torch.zeros(n, 128, dtype=torch.long)
    return Encoded(ids, lengths, torch.zeros(n, dtype=torch.long))


def _padding(data: Encoded, **kwargs) -> tuple[int, list[int], int]:
    seen, padded, count = [], 0, 0
    for rows, _ids, mask, _ in batches(data, 32, **kwargs):
        seen.extend(rows.tolist())
        padded += int((~mask).sum())
        count += 1
    return padded, sorted(seen), count


def test_length_sorted_batches_cover_every_row_once_with_less_padding():
    data = _data()
    plain, rows_plain, n_plain = _padding(data, generator=torch.Generator().manual_seed(1))
    bucketed, rows_sorted, n_sorted = _padding(data, generator=torch.Generator().manual_seed(1), sort_by_length=True)
    assert rows_plain == rows_sorted == list(range(1000))
    assert n_plain == n_sorted == 32  # ceil(1000 / 32)
    assert bucketed < plain / 5


def test_sorted_batches_are_still_shuffled_by_seed():
    data = _data()
    first = [b[0].tolist() for b in batches(data, 32, generator=torch.Generator().manual_seed(1), sort_by_length=True)]
    again = [b[0].tolist() for b in batches(data, 32, generator=torch.Generator().manual_seed(1), sort_by_length=True)]
    other = [b[0].tolist() for b in batches(data, 32, generator=torch.Generator().manual_seed(2), sort_by_length=True)]
    assert first == again and first != other


def test_a_shard_takes_its_part_of_every_batch():
    data = _data(100)
    whole = [rows.tolist() for rows, *_ in batches(data, 10)]
    halves = [[rows.tolist() for rows, *_ in batches(data, 10, shard=(rank, 2))] for rank in (0, 1)]
    for batch, left, right in zip(whole, *halves, strict=True):
        assert sorted(left + right) == sorted(batch) and not set(left) & set(right)
