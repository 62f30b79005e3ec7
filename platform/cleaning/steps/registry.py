"""Op name → step class, and validation of a run's step list before anything runs."""
from __future__ import annotations

from typing import Any

from .base import Step, StepError, gettext_noop
from .exact_dedup import ExactDedup
from .near_dedup import NearDedup
from .pii import RedactPii
from .text import LanguageFilter, MaxLength, MinLength, NormalizeWhitespace

REGISTRY: dict[str, type[Step]] = {
    cls.op: cls
    for cls in (NormalizeWhitespace, MinLength, MaxLength, ExactDedup, NearDedup, RedactPii, LanguageFilter)
}

MAX_STEPS = 20


def build_step(spec: Any) -> Step:
    """A ready step from ``{"op": name, **params}``; StepError names the bad op or parameter."""
    if not isinstance(spec, dict):
        raise StepError(gettext_noop("a step must be an object like {\"op\": \"min_length\", \"min\": 5}"))
    op = spec.get("op")
    if not isinstance(op, str) or not op:
        raise StepError(gettext_noop("a step needs an \"op\""), param="op")
    cls = REGISTRY.get(op)
    if cls is None:
        raise StepError(
            gettext_noop("unknown op %(op)r (known: %(known)s)"), op=op, param="op", values={"known": ", ".join(REGISTRY)}
        )
    params = {k: v for k, v in spec.items() if k != "op"}
    return cls(**params)


def build_steps(specs: Any) -> list[Step]:
    """Every step of a run, or StepError for the first bad one with its (0-based) index."""
    if not isinstance(specs, list) or not specs:
        raise StepError(gettext_noop("steps must be a non-empty list"))
    if len(specs) > MAX_STEPS:
        raise StepError(gettext_noop("at most %(max)s steps per run"), values={"max": MAX_STEPS})
    steps = []
    for index, spec in enumerate(specs):
        try:
            steps.append(build_step(spec))
        except StepError as err:
            err.index = index
            raise
    return steps


def describe_steps() -> list[dict]:
    return [cls.describe() for cls in REGISTRY.values()]


def normalized_spec(step: Step) -> dict:
    """The step as it will run: op plus every parameter with defaults filled in."""
    return {"op": step.op, **{p.name: step.p[p.name] for p in step.params}}


__all__ = ["REGISTRY", "build_step", "build_steps", "describe_steps", "normalized_spec"]
