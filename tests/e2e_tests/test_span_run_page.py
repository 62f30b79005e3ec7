"""A span run's page in Chromium: entity figures per type and test items with the version's and the model's spans,
on real WNUT-16 tweets imported as CoNLL, a version built and a tiny run trained."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from curation import services as curation_services
from ingestion.services import import_create, import_execute
from tests import factories
from tests.ingestion_tests.test_span_readers import wnut_path
from training import services as training_services
from training.models import Prediction

from .axe import serious_violations
from .conftest import login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TWEETS = 240
TINY_SPANS = {"epochs": 2, "batch_size": 16, "max_length": 48, "d_model": 32, "n_heads": 2, "n_layers": 1, "d_ff": 64}


def test_a_span_run_page_shows_entity_figures_and_spans(new_page, tmp_path, screenshots):
    lines = wnut_path().read_text(encoding="utf-8").split("\n\n")
    path = tmp_path / "tweets.conll"
    path.write_text("\n\n".join(block.strip("\n") for block in lines[:TWEETS]) + "\n", encoding="utf-8")
    types = sorted({line.rsplit("\t", 1)[1][2:] for block in lines[:TWEETS] for line in block.splitlines()
                    if "\t" in line and line.rsplit("\t", 1)[1].strip() not in ("O", "")})
    project = factories.make_project(name="Tweets", labels=types, task_type="spans")
    manager = factories.make_member(project, factories.make_user("lead"), Role.MANAGER)
    job = import_create(project=project, file=path, format="conll", created_by=manager, dispatch=False)
    import_execute(job_id=job.id)
    version = curation_services.version_create(project=project, split={"train": 0.7, "val": 0.15, "test": 0.15},
                                               seed=0, created_by=manager)
    version = curation_services.version_execute(version_id=version.id)
    assert version.status == "succeeded", version.error
    run = training_services.run_execute(run_id=training_services.run_create(
        version=version, config=dict(TINY_SPANS), created_by=manager).id)
    assert run.status == "succeeded", run.error

    page = new_page()
    login(page, "lead")
    page.goto(f"/projects/{project.id}/runs")
    metrics = page.get_by_test_id("task-metrics")
    expect(metrics).to_be_visible()
    expect(page.get_by_test_id("entity-f1")).not_to_have_text("")
    expect(metrics.locator("tbody tr").first).to_be_visible()
    examples = page.get_by_test_id("span-examples")
    expect(examples).to_be_visible()
    expect(examples.locator("tbody tr").first).to_be_visible()
    # The page shows the first six test predictions (the list's order, by id), each span of both sides as a mark.
    shown = list(Prediction.objects.filter(run=run, split="test").order_by("id")[:6])
    expected = sum(len(p.value["spans"]) + len(p.predicted_value["spans"]) for p in shown)
    expect(examples.locator("tbody tr")).to_have_count(len(shown))
    expect(examples.locator("mark")).to_have_count(expected)
    expect(page.get_by_test_id("download-model")).to_be_visible()
    expect(page.get_by_test_id("try-texts")).to_have_count(0)  # predict serves classification runs only
    shot(page, screenshots, "span-run")
    assert serious_violations(page) == []
