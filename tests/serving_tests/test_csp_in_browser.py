"""The Content-Security-Policy leaves the built app and the Swagger page whole: every page, as a
manager sees it on a project with a version and a finished run, then the API docs, with Chromium
reporting no violation (it logs "Refused to ... because it violates the following Content Security
Policy directive" for each blocked script, style, image, font or request)."""
from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.roles import Role
from annotation.imported import annotations_import
from curation import services as curation_services
from tests import factories
from tests.e2e_tests.conftest import login
from training import services as training_services

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TINY_RUN = {"epochs": 1, "batch_size": 16, "max_length": 16, "d_model": 16, "n_heads": 2, "n_layers": 1, "d_ff": 32}


@pytest.fixture
def project_with_a_run():
    project = factories.make_project(name="CSP", labels=("negative", "positive"), k=3)
    texts = [f"{word} film number {i}" for i in range(40) for word in (("great",) if i % 2 else ("awful",))]
    items = factories.make_items(project, texts)
    manager = factories.make_member(project, factories.make_user("lead"), Role.MANAGER)
    labels = [(item.id, rater, {"label": "positive" if "great" in item.text else "negative"})
              for item in items for rater in ("rater_a", "rater_b")]
    annotations_import(project=project, rows=labels)
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
    return project, manager, run


def test_no_page_of_the_app_or_the_docs_breaks_the_policy(new_page, project_with_a_run):
    project, manager, run = project_with_a_run
    page = new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    # Chromium logs most violations itself; the DOM event catches any it does not.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    responses = []
    page.on("response", lambda r: responses.append(r) if r.request.resource_type == "document" else None)

    login(page, manager.username)
    expect(page.get_by_test_id(f"project-{project.id}")).to_be_visible()
    page.get_by_test_id(f"project-{project.id}").click()
    expect(page.get_by_test_id("stat-items")).to_have_text("40")
    page.get_by_role("link", name="Label", exact=True).click()
    expect(page.get_by_test_id("item-text")).to_be_visible()
    page.get_by_role("link", name="Versions", exact=True).click()
    expect(page.get_by_test_id("version-detail").get_by_test_id("quality-report")).to_be_visible()
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_test_id("run-detail").get_by_test_id("loss-chart").locator("path.line").first).to_be_visible()
    page.goto(f"/projects/{project.id}/review")
    page.wait_for_load_state("networkidle")

    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text(settings.SPECTACULAR_SETTINGS["TITLE"])
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()  # the schema was fetched and drawn

    assert violations == []
    policies = {r.url.split("/", 3)[-1]: r.header_value("content-security-policy") for r in responses}
    assert policies["login"] == policies[f"projects/{project.id}/review"] == settings.CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" in policies["api/v1/docs"]
