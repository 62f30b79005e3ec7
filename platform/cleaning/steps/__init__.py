"""Cleaning steps: pure functions over batches of (item_id, text) rows. No Django here.

See ``base`` for the contract and ``registry`` for the op names the API accepts."""
from .base import BatchResult, Outcome, Param, Row, Step, StepError, merge_counts, run_in_memory
from .registry import REGISTRY, build_step, build_steps, describe_steps, normalized_spec

__all__ = [
    "REGISTRY",
    "BatchResult",
    "Outcome",
    "Param",
    "Row",
    "Step",
    "StepError",
    "build_step",
    "build_steps",
    "describe_steps",
    "merge_counts",
    "normalized_spec",
    "run_in_memory",
]
