"""The model's suggestion on the labeling page: a real run trained on VADER snippets predicts the
unlabeled ones; the page shows its label and confidence, marks the label, and Space accepts it. The
project settings offer the uncertainty order."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from annotation.models import Annotation, Suggestion, SuggestionJob
from projects.models import Project
from tests import factories
from tests.e2e_tests.axe import assert_no_serious_violations
from tests.e2e_tests.conftest import js_percent, login, shot, vader_snippets
from tests.suggestion_tests.conftest import train_run
from training.suggestions import suggestions_execute, suggestions_queue

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def suggested():
    """240 labeled snippets with a finished run, 8 unlabeled ones it predicted; the uncertainty order."""
    import torch

    torch.set_num_threads(1)
    snippets = vader_snippets(248)
    project = factories.make_project(name="Movie snippets", guidelines="Is the snippet positive or negative?")
    manager = factories.make_member(project, factories.make_user("lead"), Role.MANAGER)
    run = train_run(project, manager, snippets[:240])
    factories.make_items(project, [text for text, _ in snippets[240:]])
    job = suggestions_queue(run=run) or SuggestionJob.objects.get(run_id=run.id)
    assert suggestions_execute(job_id=job.id).status == "succeeded"
    Project.objects.filter(id=project.id).update(queue_order="uncertainty")
    annotator = factories.make_member(project, factories.make_user("ann"), Role.ANNOTATOR)
    return project, manager, annotator, run


def test_the_suggestion_shows_and_space_accepts_it(new_page, suggested, screenshots):
    project, _, annotator, run = suggested
    page = new_page(1440, 900)
    login(page, annotator.username)
    page.goto(f"/projects/{project.id}/label")
    expect(page.get_by_test_id("item-text")).to_be_visible()
    item_id = int(page.get_by_test_id("item-text").get_attribute("data-item-id"))
    suggestion = Suggestion.objects.get(run_id=run.id, item_id=item_id)
    # The uncertainty order: the item the model is least sure of comes first.
    assert suggestion.margin == min(Suggestion.objects.filter(run_id=run.id).values_list("margin", flat=True))

    chip = page.get_by_test_id("suggestion-chip")
    expect(chip).to_have_text(f"Model suggests: {suggestion.label} · {js_percent(suggestion.confidence, 0)}")
    expect(page.get_by_test_id("suggestion")).to_contain_text(f"from run #{run.id}")
    expect(page.get_by_test_id(f"suggested-{suggestion.label}")).to_be_visible()
    other = "negative" if suggestion.label == "positive" else "positive"
    expect(page.get_by_test_id(f"suggested-{other}")).to_have_count(0)
    expect(page.get_by_test_id("key-accept")).to_contain_text("accept the model's suggestion")
    assert_no_serious_violations(page, "labeling page with a suggestion")
    shot(page, screenshots, "labeling-suggestion", top=True)
    target = os.environ.get("SUGGEST_SCREENSHOT")
    if target:
        shutil.copy(screenshots / "labeling-suggestion-top.png", Path(target))

    page.keyboard.press("Space")

    expect(page.get_by_test_id("item-text")).not_to_have_attribute("data-item-id", str(item_id))
    expect(page.get_by_test_id("action-status")).to_contain_text(f"Accepted the model's suggestion {suggestion.label}")
    annotation = Annotation.objects.get(item_id=item_id, annotator=annotator)
    assert annotation.value == {"label": suggestion.label}
    # The button does the same for the next item.
    following = int(page.get_by_test_id("item-text").get_attribute("data-item-id"))
    label = Suggestion.objects.get(run_id=run.id, item_id=following).label
    page.get_by_test_id("accept-suggestion").click()
    expect(page.get_by_test_id("item-text")).not_to_have_attribute("data-item-id", str(following))
    assert Annotation.objects.get(item_id=following, annotator=annotator).label == label


def test_the_settings_page_offers_the_uncertainty_order(new_page, project, manager):
    page = new_page(1360, 900)
    login(page, manager.username)
    page.goto(f"/projects/{project.id}/settings")
    page.get_by_label("Queue order").select_option("uncertainty")
    expect(page.locator("#s-order-hint")).to_contain_text("least sure of first")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_test_id("save-bar")).to_contain_text("All saved")
    project.refresh_from_db()
    assert project.queue_order == "uncertainty"
