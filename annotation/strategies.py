"""Queue ordering policies: which eligible item an annotator gets next.

Pure: no Django. A strategy states its order twice, in two forms that must agree:

- ``order_terms()``: a tuple of terms (``Column`` or ``ScrambledId``) that the annotation service turns
  into an ORDER BY, so the database picks the first eligible row and can stop there;
- ``key(candidate)``: the same order as a Python sort key, used by the tests (and by anyone ordering
  candidates in memory) to pin down what the ORDER BY means.

Eligibility (overlap k, excluded items, what this person already saw) is the service's business, not the
strategy's: a strategy only orders.

Why not a library: the policy is three lines per strategy; what matters is that it maps onto an index.
``FewestAnnotationsFirst`` is exactly the order of the partial index ``item_queue_idx``
(project, annotation_count, id WHERE excluded_reason = ''), so a claim reads a handful of index entries
however large the project is. ``Random`` cannot use an index: the
database sorts every eligible candidate (a top-1 heap sort, O(n)), so prefer it for projects of
tens of thousands of items, not millions.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

# Knuth's multiplicative hash constant (2**32 / golden ratio, a prime) and a 31-bit modulus: with a
# seed and ids below 2**31, (id ^ seed) * multiplier stays below 2**63 (no bigint overflow).
_MULTIPLIER = 2654435761
_MODULUS = 2**31 - 1


@dataclass(frozen=True)
class Candidate:
    """What a strategy may look at: the item's id, how many annotations it has, and the margin of its
    suggestion from the project's latest run (None: no suggestion)."""

    id: int
    annotation_count: int = 0
    margin: float | None = None


@dataclass(frozen=True)
class Column:
    """Order by an item column, ascending."""

    name: str


@dataclass(frozen=True)
class ScrambledId:
    """Order by ``((id XOR seed) * multiplier) mod modulus``: a seeded, deterministic shuffle of ids.

    The seed is XORed in, not added: ``(id * a + seed) mod m`` is the same cyclic order for every seed.
    """

    seed: int
    multiplier: int = _MULTIPLIER
    modulus: int = _MODULUS

    def __post_init__(self):
        if not 0 <= self.seed < 2**31:
            raise ValueError("the seed must be in [0, 2**31)")

    def __call__(self, item_id: int) -> int:
        return ((item_id ^ self.seed) * self.multiplier) % self.modulus


@dataclass(frozen=True)
class SuggestionMargin:
    """Order by the margin (top-1 minus top-2 probability) of the item's suggestion from the project's
    latest run, ascending: the items the model is least sure of first; items without one after all
    that have one. As a sort key: ``(margin is None, margin or 0.0)``."""

    def __call__(self, margin: float | None) -> tuple[bool, float]:
        return (margin is None, 0.0 if margin is None else margin)


Term = Column | ScrambledId | SuggestionMargin


class QueueStrategy(ABC):
    """An ordering policy for the annotator queue."""

    name: ClassVar[str]

    @abstractmethod
    def order_terms(self) -> tuple[Term, ...]:
        """The ORDER BY, most significant first. The last term must make the order total."""

    def key(self, candidate: Candidate) -> tuple:
        """The same order as ``order_terms`` as a Python sort key."""
        values = []
        for term in self.order_terms():
            if isinstance(term, ScrambledId):
                values.append(term(candidate.id))
            elif isinstance(term, SuggestionMargin):
                values.append(term(candidate.margin))
            else:
                values.append(getattr(candidate, term.name))
        return tuple(values)

    def order(self, candidates) -> list[Candidate]:
        """``candidates`` in queue order (first = handed out next)."""
        return sorted(candidates, key=self.key)


@dataclass(frozen=True)
class FewestAnnotationsFirst(QueueStrategy):
    """Items with the fewest annotations first, then the oldest: fills overlap k breadth-first, so
    every item gets its first label before any gets its second. Backed by ``item_queue_idx``."""

    name: ClassVar[str] = "sequential"

    def order_terms(self) -> tuple[Term, ...]:
        return (Column("annotation_count"), Column("id"))


@dataclass(frozen=True)
class Random(QueueStrategy):
    """A seeded shuffle, stable for a given seed. Seeding per annotator (e.g. with the user id) gives
    each person a different order, so concurrent annotators rarely contend for the same row lock."""

    seed: int = 0
    name: ClassVar[str] = "random"

    def order_terms(self) -> tuple[Term, ...]:
        # The id breaks the (rare) ties of the hash, so the order is total.
        return (ScrambledId(self.seed), Column("id"))


@dataclass(frozen=True)
class LeastMarginFirst(QueueStrategy):
    """Uncertainty sampling: the items whose suggestion (the latest finished run's prediction) has the
    smallest margin between its two most probable labels first, where a label teaches the next model
    most; items without a suggestion follow in sequential order. No index serves this order: the
    database sorts the eligible candidates (a top-1 heap sort, as ``Random``)."""

    name: ClassVar[str] = "uncertainty"

    def order_terms(self) -> tuple[Term, ...]:
        return (SuggestionMargin(), Column("annotation_count"), Column("id"))


# The project setting ``queue_order`` (projects.models.Project.QueueOrder) names one of these.
QUEUE_ORDERS = ("sequential", "random", "uncertainty")


def strategy_for(queue_order: str, *, annotator_id: int) -> QueueStrategy:
    """The strategy a project's ``queue_order`` asks for. "sequential": import order, fewest annotations
    first (breadth-first over overlap k, on the queue index); "random": a shuffle seeded by the
    annotator, so each person sees their own stable order and rivals rarely meet on a row lock;
    "uncertainty": least suggestion margin first (``LeastMarginFirst``). ValueError for an unknown order."""
    if queue_order == "sequential":
        return FewestAnnotationsFirst()
    if queue_order == "random":
        return Random(seed=annotator_id % 2**31)
    if queue_order == "uncertainty":
        return LeastMarginFirst()
    raise ValueError(f"unknown queue order {queue_order!r}; one of {', '.join(QUEUE_ORDERS)}")
