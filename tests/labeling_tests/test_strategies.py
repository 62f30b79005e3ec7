"""Queue ordering policies, without a database."""
from annotation.strategies import (
    Candidate,
    Column,
    FewestAnnotationsFirst,
    Random,
    ScrambledId,
    strategy_for,
)

POOL = [Candidate(5, 1), Candidate(2, 0), Candidate(9, 0), Candidate(1, 2), Candidate(7, 1)]


def test_it_orders_fewest_annotations_first_then_oldest():
    assert [c.id for c in FewestAnnotationsFirst().order(POOL)] == [2, 9, 5, 7, 1]


def test_fewest_annotations_first_is_the_order_of_the_queue_index():
    assert FewestAnnotationsFirst().order_terms() == (Column("annotation_count"), Column("id"))


def test_random_is_stable_for_a_seed_and_differs_across_seeds():
    many = [Candidate(i) for i in range(1, 201)]
    first = [c.id for c in Random(seed=3).order(many)]
    assert first == [c.id for c in Random(seed=3).order(reversed(many))]
    assert first != [c.id for c in Random(seed=4).order(many)]
    assert first != sorted(first)
    assert sorted(first) == list(range(1, 201))


def test_random_ends_on_the_id_so_the_order_is_total():
    terms = Random(seed=1).order_terms()
    assert isinstance(terms[0], ScrambledId) and terms[-1] == Column("id")


def test_the_scramble_stays_within_a_postgres_bigint_for_two_billion_ids():
    scramble = ScrambledId(seed=2**31 - 1)
    assert (2_000_000_000 | scramble.seed) * scramble.multiplier < 2**63
    assert 0 <= scramble(2_000_000_000) < scramble.modulus


def test_a_projects_queue_order_names_its_strategy():
    import pytest

    assert strategy_for("sequential", annotator_id=7) == FewestAnnotationsFirst()
    assert strategy_for("random", annotator_id=7) == Random(seed=7)
    assert strategy_for("random", annotator_id=2**40 + 3) == Random(seed=(2**40 + 3) % 2**31)
    with pytest.raises(ValueError):
        strategy_for("uncertain", annotator_id=1)
