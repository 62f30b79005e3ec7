"""The run page serves the run's model to its managers: "Try the model" answers each line with the
model's label and probabilities, and "Download model" downloads the artifact tar. Reviewers see neither."""
from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests import factories
from tests.e2e_tests.axe import assert_no_serious_violations
from tests.e2e_tests.conftest import js_percent, login, shot
from training import serving

from .conftest import train_vader_run

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOT = Path("/tmp/h/serve.png")


@pytest.fixture
def served(served_models):
    project = factories.make_project(name="VADER movies", labels=("negative", "positive"))
    manager = factories.make_member(project, factories.make_user("lead"), Role.MANAGER)
    reviewer = factories.make_member(project, factories.make_user("checker"), Role.REVIEWER)
    return project, manager, reviewer, train_vader_run(project, manager)


def test_a_manager_tries_the_model_and_downloads_it(new_page, served, screenshots, tmp_path):
    project, manager, _, run = served
    texts = ["A wonderful, moving film with a superb cast.", "Dull, tedious and far too long.",
             "The plot is a mess but the music is lovely."]
    expected = serving.run_predict(run=run, texts=texts)
    page = new_page()
    login(page, manager.username)
    page.goto(f"/projects/{project.id}/runs")
    panel = page.get_by_test_id("run-serve")
    expect(panel).to_be_visible()

    page.get_by_label("Try the model").fill("\n".join([texts[0], "", texts[1], texts[2]]))  # blank lines skipped
    page.get_by_test_id("try-model").click()
    answers = page.get_by_test_id("try-answers")
    expect(answers.locator("tbody tr")).to_have_count(3)
    for i, answer in enumerate(expected):
        row = page.get_by_test_id(f"try-answer-{i}")
        expect(row.get_by_test_id("try-label")).to_have_text(answer["label"])
        expect(row).to_contain_text(texts[i])
        for label, p in answer["probabilities"].items():
            expect(row).to_contain_text(label)
            expect(row).to_contain_text(js_percent(p))
    assert_no_serious_violations(page, "the run page with the try box answered")
    panel.scroll_into_view_if_needed()
    shot(page, screenshots, "serve")
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(tmp_path / "panel.png"))
    shutil.copy(screenshots / "serve.png", SHOT)
    shutil.copy(tmp_path / "panel.png", SHOT.with_name("serve-panel.png"))

    with page.expect_download() as download:
        page.get_by_test_id("download-model").click()
    assert download.value.suggested_filename == f"datamoat-run-{run.id}.tar"
    saved = tmp_path / "model.tar"
    download.value.save_as(saved)
    with tarfile.open(saved) as tar:
        names = set(tar.getnames())
    top = f"datamoat-run-{run.id}"
    assert {f"{top}/README.md", f"{top}/model.safetensors", f"{top}/tokenizer.json", f"{top}/config.json"} <= names


def test_a_reviewer_sees_the_run_but_neither_the_download_nor_the_try_box(new_page, served):
    project, _, reviewer, run = served
    page = new_page()
    login(page, reviewer.username)
    page.goto(f"/projects/{project.id}/runs")
    expect(page.get_by_test_id("run-detail").get_by_test_id("metrics")).to_be_visible()
    expect(page.get_by_test_id("run-serve")).to_have_count(0)
    expect(page.get_by_test_id("download-model")).to_have_count(0)
