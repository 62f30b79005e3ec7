"""Consolidation of multi-label and span annotations. Pure (numpy/scipy through
``annotation.consolidation``; no Django).

Both reduce to binary decisions consolidated with the single-label machinery of
``annotation.consolidation`` (``majority_vote``, ``dawid_skene``) over the classes ``("no", "yes")``:

Multi-label, per label
    Every annotator of an item decides, for each project label, whether it applies (an empty set says
    "no" to every label: "none of these" is an answer). ``majority``: a label is kept when MORE than
    half of the item's annotators chose it. **Tie rule: exactly half is not a majority, the label is
    not kept** (``majority_vote`` breaks ties towards the first class, "no"). ``dawid_skene``: one binary
    Dawid–Skene per label (each annotator's sensitivity and specificity for that label); kept when the
    posterior of "yes" is above 1/2 (a tie again goes to "no").

Spans, per candidate span
    The candidates of an item are the distinct exact spans ``(start, end, label)`` any of its annotators
    marked; each of the item's annotators says yes (marked exactly that span) or no (did not). An
    annotator whose spans differ by a character marked another candidate: matching is exact.
    ``majority``: a span is kept when MORE than half of the item's annotators marked it. **Tie rule:
    exactly half is not kept** (two annotators who disagree keep neither span). Because two kept spans
    each have more than half the annotators, some annotator marked both: when no annotator's own spans
    overlap, the consolidated spans do not overlap either. ``dawid_skene``: one binary Dawid–Skene over
    every (item, candidate) unit of the project: each annotator's rate of marking true spans and of
    marking false ones; kept when the posterior of "yes" is above 1/2.

Confidence of an item: the least sure of its decisions, ``min`` over the labels (multi-label) or the
candidate spans (spans) of the share of annotators (majority) or the posterior (Dawid–Skene) on the
side that won; 1.0 for an item whose annotators all marked no span. ``per_label`` / ``support`` give
each decision's P(yes). A second vote of an annotator on an item replaces the first.
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from annotation.consolidation import METHODS, dawid_skene, majority_vote

BINARY = ("no", "yes")  # "no" first: majority_vote and dawid_skene give ties to the first class

__all__ = [
    "LabelSetConsensus",
    "SpanConsensus",
    "consolidate_label_sets",
    "consolidate_spans",
]


@dataclass(frozen=True, slots=True)
class LabelSetConsensus:
    labels: list[str]  # the consolidated set, in project label order; [] = "none of these"
    confidence: float  # the least sure per-label decision (module docstring)
    votes: int  # how many annotators answered the item
    per_label: dict[str, float]  # label → P(it applies): share of annotators (majority) or posterior (DS)


@dataclass(frozen=True, slots=True)
class SpanConsensus:
    spans: list[dict]  # the consolidated spans [{start, end, label}], sorted by (start, end, label)
    confidence: float  # the least sure per-span decision; 1.0 when no annotator marked a span
    votes: int  # how many annotators answered the item
    support: dict[tuple[int, int, str], float]  # candidate (start, end, label) → P(kept)


def _check(method: str, labels: Sequence[str]) -> set[str]:
    if method not in METHODS:
        raise ValueError(f"unknown consolidation method {method!r}; expected one of {METHODS}")
    known = set(labels)
    if len(known) != len(labels) or not known:
        raise ValueError("labels must be distinct and not empty")
    return known


def _binary(votes: list[tuple[Hashable, Hashable, str]], method: str, **options) -> dict:
    """unit → (P(yes), decided yes) by ``method`` over the classes ("no", "yes")."""
    if not votes:
        return {}
    if method == "majority":
        found = majority_vote(votes, BINARY)
        return {
            unit: (c.confidence if c.label == "yes" else 1.0 - c.confidence, c.label == "yes")
            for unit, c in found.items()
        }
    found = dawid_skene(votes, BINARY, **options).consensus
    return {unit: (c.posterior["yes"], c.label == "yes") for unit, c in found.items()}


def consolidate_label_sets(
    votes: Iterable[tuple[Hashable, Hashable, Iterable[str]]],
    labels: Sequence[str],
    method: str = "majority",
    **options,
) -> dict[Hashable, LabelSetConsensus]:
    """One label set per voted item by per-label ``method`` ("majority" or "dawid_skene"; ``options``
    go to ``consolidation.dawid_skene``). A label outside ``labels`` raises ValueError.

    >>> consolidate_label_sets([(1, "a", ["x"]), (1, "b", ["x", "y"]), (1, "c", [])], ["x", "y"])[1].labels
    ['x']
    """
    known = _check(method, labels)
    latest: dict[Hashable, dict[Hashable, frozenset[str]]] = {}
    for item, annotator, chosen in votes:
        chosen = frozenset(chosen)
        if not chosen <= known:
            raise ValueError(f"vote for item {item!r} has labels {sorted(chosen - known)!r}, not in {list(labels)!r}")
        latest.setdefault(item, {})[annotator] = chosen
    decided = {
        label: _binary(
            [(item, a, "yes" if label in chosen else "no") for item, per in latest.items() for a, chosen in per.items()],
            method, **options,
        )
        for label in labels
    }
    out = {}
    for item, per in latest.items():
        p_yes = {label: decided[label][item][0] for label in labels}
        kept = [label for label in labels if decided[label][item][1]]
        sure = min(p if label in kept else 1.0 - p for label, p in p_yes.items())
        out[item] = LabelSetConsensus(labels=kept, confidence=float(sure), votes=len(per), per_label=p_yes)
    return out


def _span_key(span) -> tuple[int, int, str]:
    if isinstance(span, Mapping):
        return int(span["start"]), int(span["end"]), str(span["label"])
    start, end, label = span
    return int(start), int(end), str(label)


def consolidate_spans(
    votes: Iterable[tuple[Hashable, Hashable, Iterable]],
    labels: Sequence[str],
    method: str = "majority",
    **options,
) -> dict[Hashable, SpanConsensus]:
    """One span list per voted item: the candidate spans kept by ``method`` (module docstring; spans as
    ``{start, end, label}`` dicts or ``(start, end, label)`` tuples). A label outside ``labels`` raises
    ValueError.

    >>> found = consolidate_spans([(1, "a", [(0, 4, "PER")]), (1, "b", [(0, 4, "PER")]), (1, "c", [])], ["PER"])
    >>> found[1].spans, round(found[1].confidence, 3)
    ([{'start': 0, 'end': 4, 'label': 'PER'}], 0.667)
    """
    known = _check(method, labels)
    latest: dict[Hashable, dict[Hashable, frozenset]] = {}
    for item, annotator, spans in votes:
        marked = frozenset(_span_key(span) for span in spans)
        bad = {s[2] for s in marked} - known
        if bad:
            raise ValueError(f"vote for item {item!r} has span labels {sorted(bad)!r}, not in {list(labels)!r}")
        latest.setdefault(item, {})[annotator] = marked
    candidates = {item: sorted(set().union(*per.values())) for item, per in latest.items()}
    decided = _binary(
        [((item, span), a, "yes" if span in marked else "no")
         for item, per in latest.items() for span in candidates[item] for a, marked in per.items()],
        method, **options,
    )
    out = {}
    for item, per in latest.items():
        support = {span: decided[item, span][0] for span in candidates[item]}
        kept = [span for span in candidates[item] if decided[item, span][1]]
        sure = min((p if span in kept else 1.0 - p for span, p in support.items()), default=1.0)
        out[item] = SpanConsensus(
            spans=[{"start": s, "end": e, "label": label} for s, e, label in kept],
            confidence=float(sure), votes=len(per), support=support,
        )
    return out
