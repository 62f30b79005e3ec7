"""Agreement on span annotations (NER): span-level F1 between annotators, exact and overlap match, per
label and pooled, and Krippendorff's alpha over token-level BIO tags. Pure (numpy; no Django).

Input is a stream of votes ``(item_key, annotator_key, spans)`` where ``spans`` is an iterable of
``(start, end, label)`` (or ``{"start", "end", "label"}`` dicts), offsets in code points of the item's
text; ``texts`` maps item keys to their text (needed for the tokens). A second vote by the same
annotator on the same item replaces the first; an empty span list is an answer ("no entity") and counts.

Span F1 (``span_f1``)
    For two annotators on one item and one label, with A and B their spans of that label:
    * exact: ``tp`` = spans in both (same start, end and label);
    * overlap: ``tp`` = the largest one-to-one matching of A's spans with B's spans of the same label
      that share at least one character (a maximum bipartite matching, so a long span overlapping two
      short ones counts once, and the figure is symmetric);
    and ``F1 = 2 tp / (|A| + |B|)`` (with one annotator taken as the reference, precision and recall are
    ``tp / |A|`` and ``tp / |B|``: this is their harmonic mean, and the same figure either way round).
    Pooled figures (a pair over its shared items, a label over every pair, all labels over everything)
    add up ``tp`` and ``|A| + |B|`` first (micro F1). Undefined (None) when neither side marked a span
    (``|A| + |B| = 0``): agreeing on "no entity" says nothing about spans; the token alpha counts it.

Token alpha (``token_tags``)
    Each item's text is cut into tokens: one per character (whitespace skipped) for CJK text
    (``common.scripts.is_cjk``: Chinese and Japanese write no spaces), else runs of word characters and
    single punctuation characters. Each annotator's spans become one tag per token: ``B-<label>`` for the
    first token a span touches, ``I-<label>`` for the next ones, ``O`` for the rest; a token touched by
    two overlapping spans takes the tag of the span that starts first (then the longer one, then label
    order), so a token has exactly one tag. Units are (item, token), values the tags; alpha is nominal
    (``agreement.krippendorff_alpha``, checked against the ``krippendorff`` package). A span boundary
    inside a token moves to the token's edge, as in every token-level scheme.
"""
from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from annotation.agreement import (
    RatingTable,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen_kappa,
    percent_agreement,
)
from common.scripts import is_cjk

Span = tuple[int, int, str]
SpanVote = tuple[Hashable, Hashable, Iterable]

_WORD_OR_PUNCT = re.compile(r"\w+|[^\w\s]")
_NOT_SPACE = re.compile(r"\S")

__all__ = [
    "as_spans",
    "latest_span_votes",
    "overlap_matches",
    "span_agreement",
    "span_f1",
    "tag_tokens",
    "token_tags",
    "tokenize",
]


def as_spans(spans: Iterable) -> tuple[Span, ...]:
    """Spans as sorted, distinct ``(start, end, label)`` tuples (dicts or tuples accepted)."""
    out = set()
    for span in spans:
        if isinstance(span, Mapping):
            out.add((int(span["start"]), int(span["end"]), str(span["label"])))
        else:
            start, end, label = span
            out.add((int(start), int(end), str(label)))
    return tuple(sorted(out))


def latest_span_votes(votes: Iterable[SpanVote]) -> dict[Hashable, dict[Hashable, tuple[Span, ...]]]:
    """item → annotator → spans, in first-seen order; a later vote of an annotator on an item wins."""
    out: dict[Hashable, dict[Hashable, tuple[Span, ...]]] = {}
    for item, annotator, spans in votes:
        out.setdefault(item, {})[annotator] = as_spans(spans)
    return out


def tokenize(text: str) -> list[tuple[int, int]]:
    """Token offsets ``(start, end)`` in code points: per character for CJK text, else words and single
    punctuation characters.

    >>> tokenize("Anna lives in New-York.")
    [(0, 4), (5, 10), (11, 13), (14, 17), (17, 18), (18, 22), (22, 23)]
    >>> tokenize("我爱 北京")
    [(0, 1), (1, 2), (3, 4), (4, 5)]
    """
    pattern = _NOT_SPACE if is_cjk(text) else _WORD_OR_PUNCT
    return [m.span() for m in pattern.finditer(text)]


def _tag_positions(starts: Sequence[int], ends: Sequence[int], spans: Iterable[Span]) -> dict[int, tuple[bool, str]]:
    """token index → (is the span's first token, label) for the tokens some span touches."""
    tagged: dict[int, tuple[bool, str]] = {}
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1], s[2])):
        # Tokens touching [start, end): token.end > start and token.start < end (both lists sorted).
        first, last = bisect_right(ends, start), bisect_left(starts, end)
        for t in range(first, last):
            tagged.setdefault(t, (t == first, label))
    return tagged


def tag_tokens(tokens: Sequence[tuple[int, int]], spans: Iterable[Span]) -> list[str]:
    """One BIO tag per token (see the module docstring for overlapping spans).

    >>> tag_tokens(tokenize("Anna lives in New York"), [(0, 4, "PER"), (14, 22, "LOC")])
    ['B-PER', 'O', 'O', 'B-LOC', 'I-LOC']
    """
    tags = ["O"] * len(tokens)
    tagged = _tag_positions([t[0] for t in tokens], [t[1] for t in tokens], spans)
    for t, (first, label) in tagged.items():
        tags[t] = ("B-" if first else "I-") + label
    return tags


def token_tags(
    votes: Iterable[SpanVote], texts: Mapping[Hashable, str]
) -> list[tuple[tuple[Hashable, int], Hashable, str]]:
    """Votes over (item, token index) units: ``((item, t), annotator, tag)`` for every token of every
    annotated item with a text, ready for ``agreement.rating_table`` (``span_agreement`` builds the same
    table from integer codes, faster)."""
    out = []
    for item, by_annotator in latest_span_votes(votes).items():
        text = texts.get(item)
        if text is None:
            continue
        tokens = tokenize(text)
        for annotator, spans in by_annotator.items():
            out.extend(((item, t), annotator, tag) for t, tag in enumerate(tag_tokens(tokens, spans)))
    return out


def _token_table(by_item: Mapping[Hashable, Mapping[Hashable, Sequence[Span]]], texts: Mapping[Hashable, str],
                 tag_names: Sequence[str]) -> RatingTable:
    """``rating_table(token_tags(...), tag_names)`` without a tuple per token: units are numbered."""
    code = {name: k for k, name in enumerate(tag_names)}
    raters: dict[Hashable, int] = {}
    units, who, what = [], [], []
    n_units = 0
    for item, per in by_item.items():
        text = texts.get(item)
        if text is None:
            continue
        tokens = tokenize(text)
        if not tokens:
            continue
        starts, ends = [t[0] for t in tokens], [t[1] for t in tokens]
        n = len(tokens)
        for annotator, spans in per.items():
            tags = np.zeros(n, np.int64)  # "O" is code 0
            for t, (first, label) in _tag_positions(starts, ends, spans).items():
                tags[t] = code[("B-" if first else "I-") + label]
            units.append(np.arange(n_units, n_units + n))
            who.append(np.full(n, raters.setdefault(annotator, len(raters))))
            what.append(tags)
        n_units += n
    if not units:
        empty = np.zeros(0, np.int64)
        return RatingTable(empty, empty, empty, [], [], list(tag_names))
    unit, rater, tag = np.concatenate(units), np.concatenate(who), np.concatenate(what)
    order = np.lexsort((rater, unit))
    return RatingTable(unit[order], rater[order], tag[order], list(range(n_units)), list(raters), list(tag_names))


def overlap_matches(a: Sequence[Span], b: Sequence[Span]) -> int:
    """Size of the largest one-to-one matching of ``a``'s spans with ``b``'s spans of the same label that
    share at least one character.

    >>> overlap_matches([(0, 10, "X")], [(0, 3, "X"), (5, 8, "X")])
    1
    >>> overlap_matches([(0, 4, "X"), (6, 9, "X")], [(2, 7, "X"), (0, 1, "X")])
    2
    """
    if not a or not b:
        return 0
    if len(a) == len(b) and set(a) == set(b):  # the common case, and a perfect matching
        return len(a)
    # Kuhn's augmenting paths: an item has a handful of spans per label.
    touching = [[j for j, (s2, e2, l2) in enumerate(b) if l1 == l2 and s1 < e2 and s2 < e1] for s1, e1, l1 in a]
    owner = [-1] * len(b)

    def augment(i: int, seen: set[int]) -> bool:
        for j in touching[i]:
            if j not in seen:
                seen.add(j)
                if owner[j] < 0 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(a)) if touching[i])


@dataclass
class _Counts:
    """Sums for a micro F1: exact and overlap true positives, and |A| + |B|."""

    exact: int = 0
    overlap: int = 0
    total: int = 0

    def add(self, a: Sequence[Span], b: Sequence[Span]) -> None:
        self.exact += len(set(a) & set(b))
        self.overlap += overlap_matches(a, b)
        self.total += len(a) + len(b)

    def merge(self, other: _Counts) -> None:
        self.exact += other.exact
        self.overlap += other.overlap
        self.total += other.total

    def figures(self) -> dict:
        if not self.total:
            return {"exact_f1": None, "overlap_f1": None, "spans": 0}
        return {"exact_f1": 2 * self.exact / self.total, "overlap_f1": 2 * self.overlap / self.total,
                "spans": self.total}


@dataclass
class _Pair:
    items: int = 0
    counts: _Counts = field(default_factory=_Counts)


def span_f1(votes: Iterable[SpanVote] | Mapping, labels: Sequence[str]) -> dict:
    """Span-level agreement F1 (module docstring), ``None`` wherever undefined (``votes`` may also be
    ``latest_span_votes``'s mapping):

    ``{"exact_f1", "overlap_f1", "spans", "items_compared", "per_label": {label: {"exact_f1",
    "overlap_f1", "spans"}}, "pairs": [{"a", "b", "n", "exact_f1", "overlap_f1", "spans"}]}``

    ``spans`` counts |A| + |B| summed over the pairs compared (each span once per other annotator of
    its item); ``n`` is the items a pair shares; pairs come most shared items first. Labels found in
    the votes but not in ``labels`` are reported after them in sorted order."""
    by_item = votes if isinstance(votes, Mapping) else latest_span_votes(votes)
    seen = {s[2] for per in by_item.values() for spans in per.values() for s in spans}
    all_labels = list(dict.fromkeys(labels)) + sorted(seen - set(labels))
    per_label = {label: _Counts() for label in all_labels}
    pairs: dict[tuple[Hashable, Hashable], _Pair] = {}
    order: dict[Hashable, int] = {}
    compared = 0
    for per in by_item.values():
        for annotator in per:
            order.setdefault(annotator, len(order))
        if len(per) < 2:
            continue
        compared += 1
        annotators = sorted(per, key=order.__getitem__)
        split = {a: _by_label(per[a]) for a in annotators}
        for i, a in enumerate(annotators):
            for b in annotators[i + 1:]:
                pair = pairs.setdefault((a, b), _Pair())
                pair.items += 1
                for label in split[a].keys() | split[b].keys():
                    counts = _Counts()
                    counts.add(split[a].get(label, ()), split[b].get(label, ()))
                    pair.counts.merge(counts)
                    per_label[label].merge(counts)
    overall = _Counts()
    for counts in per_label.values():
        overall.merge(counts)
    pair_rows = [
        {"a": a, "b": b, "n": pair.items, **pair.counts.figures()}
        for (a, b), pair in sorted(pairs.items(), key=lambda kv: (-kv[1].items, order[kv[0][0]], order[kv[0][1]]))
    ]
    return {
        **overall.figures(),
        "items_compared": compared,
        "per_label": {label: counts.figures() for label, counts in per_label.items()},
        "pairs": pair_rows,
    }


def _by_label(spans: Iterable[Span]) -> dict[str, list[Span]]:
    out: dict[str, list[Span]] = {}
    for span in spans:
        out.setdefault(span[2], []).append(span)
    return out



def span_agreement(votes: Iterable[SpanVote], labels: Sequence[str], texts: Mapping[Hashable, str]) -> dict:
    """Every span figure, None wherever undefined, in the shape of ``agreement.agreement_report`` plus
    ``spans``:

    ``{"items_compared", "ratings", "annotator_count", "percent_agreement", "fleiss_kappa",
    "krippendorff_alpha", "cohen_kappa": [{"a", "b", "kappa", "n"}], "per_label": {label: {"ratings",
    "share", "fleiss_kappa", "krippendorff_alpha", "exact_f1", "overlap_f1"}}, "spans": {"exact_f1",
    "overlap_f1", "spans", "tokens_compared", "pairs": [{"a", "b", "n", "exact_f1", "overlap_f1",
    "spans"}]}}``

    ``ratings`` counts annotations (an empty one included); ``percent_agreement``, ``fleiss_kappa``,
    ``krippendorff_alpha`` (nominal) and ``cohen_kappa`` (per pair, ``n`` = tokens shared) are over the
    token tags; ``tokens_compared`` counts the tokens with two tags or more. Per label, ``ratings`` is
    the spans of that label over all annotations and ``share`` their share of all spans; its Fleiss
    kappa and alpha compare "the token is in a span of this label" (B or I) with "it is not", and its
    F1s are ``span_f1``'s."""
    by_item = latest_span_votes(votes)
    f1 = span_f1(by_item, labels)
    all_labels = list(f1["per_label"])
    tag_names = ["O"] + [f"{p}-{label}" for label in all_labels for p in ("B", "I")]
    table = _token_table(by_item, texts, tag_names)
    counts = table.counts
    m = counts.sum(axis=1)
    spans_per_label = dict.fromkeys(all_labels, 0)
    annotators: dict[Hashable, None] = {}
    ratings = 0
    for per in by_item.values():
        for annotator, spans in per.items():
            annotators[annotator] = None
            ratings += 1
            for span in spans:
                spans_per_label[span[2]] += 1
    total_spans = sum(spans_per_label.values())
    per_label = {}
    for label in all_labels:
        columns = [table.labels.index(f"B-{label}"), table.labels.index(f"I-{label}")]
        inside = counts[:, columns].sum(axis=1)
        binary = np.stack([inside, m - inside], axis=1)
        per_label[label] = {
            "ratings": spans_per_label[label],
            "share": spans_per_label[label] / total_spans if total_spans else None,
            "fleiss_kappa": fleiss_kappa(binary),
            "krippendorff_alpha": krippendorff_alpha(binary),
            "exact_f1": f1["per_label"][label]["exact_f1"],
            "overlap_f1": f1["per_label"][label]["overlap_f1"],
        }
    return {
        "items_compared": f1["items_compared"],
        "ratings": ratings,
        "annotator_count": len(annotators),
        "percent_agreement": percent_agreement(counts),
        "fleiss_kappa": fleiss_kappa(counts),
        "krippendorff_alpha": krippendorff_alpha(counts),
        "cohen_kappa": pairwise_cohen_kappa(table),
        "per_label": per_label,
        "spans": {
            "exact_f1": f1["exact_f1"],
            "overlap_f1": f1["overlap_f1"],
            "spans": f1["spans"],
            "tokens_compared": int((m >= 2).sum()),
            "pairs": f1["pairs"],
        },
    }
