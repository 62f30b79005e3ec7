"""The step contract: what every cleaning step takes, returns and promises.

A step sees a project's items as *batches* of ``(item_id, text)`` rows in ascending id order and
answers, per row it touches, an :class:`Outcome`: a new text, an exclusion reason, or both, with a
details dict that is stored beside the change (so revert and the UI can explain it). Rows a step
leaves alone are simply absent from the answer.

Steps that must see the whole project before they can decide anything about one row (exact and near
dedup: the kept copy is the lowest id of its group, wherever it sits) set ``whole_project = True``;
the caller then streams every batch through :meth:`Step.observe`, calls :meth:`Step.prepare` once,
and streams the same rows again through :meth:`Step.process_batch`. Other steps go straight to
``process_batch``. Keeping the stream in batches (rather than a list of the project) is what keeps
memory bounded: only what a whole-project step chooses to remember stays resident.

Nothing here imports Django: steps are tested and benchmarked without a database.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

Row = tuple[int, str]


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue (`make messages` knows this name) and leaves it as it is: steps
    run without Django; an API shows their errors in the request's language (``StepError.message_in``)."""
    return message


class StepError(ValueError):
    """A step specification that cannot run: unknown op, unknown or bad parameter.

    ``op`` and ``param`` name the culprit so an API can point at it. ``message`` is English; it is a
    template marked with ``gettext_noop``, filled with ``op``, ``param`` and ``values``."""

    def __init__(
        self,
        message: str,
        *,
        op: str | None = None,
        param: str | None = None,
        index: int | None = None,
        values: dict | None = None,
    ):
        self.template = message
        self.values = {"op": op, "param": param, **(values or {})}
        self.message = message % self.values
        super().__init__(self.message)
        self.op = op
        self.param = param
        self.index = index

    def message_in(self, gettext) -> str:
        """The message through ``gettext`` (Django's, in the API: the request's language)."""
        return gettext(self.template) % self.values


@dataclass(slots=True)
class Outcome:
    item_id: int
    text: str | None = None  # the rewritten text; None when the text is unchanged
    excluded: str | None = None  # the exclusion reason; None when the item stays in
    details: dict = field(default_factory=dict)


@dataclass
class BatchResult:
    outcomes: list[Outcome] = field(default_factory=list)  # only the rows the step changed
    extra: dict = field(default_factory=dict)  # counts beyond changed/excluded, e.g. {"pii": {"email": 2}}


_REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """One parameter of a step, as the API validates it and the UI shows it."""

    name: str
    kind: type  # int, float, bool, str or list (of str)
    help: str
    default: Any = _REQUIRED
    choices: tuple | None = None  # for str, or for each element of a list
    minimum: float | None = None
    maximum: float | None = None

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED

    def describe(self) -> dict:
        return {
            "name": self.name,
            "type": {int: "integer", float: "number", bool: "boolean", str: "string", list: "list"}[self.kind],
            "required": self.required,
            "default": None if self.required else self.default,
            "choices": list(self.choices) if self.choices else None,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "help": self.help,
        }

    def check(self, op: str, value: Any) -> Any:
        def bad(message: str, **values) -> StepError:
            return StepError(message, op=op, param=self.name, values=values)

        if self.kind is bool:
            if not isinstance(value, bool):
                raise bad(gettext_noop("%(op)s: parameter '%(param)s' must be true or false"))
        elif self.kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad(gettext_noop("%(op)s: parameter '%(param)s' must be an integer"))
        elif self.kind is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad(gettext_noop("%(op)s: parameter '%(param)s' must be a number"))
            value = float(value)
        elif self.kind is str:
            if not isinstance(value, str):
                raise bad(gettext_noop("%(op)s: parameter '%(param)s' must be a string"))
        elif self.kind is list:
            if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
                raise bad(gettext_noop("%(op)s: parameter '%(param)s' must be a non-empty list of strings"))
        if self.choices is not None:
            values = value if isinstance(value, list) else [value]
            wrong = [v for v in values if v not in self.choices]
            if wrong:
                raise bad(
                    gettext_noop("%(op)s: parameter '%(param)s' must be one of %(choices)s (got %(got)r)"),
                    choices=", ".join(map(str, self.choices)), got=wrong[0],
                )
        if self.minimum is not None and value < self.minimum:
            raise bad(gettext_noop("%(op)s: parameter '%(param)s' must be at least %(minimum)s"), minimum=f"{self.minimum:g}")
        if self.maximum is not None and value > self.maximum:
            raise bad(gettext_noop("%(op)s: parameter '%(param)s' must be at most %(maximum)s"), maximum=f"{self.maximum:g}")
        return value


class Step:
    """Base class: subclasses declare ``op``, ``description`` and ``params`` and implement
    ``process_batch``; whole-project steps also implement ``observe`` and ``prepare``."""

    op: ClassVar[str]
    description: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    whole_project: ClassVar[bool] = False

    def __init__(self, **params: Any):
        known = {p.name: p for p in self.params}
        unknown = sorted(set(params) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise StepError(
                gettext_noop("%(op)s: unknown parameter '%(param)s' (known: %(known)s)"),
                op=self.op, param=unknown[0], values={"known": names},
            )
        values = {}
        for name, spec in known.items():
            if name in params and params[name] is not None:
                values[name] = spec.check(self.op, params[name])
            elif spec.required:
                raise StepError(gettext_noop("%(op)s: parameter '%(param)s' is required"), op=self.op, param=name)
            else:
                values[name] = spec.default
        self.p = values
        self.check_params()

    def check_params(self) -> None:
        """Cross-parameter checks; raise StepError naming the parameter."""

    def observe(self, rows: Sequence[Row]) -> None:
        """Whole-project steps: see one batch before any is processed (ids ascending)."""

    def prepare(self) -> None:
        """Whole-project steps: called once after the last ``observe``."""

    def process_batch(self, rows: Sequence[Row]) -> BatchResult:
        raise NotImplementedError

    def summary(self) -> dict:
        """Counts known only at the end (e.g. LSH parameters), merged into the step's counts."""
        return {}

    @classmethod
    def describe(cls) -> dict:
        return {
            "op": cls.op,
            "description": cls.description,
            "whole_project": cls.whole_project,
            "params": [p.describe() for p in cls.params],
        }


def merge_counts(total: dict, extra: dict) -> dict:
    """Add ``extra`` into ``total`` in place: numbers add up, nested dicts merge, others overwrite."""
    for key, value in extra.items():
        if isinstance(value, dict):
            merge_counts(total.setdefault(key, {}), value)
        elif isinstance(value, int | float) and not isinstance(value, bool) and key in total:
            total[key] += value
        else:
            total[key] = value
    return total


def run_in_memory(steps: Sequence[Step], rows: Iterable[Row], *, batch_size: int = 1000) -> tuple[dict, list[dict]]:
    """Apply steps in order to rows held in memory, the way the cleaning service does over the
    database: each step sees the rows still included, with the text the previous steps left.

    Returns ``({id: {"text", "excluded", "details"}}, step_counts)``; for tests and benchmarks."""
    state = {item_id: {"text": text, "excluded": None, "details": {}} for item_id, text in rows}
    counts = []
    for step in steps:
        live = [(i, s["text"]) for i, s in sorted(state.items()) if s["excluded"] is None]
        batches = [live[k : k + batch_size] for k in range(0, len(live), batch_size)]
        if step.whole_project:
            for batch in batches:
                step.observe(batch)
            step.prepare()
        tally = {"op": step.op, "changed": 0, "excluded": 0}
        for batch in batches:
            result = step.process_batch(batch)
            for outcome in result.outcomes:
                entry = state[outcome.item_id]
                if outcome.text is not None:
                    entry["text"] = outcome.text
                    tally["changed"] += 1
                if outcome.excluded is not None:
                    entry["excluded"] = outcome.excluded
                    tally["excluded"] += 1
                entry["details"].update(outcome.details)
            merge_counts(tally, result.extra)
        merge_counts(tally, step.summary())
        counts.append(tally)
    return state, counts
