"""Span (NER) tasks as token classification: BIO tags over the model's tokens, aligned from character offsets,
and back from predicted tags to character spans; entity-level metrics as seqeval computes them in strict IOB2 mode.

Offsets are Unicode code points of the text (Python's indexing); the tokenizers report each token's
``(start, end)`` in the same units. A token belongs to a span when its start lies inside it: the first such token
is ``B-<type>``, the following ones ``I-<type>``, every other real token ``O``; special tokens and padding get
``IGNORE`` (no loss, no metric). Overlapping spans cannot all be tagged: the earlier (then the longer) wins.

Strict IOB2 (seqeval's ``mode="strict", scheme=IOB2``): an entity starts at ``B-X`` and continues over ``I-X``; an
``I-X`` that does not continue an ``X`` entity starts nothing. The same rule turns predicted tags into the
predicted spans, so the metrics describe exactly the spans the run predicts.

>>> tags = tag_names(["LOC", "PER"])
>>> tags
['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER']
>>> ids = align([(0, 3), (4, 9), (10, 15)], [(4, 15, "LOC")], tags)
>>> [tags[i] for i in ids]
['O', 'B-LOC', 'I-LOC']
>>> entities([tags[i] for i in ids])
[('LOC', 1, 3)]
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

IGNORE = -100  # cross_entropy's ignore_index: special tokens and padding


def tag_names(types: Sequence[str]) -> list[str]:
    return ["O"] + [f"{prefix}-{t}" for t in types for prefix in ("B", "I")]


def align(offsets: Sequence[tuple[int, int]], spans: Sequence[tuple[int, int, str]], tags: Sequence[str]) -> list[int]:
    """Tag ids for the tokens with ``offsets`` (a special token has ``(0, 0)``: IGNORE) given the gold ``spans``."""
    index = {tag: i for i, tag in enumerate(tags)}
    ordered = sorted(spans, key=lambda s: (s[0], -(s[1] - s[0])))
    out: list[int] = []
    open_span = None  # the span the previous token was tagged with
    for start, end in offsets:
        if end <= start:
            out.append(IGNORE)
            continue
        inside = next((s for s in ordered if s[0] <= start < s[1]), None)
        if inside is None:
            out.append(index["O"])
        elif inside is open_span:
            out.append(index[f"I-{inside[2]}"])
        else:
            out.append(index[f"B-{inside[2]}"])
        open_span = inside
    return out


def entities(tags: Sequence[str]) -> list[tuple[str, int, int]]:
    """Strict IOB2 entities ``(type, first token, end token exclusive)`` of one tag sequence."""
    found: list[tuple[str, int, int]] = []
    current: list | None = None  # [type, start]
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, kind = tag.partition("-")
        if current is not None and not (prefix == "I" and kind == current[0]):
            found.append((current[0], current[1], i))
            current = None
        if prefix == "B":
            current = [kind, i]
    return found


def to_spans(tags: Sequence[str], offsets: Sequence[tuple[int, int]]) -> list[dict]:
    """Predicted character spans ``[{start, end, label}]`` from the tags of real tokens and their offsets."""
    return [{"start": offsets[a][0], "end": offsets[b - 1][1], "label": kind} for kind, a, b in entities(tags)]


def entity_report(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]], types: Sequence[str]) -> dict:
    """seqeval's strict IOB2 figures: ``{micro, macro, per_type, token_accuracy}``. Micro counts every entity;
    macro averages the per-type figures over the types present in the gold or the predictions (seqeval's
    classification_report does so over the types it sees). A type without gold entities has recall 0
    (precision 0 when never predicted): scikit-learn's zero_division=0, which seqeval follows."""
    true_pos: dict[str, int] = defaultdict(int)
    n_pred: dict[str, int] = defaultdict(int)
    n_gold: dict[str, int] = defaultdict(int)
    right = total = 0
    for gold_tags, pred_tags in zip(gold, predicted, strict=True):
        gold_set, pred_set = set(entities(gold_tags)), set(entities(pred_tags))
        for kind, *_ in gold_set:
            n_gold[kind] += 1
        for kind, *_ in pred_set:
            n_pred[kind] += 1
        for kind, *_ in gold_set & pred_set:
            true_pos[kind] += 1
        right += sum(g == p for g, p in zip(gold_tags, pred_tags, strict=True))
        total += len(gold_tags)

    def figures(tp: int, pred: int, gold_n: int) -> dict:
        precision = tp / pred if pred else 0.0
        recall = tp / gold_n if gold_n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {"precision": precision, "recall": recall, "f1": f1}

    per_type = {kind: {**figures(true_pos[kind], n_pred[kind], n_gold[kind]), "support": n_gold[kind]}
                for kind in types if n_gold[kind] or n_pred[kind]}
    micro = figures(sum(true_pos.values()), sum(n_pred.values()), sum(n_gold.values()))
    macro = ({name: sum(f[name] for f in per_type.values()) / len(per_type) for name in ("precision", "recall", "f1")}
             if per_type else {"precision": None, "recall": None, "f1": None})
    return {"entity": {"micro": micro, "macro": macro, "per_type": per_type},
            "token_accuracy": right / total if total else None, "count": len(gold)}
