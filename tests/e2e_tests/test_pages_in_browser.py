"""Every page of the app, as a manager sees it, on a small real project: VADER movie-review snippets
with two named raters, a built version and a finished training run. Each page is checked for its key
figures and saved as a screenshot ($E2E_SCREENSHOTS, else the test's tmp_path)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from annotation.imported import annotations_import
from curation import services as curation_services
from tests import factories
from tests.e2e_tests.axe import serious_violations
from tests.e2e_tests.conftest import js_percent, login, shot, vader_snippets
from training import services as training_services

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SNIPPETS = 80
# A small engine config: the point here is the pages, not the model (seconds on a CPU).
TINY_RUN = {"epochs": 2, "batch_size": 16, "max_length": 32, "d_model": 32, "n_heads": 2, "n_layers": 1, "d_ff": 64}


@pytest.fixture
def demo_project():
    snippets = vader_snippets(SNIPPETS, first="positive")
    project = factories.make_project(
        name="VADER snippets",
        labels=("negative", "positive"),
        k=3,  # two raters so far: the manager still has a queue
        guidelines="Pick the sentiment the writer expresses about the film.",
    )
    items = factories.make_items(project, [text for text, _ in snippets])
    manager = factories.make_member(project, factories.make_user("lead"), Role.MANAGER)
    # Two named raters: the gold label, and a second rater who disagrees on every seventh item.
    flip = {"positive": "negative", "negative": "positive"}
    gold = [(item.id, "vader_gold", {"label": label}) for item, (_, label) in zip(items, snippets, strict=True)]
    second = [
        (item.id, "rater_b", {"label": flip[label] if i % 7 == 0 else label})
        for i, (item, (_, label)) in enumerate(zip(items, snippets, strict=True))
    ]
    annotations_import(project=project, rows=gold + second)
    version = curation_services.version_create(
        project=project, split={"train": 0.7, "val": 0.15, "test": 0.15}, seed=0, created_by=manager
    )
    curation_services.version_execute(version_id=version.id)
    version.refresh_from_db()
    assert version.status == "succeeded", version.error
    run = training_services.run_create(version=version, config=dict(TINY_RUN), created_by=manager)
    training_services.run_execute(run_id=run.id)
    run.refresh_from_db()
    assert run.status == "succeeded", run.error
    return project, manager, version, run


def scan(page, problems: list[str], name: str) -> None:
    problems += [f"{name}: {violation}" for violation in serious_violations(page)]


def test_it_shows_every_page_with_its_figures(new_page, demo_project, screenshots):
    project, manager, version, run = demo_project
    problems: list[str] = []
    page = new_page()
    page.goto("/login")
    shot(page, screenshots, "login")
    scan(page, problems, "login")
    login(page, manager.username)

    expect(page.get_by_test_id(f"project-{project.id}")).to_contain_text("manager")
    shot(page, screenshots, "projects")
    scan(page, problems, "projects")

    page.get_by_test_id(f"project-{project.id}").click()
    expect(page.get_by_test_id("stat-items")).to_have_text(str(SNIPPETS))
    expect(page.get_by_test_id("stat-annotations")).to_have_text(str(2 * SNIPPETS))
    expect(page.get_by_test_id("percent-agreement")).not_to_have_text("n/a")
    expect(page.get_by_test_id("annotator-figures")).to_contain_text("rater_b")
    shot(page, screenshots, "project")
    scan(page, problems, "project")

    page.get_by_role("link", name="Label", exact=True).click()
    expect(page.get_by_test_id("item-text")).to_be_visible()
    shot(page, screenshots, "labeling")
    scan(page, problems, "labeling")

    page.get_by_role("link", name="Versions", exact=True).click()
    detail = page.get_by_test_id("version-detail")
    expect(detail).to_contain_text(f"Version {version.number}")
    expect(detail.get_by_test_id("quality-report")).to_be_visible()
    expect(page.get_by_test_id("export")).to_have_attribute("href", f"/api/v1/versions/{version.id}/export?format=jsonl&split=all")
    shot(page, screenshots, "versions")
    scan(page, problems, "versions")

    page.get_by_role("link", name="Runs", exact=True).click()
    run_detail = page.get_by_test_id("run-detail")
    expect(run_detail).to_contain_text(f"Run #{run.id}")
    accuracy = js_percent(run.metrics["accuracy"])
    expect(run_detail.get_by_test_id("accuracy")).to_have_text(accuracy)
    expect(run_detail.get_by_test_id("loss-chart").locator("path.line").first).to_be_visible()
    expect(run_detail.get_by_test_id("quality-report")).to_be_visible()  # data quality beside the model
    shot(page, screenshots, "runs")
    scan(page, problems, "runs")

    # The same pages on a phone: axe again, and no page may scroll sideways.
    phone = new_page(390, 844)
    login(phone, manager.username)
    for name, path, ready in [
        ("projects", "/", f"project-{project.id}"),
        ("project", f"/projects/{project.id}", "stat-items"),
        ("labeling", f"/projects/{project.id}/label", "item-text"),
        ("versions", f"/projects/{project.id}/versions", "version-detail"),
        ("runs", f"/projects/{project.id}/runs", "run-detail"),
    ]:
        phone.goto(path)
        expect(phone.get_by_test_id(ready)).to_be_visible()
        shot(phone, screenshots, f"{name}-390")
        scan(phone, problems, f"{name}-390")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > 391:
            problems.append(f"{name}-390: the page scrolls sideways ({width}px wide)")
    assert not problems, "\n".join(problems)
