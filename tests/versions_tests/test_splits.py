"""Splits depend only on item id, seed and fractions (pure; no database)."""
from __future__ import annotations

import pytest

from curation.splits import SplitAssigner, SplitError, split_validate

SPLIT = {"train": 0.8, "val": 0.1, "test": 0.1}


def test_it_gives_an_item_the_same_split_every_time():
    first, second = SplitAssigner(SPLIT, seed=7), SplitAssigner(dict(SPLIT), seed=7)
    assert [first(i) for i in range(1, 2000)] == [second(i) for i in range(1, 2000)]


def test_it_keeps_an_items_split_whatever_other_items_exist():
    assign = SplitAssigner(SPLIT, seed=3)
    alone = {i: assign(i) for i in range(500, 600)}
    among_many = {i: assign(i) for i in range(1, 5000)}
    assert all(among_many[i] == split for i, split in alone.items())


def test_it_draws_other_splits_with_another_seed():
    a, b = SplitAssigner(SPLIT, seed=1), SplitAssigner(SPLIT, seed=2)
    assert sum(a(i) != b(i) for i in range(1, 2000)) > 300


def test_it_honours_the_fractions():
    assign = SplitAssigner({"train": 0.6, "val": 0.3, "test": 0.1}, seed=0)
    n = 20_000
    shares = {name: 0 for name in ("train", "val", "test")}
    for i in range(n):
        shares[assign(i)] += 1
    assert shares["train"] / n == pytest.approx(0.6, abs=0.015)
    assert shares["val"] / n == pytest.approx(0.3, abs=0.015)
    assert shares["test"] / n == pytest.approx(0.1, abs=0.015)


def test_it_puts_nothing_in_an_empty_split():
    assign = SplitAssigner({"train": 0.9, "val": 0.0, "test": 0.1}, seed=0)
    assert {assign(i) for i in range(5000)} == {"train", "test"}


def test_it_moves_only_items_across_a_moved_boundary():
    before = SplitAssigner({"train": 0.8, "val": 0.1, "test": 0.1}, seed=5)
    after = SplitAssigner({"train": 0.7, "val": 0.2, "test": 0.1}, seed=5)
    moved = {(before(i), after(i)) for i in range(5000) if before(i) != after(i)}
    assert moved == {("train", "val")}


@pytest.mark.parametrize(
    "fractions",
    [{"train": 0.8, "val": 0.1, "test": 0.2}, {"train": 1.2, "val": -0.1, "test": -0.1},
     {"train": 0.5, "val": 0.5, "holdout": 0.0}, {"train": "0.8", "val": 0.1, "test": 0.1}, [0.8, 0.1, 0.1]],
)
def test_it_rejects_fractions_that_are_not_a_split(fractions):
    with pytest.raises(SplitError):
        split_validate(fractions)
