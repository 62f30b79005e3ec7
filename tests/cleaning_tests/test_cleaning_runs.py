"""Cleaning runs over the database: counts, what changes and what never does, revert."""
from __future__ import annotations

import pytest

from cleaning import services, tasks
from cleaning.models import CleaningChange, CleaningRun
from common.errors import Conflict, Invalid
from common.jobs import job_cancel
from projects.models import Item
from tests import factories
from tests.cleaning_tests.conftest import MESSY, STEPS, snapshot

pytestmark = pytest.mark.django_db


def test_it_records_per_step_counts(project, messy_items, run_cleaning):
    run = run_cleaning(project, STEPS)
    assert run.status == "succeeded"
    by_op = {entry["op"]: entry for entry in run.step_counts}
    assert by_op["normalize_whitespace"] == {"op": "normalize_whitespace", "changed": 2, "excluded": 0}
    assert by_op["redact_pii"]["changed"] == 1
    assert by_op["redact_pii"]["pii"] == {"email": 1, "phone": 1}
    assert by_op["exact_dedup"]["excluded"] == 1
    assert by_op["near_dedup"]["excluded"] == 1
    assert by_op["min_length"]["excluded"] == 1
    assert run.progress_done == run.progress_total > 0


def test_it_rewrites_text_and_never_raw_text(project, messy_items, run_cleaning):
    run_cleaning(project, STEPS)
    items = {item.raw_text: item for item in Item.objects.filter(project=project)}
    assert set(items) == set(MESSY)  # nothing deleted, every raw_text as imported
    assert items[MESSY[0]].text == "The film was a delight from start to finish."
    assert items[MESSY[3]].text == "Write to [EMAIL] for the press kit, or call [PHONE]."


def test_excluded_items_carry_a_reason(project, messy_items, run_cleaning):
    run_cleaning(project, STEPS)
    ids = [item.id for item in messy_items]
    reasons = dict(Item.objects.filter(project=project).values_list("id", "excluded_reason"))
    assert reasons[ids[1]] == f"duplicate of #{ids[0]}"
    assert reasons[ids[2]] == "shorter than 10 chars"
    assert reasons[ids[5]] == f"near-duplicate of #{ids[4]}"
    change = CleaningChange.objects.get(item_id=ids[5], step="near_dedup")
    assert change.details["near_duplicate_of"] == ids[4] and change.details["jaccard"] >= 0.8


def test_steps_skip_items_already_excluded(project, messy_items, run_cleaning):
    Item.objects.filter(id=messy_items[3].id).update(excluded_reason="excluded by hand")
    run = run_cleaning(project, [{"op": "redact_pii"}])
    assert run.step_counts[0]["changed"] == 0
    assert Item.objects.get(id=messy_items[3].id).text == MESSY[3]


def test_revert_restores_every_item_exactly(project, messy_items, run_cleaning, revert_cleaning):
    before = snapshot(project)
    run = run_cleaning(project, STEPS)
    assert snapshot(project) != before
    revert = revert_cleaning(run)
    assert revert.status == "succeeded"
    assert run.reverted_at is not None
    assert snapshot(project) == before


def test_a_second_revert_is_a_conflict(project, messy_items, run_cleaning, revert_cleaning):
    run = run_cleaning(project, STEPS)
    revert_cleaning(run)
    with pytest.raises(Conflict, match="already reverted"):
        services.cleaning_run_revert(run=run, created_by=None)


def test_only_the_latest_run_can_be_reverted(project, messy_items, run_cleaning, revert_cleaning):
    before = snapshot(project)
    first = run_cleaning(project, [{"op": "normalize_whitespace"}])
    second = run_cleaning(project, [{"op": "redact_pii"}, {"op": "min_length", "min": 10}])
    with pytest.raises(Conflict, match=f"revert run #{second.id} first"):
        services.cleaning_run_revert(run=first, created_by=None)
    revert_cleaning(second)
    revert_cleaning(first)
    assert snapshot(project) == before


def test_a_run_that_changed_nothing_does_not_block_reverting_the_one_before(project, messy_items, run_cleaning, revert_cleaning):
    first = run_cleaning(project, [{"op": "normalize_whitespace"}])
    run_cleaning(project, [{"op": "max_length", "max": 10_000}])
    assert revert_cleaning(first).status == "succeeded"


def test_a_bad_step_is_refused_before_anything_is_queued(project, messy_items):
    with pytest.raises(Invalid) as err:
        services.cleaning_run_create(project=project, steps=[{"op": "min_length", "min": 3}, {"op": "nope"}], created_by=None)
    assert "Step 2" in err.value.message and "nope" in err.value.message
    assert not CleaningRun.objects.exists()


def test_a_second_run_waits_for_the_first(project, messy_items):
    services.cleaning_run_create(project=project, steps=[{"op": "normalize_whitespace"}], created_by=None)
    with pytest.raises(Conflict, match="still in progress"):
        services.cleaning_run_create(project=project, steps=[{"op": "normalize_whitespace"}], created_by=None)


def test_a_running_run_cannot_be_reverted(project, messy_items):
    run = services.cleaning_run_create(project=project, steps=[{"op": "normalize_whitespace"}], created_by=None)
    with pytest.raises(Conflict, match="still queued"):
        services.cleaning_run_revert(run=run, created_by=None)


def test_a_cancelled_run_does_nothing(project, messy_items):
    before = snapshot(project)
    run = services.cleaning_run_create(project=project, steps=STEPS, created_by=None)
    job_cancel(job=run)
    assert services.cleaning_run_execute(run_id=run.id) is None
    assert snapshot(project) == before


def test_the_task_runs_the_job(project, messy_items):
    run = services.cleaning_run_create(project=project, steps=[{"op": "normalize_whitespace"}], created_by=None)
    tasks.cleaning_run_execute(run.id)
    run.refresh_from_db()
    assert run.status == "succeeded" and run.step_counts[0]["changed"] == 2


def test_runs_of_other_projects_are_untouched(project, messy_items, run_cleaning):
    other = factories.make_project()
    factories.make_items(other, ["  spaced   out  "])
    run_cleaning(project, [{"op": "normalize_whitespace"}])
    assert Item.objects.get(project=other).text == "  spaced   out  "


def test_it_streams_projects_larger_than_one_batch(project, run_cleaning, revert_cleaning, settings):
    settings.CLEANING_BATCH_ROWS = 7
    texts = [f"item {i}  with   spaces" for i in range(40)] + [f"ITEM {i} with spaces" for i in range(5)]
    factories.make_items(project, texts)
    before = snapshot(project)
    run = run_cleaning(project, [{"op": "normalize_whitespace"}, {"op": "exact_dedup"}])
    assert run.step_counts[0]["changed"] == 40
    assert run.step_counts[1]["excluded"] == 5
    revert_cleaning(run)
    assert snapshot(project) == before


def test_a_revert_keeps_an_exclusion_made_after_the_run(project, messy_items, run_cleaning, revert_cleaning, manager):
    """A run that only rewrote an item's text gives the text back and leaves its exclusion alone: a
    reviewer who excluded the item after the run must not see it come back (it did: the revert wrote
    the run's empty "before" reason over the reviewer's)."""
    from annotation.review_services import review_create

    run = run_cleaning(project, [{"op": "normalize_whitespace"}])
    rewritten = Item.objects.get(id=run.changes.values_list("item_id", flat=True).order_by("item_id").first())
    review_create(item=rewritten, reviewer=manager, verdict="exclude", reason="off topic")
    rewritten.refresh_from_db()
    excluded = rewritten.excluded_reason
    assert excluded  # the reviewer's exclusion
    revert_cleaning(run)
    rewritten.refresh_from_db()
    assert rewritten.text == rewritten.raw_text  # the text is back as it was before the run
    assert rewritten.excluded_reason == excluded
