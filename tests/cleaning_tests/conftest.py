"""A small messy project and helpers that run cleaning jobs the way the worker does (task bodies
called directly: no broker, no eager mode)."""
from __future__ import annotations

import pytest

from cleaning import services
from cleaning.models import CleaningRun
from projects.models import Item
from tests import factories

MESSY = [
    "  The film   was a delight from start to finish.  ",
    "the film was a delight from start to finish.",
    "Too short",
    "Write to jane.doe@example.com for the press kit, or call +1 650-253-0000.",
    "A quiet, patient drama that rewards attention.",
    "A quiet,   patient drama that rewards attention!",
]


@pytest.fixture
def messy_items(project):
    return factories.make_items(project, MESSY)


def snapshot(project) -> list[tuple]:
    return list(Item.objects.filter(project=project).order_by("id").values_list("id", "text", "raw_text", "excluded_reason"))


@pytest.fixture
def run_cleaning():
    """``run_cleaning(project, steps, user)``: create and execute a run; the refreshed run."""

    def go(project, steps, user=None) -> CleaningRun:
        run = services.cleaning_run_create(project=project, steps=steps, created_by=user)
        services.cleaning_run_execute(run_id=run.id)
        run.refresh_from_db()
        return run

    return go


@pytest.fixture
def revert_cleaning():
    def go(run, user=None):
        revert = services.cleaning_run_revert(run=run, created_by=user)
        services.cleaning_revert_execute(revert_id=revert.id)
        revert.refresh_from_db()
        run.refresh_from_db()
        return revert

    return go


STEPS = [
    {"op": "normalize_whitespace"},
    {"op": "redact_pii"},
    {"op": "exact_dedup"},
    {"op": "near_dedup", "threshold": 0.8},
    {"op": "min_length", "min": 10},
]
