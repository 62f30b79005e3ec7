"""Upload and cleaning in the browser, as a manager on the project page.

Upload: a CSV whose columns are not called text/label/annotator is previewed in the browser, its
columns are picked from the preview, and the import stores the right texts, votes and hidden field.
Cleaning: the steps read as words (no op names, no raw backticks), min_length starts at a value, a bad
value shows one message under its field, and a refusal from the server lands under the field it names.

No Celery worker runs here: the browser queues the job through the API, and the test runs the job's
service (what the worker's task calls) before the page's poll reads the result.
"""
from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from annotation.models import Annotation
from cleaning.models import CleaningRun
from cleaning.services import cleaning_run_execute
from ingestion.models import ImportJob
from ingestion.services import import_execute
from projects.models import Item
from tests import factories
from tests.e2e_tests.axe import assert_no_serious_violations
from tests.e2e_tests.conftest import login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DESKTOP = (1440, 900)
PHONE = (390, 844)

# A crowd file: one row per vote, the text repeated; a quoted comma and a doubled quote on the way.
HEADER = ["source_id", "review_body", "stars_label", "rater"]
ROWS = [
    ["r-001", "A slow, quiet film that earns every minute of its ending.", "positive", "worker_7"],
    ["r-001", "A slow, quiet film that earns every minute of its ending.", "positive", "worker_9"],
    ["r-002", 'The "twist" is visible from the first scene and the jokes fall flat.', "negative", "worker_7"],
    ["r-003", "Two hours I will not get back; the lead sleepwalks through it.", "negative", "worker_9"],
    ["r-004", "Warm, funny and sharply acted: the best comedy this year.", "positive", "worker_7"],
]


@pytest.fixture
def manager_project():
    project = factories.make_project(name="Film reviews", labels=("negative", "positive"), k=2)
    manager = factories.make_member(project, factories.make_user("lead"), Role.MANAGER)
    return project, manager


def test_a_manager_previews_a_csv_and_picks_its_columns(new_page, manager_project, screenshots, tmp_path):
    project, manager = manager_project
    path = tmp_path / "crowd_reviews.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *ROWS])

    page = new_page(*DESKTOP)
    login(page, manager.username)
    page.goto(f"/projects/{project.id}")
    page.get_by_test_id("upload-file").set_input_files(str(path))
    preview = page.get_by_test_id("upload-preview")
    expect(preview.locator("thead th")).to_have_text(["source_id", "review_body text", "stars_label", "rater annotator"])
    expect(preview.locator("tbody tr")).to_have_count(len(ROWS))
    expect(preview).to_contain_text('The "twist" is visible')
    # "rater" is a usual name for the annotator; the text is guessed as the longest column, and no
    # label column has a usual name: it is left to pick.
    expect(page.get_by_test_id("pick-text")).to_have_value("review_body")
    expect(page.get_by_test_id("pick-annotator")).to_have_value("rater")
    expect(page.get_by_test_id("pick-label")).to_have_value("")
    expect(page.get_by_text("An annotator column needs a label column.")).to_have_count(1)
    expect(page.get_by_test_id("upload-submit")).to_be_disabled()
    page.get_by_test_id("pick-label").select_option("stars_label")
    expect(page.get_by_test_id("upload-submit")).to_be_enabled()
    page.get_by_role("checkbox", name="source_id").check()
    expect(preview.locator("thead th")).to_have_text(
        ["source_id hidden", "review_body text", "stars_label label", "rater annotator"])
    shot(page, screenshots, "upload-preview-1440", top=True)
    assert_no_serious_violations(page, "the project page with an upload preview")

    page.get_by_test_id("upload-submit").click()
    expect(page.get_by_test_id("import-job")).to_be_visible()
    job = ImportJob.objects.get(project=project)
    assert job.options == {"text_field": "review_body", "label_field": "stars_label", "annotator_field": "rater",
                           "hidden_fields": ["source_id"]}
    import_execute(job_id=job.id)  # what the worker would do
    expect(page.get_by_test_id("import-created")).to_have_text("4")  # the repeated text is one item
    expect(page.get_by_test_id("import-annotations")).to_have_text("5")

    items = {item.text: item for item in Item.objects.filter(project=project)}
    assert set(items) == {row[1] for row in ROWS}
    votes = sorted(Annotation.objects.filter(item__project=project).values_list("item__text", "source", "label"))
    assert votes == sorted((text, rater, label) for _, text, label, rater in ROWS)
    assert {item.hidden["source_id"] for item in items.values()} == {"r-001", "r-002", "r-003", "r-004"}
    assert all("source_id" not in item.meta for item in items.values())

    # A Parquet file cannot be read in the browser: it says so, and the columns are typed instead.
    parquet = tmp_path / "reviews.parquet"
    parquet.write_bytes(b"PAR1 not really")
    page.get_by_test_id("upload-file").set_input_files(str(parquet))
    expect(page.get_by_test_id("preview-unavailable")).to_contain_text("No preview for Parquet files")
    expect(page.get_by_label("Text column (required)")).to_have_value("text")
    expect(page.get_by_test_id("upload-submit")).to_be_enabled()

    phone = new_page(*PHONE)
    login(phone, manager.username)
    phone.goto(f"/projects/{project.id}")
    phone.get_by_test_id("upload-file").set_input_files(str(path))
    expect(phone.get_by_test_id("upload-preview")).to_be_visible()
    shot(phone, screenshots, "upload-preview-390", top=True)
    assert_no_serious_violations(phone, "the project page with an upload preview at 390")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390


def test_cleaning_steps_read_as_words_start_from_defaults_and_show_one_error_per_field(
    new_page, manager_project, screenshots
):
    project, manager = manager_project
    factories.make_items(project, ["Meh.", "Too long.", "A film that rewards patience and a second viewing."])
    page = new_page(*DESKTOP)
    login(page, manager.username)
    page.goto(f"/projects/{project.id}")
    form = page.locator("form.cleaning-form")
    expect(page.get_by_test_id("step-box-near_dedup")).to_contain_text("Remove near-duplicates")
    expect(page.get_by_test_id("step-box-min_length")).to_contain_text("Drop short texts")
    text = form.inner_text()
    assert "`" not in text and "near_dedup" not in text and "min_length" not in text, text

    page.get_by_test_id("step-min_length").check()
    minimum = page.get_by_label("Minimum length (required)")
    expect(minimum).to_have_value("5")
    # The description shows the value in place of the parameter's name, as code, without backticks.
    expect(page.get_by_test_id("step-box-min_length").locator("code")).to_have_text("5")

    minimum.fill("")
    minimum.blur()
    error = page.get_by_test_id("error-min_length-min")
    expect(error).to_have_text("Enter the minimum length.")
    page.get_by_test_id("run-cleaning").click()
    expect(minimum).to_be_focused()
    assert form.inner_text().count("Enter the minimum length.") == 1
    assert page.get_by_role("alert").count() == 0
    assert not CleaningRun.objects.exists()
    minimum.fill("-1")
    expect(error).to_have_text("Must be at least 0.")
    minimum.fill("10")
    expect(error).to_have_count(0)
    expect(minimum).to_have_attribute("aria-invalid", "false")

    # The server's refusal names a parameter: it is shown under that field, once.
    page.get_by_test_id("step-language").check()
    languages = page.get_by_label("Languages to keep (required)")
    expect(languages).to_have_value("en")
    languages.fill("english!")
    page.get_by_test_id("run-cleaning").click()
    language_error = page.get_by_test_id("error-language-languages")
    expect(language_error).to_contain_text("bad code 'english!'")
    expect(languages).to_be_focused()
    assert form.inner_text().count("bad code") == 1
    shot(page, screenshots, "cleaning-errors-1440", top=True)
    assert_no_serious_violations(page, "the cleaning form with errors")
    languages.fill("en")
    expect(language_error).to_have_count(0)
    page.get_by_test_id("step-language").uncheck()

    page.get_by_test_id("run-cleaning").click()
    job = page.get_by_test_id("cleaning-job")
    expect(job).to_be_visible()
    run = CleaningRun.objects.get(project=project)
    assert [step["op"] for step in run.steps] == ["normalize_whitespace", "min_length"]
    assert run.steps[1]["min"] == 10
    cleaning_run_execute(run_id=run.id)  # what the worker would do
    expect(job.get_by_role("row", name="Drop short texts").locator("td").nth(2)).to_have_text("2")  # excluded
    assert sorted(Item.objects.filter(project=project).exclude(excluded_reason="").values_list("text", flat=True)) == [
        "Meh.", "Too long."]
    shot(page, screenshots, "cleaning-done-1440", top=True)

    # The item's page tells its cleaning history in the same words.
    meh = Item.objects.get(project=project, text="Meh.")
    page.goto(f"/projects/{project.id}/items/{meh.id}")
    history = page.get_by_test_id("cleaning-history")
    expect(history).to_contain_text(f"Excluded by “Drop short texts” (cleaning run #{run.id})")
    expect(history).to_contain_text("shorter than 10 chars")
    expect(page.get_by_test_id("excluded-reason")).to_have_text("Excluded by cleaning: shorter than 10 chars")
    expect(page.get_by_test_id("item-restore")).to_have_count(0)  # reverting the run undoes cleaning's exclusions
    shot(page, screenshots, "item-cleaned-1440", top=True)
    assert_no_serious_violations(page, "an item page with its cleaning history")
