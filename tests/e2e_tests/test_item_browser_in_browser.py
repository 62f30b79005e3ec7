"""The item browser in the browser, on seeded data: 60 VADER snippets voted by named raters (some
disputed), a built version and a finished run whose predictions are rows (real training is too slow
here), and a few fresh unlabeled items.

A manager filters by status and label, selects every matching item and excludes them with a reason,
opens an item's page, and assigns the unlabeled items to an annotator; a reviewer browses without the manager-only controls; the runs page fits
a phone. Every page at 1440x900 and 390x844 passes axe (no serious or critical violation).
Screenshots go to $E2E_SCREENSHOTS (else the test's tmp_path).
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from annotation.imported import annotations_import
from annotation.models import Lease, ReviewCandidate
from curation import services as curation_services
from curation.selectors import version_snapshot_dir
from curation.snapshot import snapshot_table
from projects.models import Item
from tests import factories
from tests.e2e_tests.axe import assert_no_serious_violations
from tests.e2e_tests.conftest import login, shot, vader_snippets
from training.engine.metrics import ConfusionCounts
from training.models import Prediction, TrainingRun

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LABELS = ("negative", "positive")
SNIPPETS = 60
DESKTOP = (1440, 900)
PHONE = (390, 844)
FLIP = {"positive": "negative", "negative": "positive"}


def finished_run(project, version, manager):
    """A succeeded run on ``version`` with a prediction for each test item (every fourth one wrong, with
    a low confidence) and metrics computed from them."""
    table = snapshot_table(version_snapshot_dir(version), columns=["item_id", "label", "split"]).to_pylist()
    rows = []
    for k, row in enumerate(sorted((r for r in table if r["split"] == "test"), key=lambda r: r["item_id"])):
        wrong = k % 4 == 0
        rows.append((row["item_id"], row["label"], FLIP[row["label"]] if wrong else row["label"], 0.55 if wrong else 0.9))
    counts = ConfusionCounts(len(LABELS))
    counts.update(target=[LABELS.index(r[1]) for r in rows], predicted=[LABELS.index(r[2]) for r in rows])
    test = counts.compute(LABELS)
    now = timezone.now()
    run = TrainingRun.objects.create(
        project=project, version=version, model="transformer", status="succeeded", created_by=manager,
        config={"train": {"epochs": 3, "batch_size": 16, "learning_rate": 0.001}, "model": {"d_model": 64}},
        device="cpu", history=[{"step": s, "epoch": s // 40 + 1, "loss": round(0.7 / (1 + s / 30), 4)} for s in range(0, 121, 4)],
        metrics={**test, "test": test, "val": test, "seconds": 12.5, "parameters": 54321, "vocab_size": 900},
        progress_done=120, progress_total=120, started_at=now - timedelta(minutes=2), finished_at=now,
    )
    Prediction.objects.bulk_create(
        Prediction(run=run, item_id=item_id, split="test", label=label, predicted=predicted, confidence=confidence)
        for item_id, label, predicted, confidence in rows
    )
    return run, rows


@pytest.fixture
def browse_project(settings, tmp_path):
    settings.SNAPSHOT_DIR = tmp_path / "snapshots"
    snippets = vader_snippets(SNIPPETS)
    project = factories.make_project(name="VADER browse", labels=LABELS, k=2,
                                     guidelines="Pick the sentiment the writer expresses about the film.")
    items = factories.make_items(project, [text for text, _ in snippets])
    for n, item in enumerate(items):  # an import's hidden column: for managers only
        item.hidden = {"source_row": f"vader-row-{n:04d}"}
    Item.objects.bulk_update(items, ["hidden"])
    manager = factories.make_member(project, factories.make_user("lead"), Role.MANAGER)
    reviewer = factories.make_member(project, factories.make_user("rev"), Role.REVIEWER)
    annotator = factories.make_member(project, factories.make_user("ann"), Role.ANNOTATOR)
    rows = []
    for i, (item, (_, label)) in enumerate(zip(items, snippets, strict=True)):
        rows.append((item.id, "vader_gold", {"label": label}))
        if i % 3 != 2:  # two votes on most items (done at k=2), one on every third (in progress)
            rows.append((item.id, "rater_b", {"label": FLIP[label] if i % 5 == 0 else label}))
    annotations_import(project=project, rows=rows)
    version = curation_services.version_create(project=project, split={"train": 0.6, "val": 0.1, "test": 0.3},
                                               seed=0, created_by=manager)
    curation_services.version_execute(version_id=version.id)
    version.refresh_from_db()
    assert version.status == "succeeded", version.error
    run, predictions = finished_run(project, version, manager)
    fresh = factories.make_items(project, ["A late arrival: the ending alone is worth it.", "Late again: a tedious sequel."])
    return {"project": project, "manager": manager, "reviewer": reviewer, "annotator": annotator, "items": items,
            "snippets": snippets, "run": run, "predictions": predictions, "fresh": fresh}


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def expected_rows(fixture, *, status: str, label: str) -> set[int]:
    """The items the seeded votes give ``status`` (done: two votes at k=2) and a vote for ``label``."""
    found = set()
    for i, (item, (_, gold)) in enumerate(zip(fixture["items"], fixture["snippets"], strict=True)):
        votes = [gold] + ([FLIP[gold] if i % 5 == 0 else gold] if i % 3 != 2 else [])
        done = len(votes) == 2
        if (status == "done") == done and label in votes:
            found.add(item.id)
    return found


def row_ids(page) -> set[int]:
    return {int(t.split("-")[-1]) for t in page.get_by_test_id("items").locator("tbody tr").evaluate_all(
        "rows => rows.map((r) => r.dataset.testid)")}


def test_a_manager_filters_selects_every_match_and_excludes_them(new_page, browse_project, screenshots):
    project, manager = browse_project["project"], browse_project["manager"]
    page = new_page(*DESKTOP)
    login(page, manager.username)
    page.goto(f"/projects/{project.id}")
    page.get_by_role("navigation", name="Project sections").get_by_role("link", name="Items", exact=True).click()
    page.wait_for_url(f"**/projects/{project.id}/items")
    rows = page.get_by_test_id("items").locator("tbody tr")
    expect(rows).to_have_count(50)  # the first page of 62 items
    expect(page.get_by_test_id("load-more")).to_be_visible()
    shot(page, screenshots, "items-1440", top=True)
    assert_no_serious_violations(page, "items at 1440")

    # Filters go to the URL: a link reproduces the view.
    page.get_by_label("Status", exact=True).select_option("done")
    page.wait_for_url("**status=done**")
    page.get_by_label("Label", exact=True).select_option("positive")
    page.wait_for_url("**label=positive**")
    wanted = expected_rows(browse_project, status="done", label="positive")
    expect(rows).to_have_count(len(wanted))
    assert row_ids(page) == wanted
    expect(page.get_by_test_id("load-more")).to_have_count(0)

    # Every matching item, confirmed with its number, excluded with a reason.
    page.get_by_test_id("select-all").check()
    page.get_by_test_id("select-all-matching").click()
    expect(page.get_by_test_id("selection-count")).to_have_text(f"All {len(wanted)} items matching the filters")
    page.get_by_test_id("bulk-exclude").click()
    dialog = page.get_by_test_id("bulk-dialog")
    expect(dialog.get_by_role("heading")).to_have_text(f"Exclude {len(wanted)} items?")
    shot(page, screenshots, "items-confirm-1440", top=True)
    assert_no_serious_violations(page, "bulk exclude dialog")
    dialog.get_by_label("Reason").fill("off-topic: not about the film")
    dialog.get_by_test_id("bulk-confirm").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("toast").first).to_contain_text(f"Excluded: {len(wanted)} of {len(wanted)} items changed.")
    for item_id in wanted:
        expect(page.get_by_test_id(f"item-status-{item_id}")).to_contain_text("Excluded")
    excluded = dict(Item.objects.filter(project=project).exclude(excluded_reason="").values_list("id", "excluded_reason"))
    assert set(excluded) == wanted
    assert all(reason == "review: off-topic: not about the film" for reason in excluded.values()), excluded

    # Refreshed, none of them is "done" any more; under "excluded" they all are.
    page.get_by_test_id("refresh-items").click()
    expect(page.get_by_test_id("items-empty")).to_be_visible()
    page.get_by_label("Status", exact=True).select_option("excluded")
    page.wait_for_url("**status=excluded**")
    expect(rows).to_have_count(len(wanted))

    # The model's unsure predictions, by a link: each opens on the item's page.
    unsure = {item_id for item_id, _, _, confidence in browse_project["predictions"] if confidence < 0.6}
    page.goto(f"/projects/{project.id}/items?confidence_below=0.6&ordering=-id")
    expect(page.get_by_label("Model confidence below", exact=True)).to_have_value("0.6")
    expect(rows).to_have_count(len(unsure))
    assert row_ids(page) == unsure
    first = max(unsure)
    assert rows.first.get_attribute("data-testid") == f"item-row-{first}"  # newest first
    rows.first.get_by_role("link", name=f"Item #{first}").click()
    page.wait_for_url(f"**/projects/{project.id}/items/{first}")
    detail = page.get_by_test_id("item-detail")
    expect(detail.get_by_test_id("item-text")).to_have_text(Item.objects.get(id=first).text)
    expect(detail.get_by_test_id("annotations")).to_contain_text("vader_gold")
    predictions = detail.get_by_test_id("predictions")
    expect(predictions).to_contain_text(f"Run #{browse_project['run'].id}")
    expect(predictions).to_contain_text("55.0%")
    expect(predictions).to_contain_text("differs")
    expect(detail.get_by_test_id("hidden-fields")).to_contain_text("vader-row")
    expect(detail.get_by_test_id("item-actions")).to_be_visible()
    shot(page, screenshots, "item-1440", top=True)
    assert_no_serious_violations(page, "item page at 1440")
    page.get_by_test_id("back-to-items").click()  # back to the list as it was left
    page.wait_for_url("**/items?confidence_below=0.6&ordering=-id")
    expect(rows).to_have_count(len(unsure))

    # An excluded item's page says why, and its history lists the review.
    excluded_id = min(wanted)
    page.goto(f"/projects/{project.id}/items/{excluded_id}")
    expect(page.get_by_test_id("item-status")).to_have_text("Excluded")
    expect(page.get_by_test_id("excluded-reason")).to_contain_text("off-topic: not about the film")
    expect(page.get_by_test_id("reviews")).to_contain_text("Excluded by lead")

    # The fresh, unlabeled items go to an annotator picked from the members.
    page.goto(f"/projects/{project.id}/items?status=unlabeled")
    expect(rows).to_have_count(2)
    page.get_by_test_id("select-all").check()
    page.get_by_test_id("bulk-assign").click()
    expect(dialog.get_by_role("heading")).to_have_text("Assign 2 items?")
    expect(dialog.get_by_label("Assign to")).to_have_value("ann")  # annotators come first
    dialog.get_by_test_id("bulk-confirm").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Assigned: 2 of 2 items changed.")
    fresh = sorted(item.id for item in browse_project["fresh"])
    assert sorted(Lease.objects.filter(user=browse_project["annotator"]).values_list("item_id", flat=True)) == fresh
    page.goto(f"/projects/{project.id}/items/{fresh[0]}")
    expect(page.get_by_test_id("assigned-to")).to_have_text("Assigned to ann")

    # The same pages on a phone: axe, and no sideways scrolling.
    phone = new_page(*PHONE)
    login(phone, manager.username)
    phone.goto(f"/projects/{project.id}/items?status=excluded")
    expect(phone.get_by_test_id("items").locator("tbody tr")).to_have_count(len(wanted))
    shot(phone, screenshots, "items-390", top=True)
    assert_no_serious_violations(phone, "items at 390")
    assert page_width(phone) <= 390
    phone.goto(f"/projects/{project.id}/items/{first}")
    expect(phone.get_by_test_id("predictions")).to_be_visible()
    shot(phone, screenshots, "item-390", top=True)
    assert_no_serious_violations(phone, "item page at 390")
    assert page_width(phone) <= 390


def test_a_reviewer_browses_and_sends_items_to_review_without_manager_controls(new_page, browse_project, screenshots):
    project, reviewer = browse_project["project"], browse_project["reviewer"]
    page = new_page(*DESKTOP)
    login(page, reviewer.username)
    page.goto(f"/projects/{project.id}/items?disagreement=true")
    expect(page.get_by_label("Annotators disagree")).to_be_checked()
    disputed = [item.id for i, item in enumerate(browse_project["items"]) if i % 5 == 0 and i % 3 != 2]
    rows = page.get_by_test_id("items").locator("tbody tr")
    expect(rows).to_have_count(len(disputed))
    assert row_ids(page) == set(disputed)

    rows.first.get_by_role("checkbox").check()
    bar = page.get_by_test_id("bulk-bar")
    expect(bar.get_by_test_id("selection-count")).to_have_text("1 selected item")
    expect(bar.get_by_test_id("bulk-review")).to_be_visible()
    for manager_only in ("bulk-exclude", "bulk-restore", "bulk-assign"):
        expect(bar.get_by_test_id(manager_only)).to_have_count(0)
    bar.get_by_test_id("bulk-review").click()
    dialog = page.get_by_test_id("bulk-dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Send to review 1 item?")
    dialog.get_by_test_id("bulk-confirm").click()
    expect(page.get_by_test_id("toast").first).to_contain_text("Sent to review: 1 of 1 item changed.")
    assert list(ReviewCandidate.objects.filter(item__project=project, kind="flagged").values_list("item_id", flat=True)) == [min(disputed)]
    shot(page, screenshots, "items-reviewer-1440", top=True)
    assert_no_serious_violations(page, "items as a reviewer")

    # The item page without the hidden fields or the exclusion (the API does not even send the fields).
    page.goto(f"/projects/{project.id}/items/{browse_project['items'][0].id}")
    detail = page.get_by_test_id("item-detail")
    expect(detail.get_by_test_id("annotations")).to_contain_text("rater_b")
    expect(detail.get_by_test_id("item-review")).to_be_visible()
    expect(detail.get_by_test_id("hidden-fields")).to_have_count(0)
    expect(detail.get_by_test_id("item-exclude-open")).to_have_count(0)
    assert "vader-row" not in page.content()
    assert_no_serious_violations(page, "item page as a reviewer")

    phone = new_page(*PHONE)
    login(phone, reviewer.username)
    phone.goto(f"/projects/{project.id}/items")
    expect(phone.get_by_test_id("items").locator("tbody tr")).to_have_count(50)
    assert_no_serious_violations(phone, "items as a reviewer at 390")
    assert page_width(phone) <= 390


def test_the_runs_page_fits_a_phone_and_its_tables_scroll_by_keyboard(new_page, browse_project, screenshots):
    project, manager = browse_project["project"], browse_project["manager"]
    phone = new_page(*PHONE)
    login(phone, manager.username)
    phone.goto(f"/projects/{project.id}/runs")
    expect(phone.get_by_test_id("run-detail")).to_contain_text(f"Run #{browse_project['run'].id}")
    matrix = phone.get_by_role("region", name="Confusion matrix")
    expect(matrix).to_be_visible()
    assert page_width(phone) <= 390, f"the runs page scrolls sideways: {page_width(phone)}px"
    shot(phone, screenshots, "runs-390", top=True)
    assert_no_serious_violations(phone, "runs at 390")  # includes color-contrast on the confusion matrix

    # The per-annotator table scrolls in its own region, which the keyboard can reach and move.
    phone.goto(f"/projects/{project.id}")
    region = phone.get_by_test_id("annotator-figures-region")
    expect(region).to_have_attribute("tabindex", "0")
    expect(region).to_have_attribute("role", "region")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth"), "the table fits: nothing to scroll"
    region.focus()
    phone.keyboard.press("ArrowRight")
    phone.wait_for_function("el => el.scrollLeft > 0", arg=region.element_handle())
    assert page_width(phone) <= 390

    desktop = new_page(*DESKTOP)
    login(desktop, manager.username)
    desktop.goto(f"/projects/{project.id}/runs")
    expect(desktop.get_by_test_id("run-detail")).to_be_visible()
    expect(desktop.get_by_role("region", name="Confusion matrix")).to_be_visible()
    shot(desktop, screenshots, "runs-1440", top=True)
    assert_no_serious_violations(desktop, "runs at 1440")
