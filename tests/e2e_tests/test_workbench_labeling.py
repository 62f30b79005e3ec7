"""The labeling workbench by keyboard: back to one's earlier items and an edit that supersedes the old
label (and wins in a version), a key for each of 50 labels and the "/" filter, a 5,000-character text
that leaves Submit on screen at desktop and phone sizes, and the server's "left for you" figures."""
from __future__ import annotations

import string

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from annotation.models import Annotation
from curation import services as curation_services
from curation.selectors import version_snapshot_dir
from curation.snapshot import snapshot_table
from projects.models import Item
from tests import factories
from tests.e2e_tests.axe import assert_no_serious_violations
from tests.e2e_tests.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DESKTOP = (1440, 900)
PHONE = (390, 844)

TEXTS = [
    "The soup was cold but the staff could not have been kinder.",
    "Delivery took three weeks and the box arrived crushed.",
    "It does what it says. Nothing more, nothing less.",
    "Best purchase I have made this year, hands down.",
    "The manual is written in riddles; setup took an evening.",
]

TOPICS = [
    "arts", "autos", "banking", "beauty", "books", "business", "careers", "celebrity", "chemistry", "climate",
    "comedy", "computing", "crime", "culture", "dance", "design", "economy", "education", "elections", "energy",
    "fashion", "film", "finance", "fitness", "food", "gaming", "gardening", "geography", "health", "history",
    "housing", "immigration", "law", "literature", "markets", "medicine", "military", "music", "parenting", "pets",
    "philosophy", "physics", "politics", "religion", "science", "space", "sports", "technology", "travel", "weather",
]


def expected_key(index: int) -> str:
    """The key each label's button should show: 1–9, 0, the letters but S and F, then Shift + those."""
    letters = [c for c in string.ascii_lowercase if c not in "sf"]
    if index < 10:
        return str((index + 1) % 10)
    tier, at = divmod(index - 10, len(letters))
    return ("⇧" if tier else "") + letters[at].upper()


def long_text(length: int = 5000) -> str:
    sentences = []
    n = 0
    while sum(len(s) + 1 for s in sentences) < length:
        n += 1
        sentences.append(f"Sentence {n} of a long customer letter about a refund that never came, and why it matters.")
    return " ".join(sentences)[:length]


@pytest.fixture
def shop_reviews():
    """Five reviews to label (k=1) and one that cleaning excluded, one annotator."""
    project = factories.make_project(
        name="Shop reviews",
        labels=("positive", "negative", "neutral"),
        guidelines="## How to label\n\n- **positive**: the writer would buy again\n- **negative**: they would not\n- *neutral*: cannot tell",
    )
    factories.make_items(project, [*TEXTS, "A duplicate the cleaning removed."])
    Item.objects.filter(project=project, text__startswith="A duplicate").update(excluded_reason="duplicate")
    annotator = factories.make_member(project, factories.make_user("ann"), Role.ANNOTATOR)
    return project, annotator


def open_labeling(new_page, user, project, size=DESKTOP):
    page = new_page(*size)
    login(page, user.username)
    page.goto(f"/projects/{project.id}/label")
    expect(page.get_by_test_id("item-text")).to_be_visible()
    return page


def test_it_goes_back_by_keyboard_and_an_edit_supersedes_the_old_label(new_page, shop_reviews, screenshots):
    project, annotator = shop_reviews
    page = open_labeling(new_page, annotator, project)
    item = page.get_by_test_id("item-text")
    left = page.get_by_test_id("left-for-you")
    expect(left).to_have_text("5 of 5 left for you")
    expect(page.get_by_test_id("project-completion")).to_contain_text("0 of 5 items")

    seen = []
    for n, key in enumerate("121", start=1):
        expect(item).to_have_attribute("data-mode", "current")
        item_id = item.get_attribute("data-item-id")
        seen.append(int(item_id))
        page.keyboard.press(key)
        expect(page.get_by_test_id(f"label-{project.labels[int(key) - 1]}")).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("done-count")).to_have_text(str(n))
        expect(item).not_to_have_attribute("data-item-id", item_id)
    unlabeled = item.get_attribute("data-item-id")
    expect(left).to_have_text("2 of 5 left for you")
    expect(page.get_by_test_id("project-completion")).to_contain_text("3 of 5 items")

    # Backspace twice: the second item labeled, its label shown as chosen.
    page.keyboard.press("Backspace")
    expect(item).to_have_attribute("data-item-id", str(seen[2]))
    expect(item).to_have_attribute("data-mode", "back")
    page.keyboard.press("Backspace")
    expect(item).to_have_attribute("data-item-id", str(seen[1]))
    expect(page.get_by_test_id("label-negative")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("back-note")).to_contain_text("You labeled this negative")
    page.screenshot(path=screenshots / "labeling-back.png")
    assert_no_serious_violations(page, "labeling page on an earlier item, 1440x900")

    # A new choice there and Enter: an edit, then one step forward.
    page.keyboard.press("3")
    expect(page.get_by_test_id("label-neutral")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("label-negative")).to_have_attribute("aria-pressed", "false")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("action-status")).to_have_text(f"Edited item #{seen[1]}: negative → neutral.")
    expect(item).to_have_attribute("data-item-id", str(seen[2]))

    revisions = list(Annotation.revisions.filter(item_id=seen[1], annotator=annotator).order_by("id"))
    assert [(a.label, a.superseded_at is not None) for a in revisions] == [("negative", True), ("neutral", False)]
    assert revisions[1].supersedes_id == revisions[0].id
    assert list(Annotation.objects.filter(item_id=seen[1]).values_list("label", flat=True)) == ["neutral"]
    expect(page.get_by_test_id("done-count")).to_have_text("3")  # an edit is not one more label
    expect(left).to_have_text("2 of 5 left for you")

    # Ctrl+Z also goes back: the edited item says so and shows the new label.
    page.keyboard.press("Control+z")
    expect(item).to_have_attribute("data-item-id", str(seen[1]))
    expect(page.get_by_test_id("edited")).to_have_text("Edited")
    expect(page.get_by_test_id("label-neutral")).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=screenshots / "labeling-edited.png")

    # → twice: back on the unlabeled item that was held meanwhile, and it still submits.
    page.keyboard.press("ArrowRight")
    expect(item).to_have_attribute("data-item-id", str(seen[2]))
    page.keyboard.press("ArrowRight")
    expect(item).to_have_attribute("data-item-id", unlabeled)
    expect(item).to_have_attribute("data-mode", "current")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("done-count")).to_have_text("4")
    expect(left).to_have_text("1 of 5 left for you")
    expect(page.get_by_test_id("toast")).to_have_count(0)

    # The version takes the edited label.
    version = curation_services.version_create(project=project, split={"train": 0.5, "val": 0.25, "test": 0.25}, seed=0)
    curation_services.version_execute(version_id=version.id)
    version.refresh_from_db()
    assert version.status == "succeeded", version.error
    rows = snapshot_table(version_snapshot_dir(version), columns=["item_id", "label"]).to_pylist()
    labels = {row["item_id"]: row["label"] for row in rows}
    assert labels == {seen[0]: "positive", seen[1]: "neutral", seen[2]: "positive", int(unlabeled): "negative"}


def test_back_with_nothing_labeled_says_so(new_page, shop_reviews):
    project, annotator = shop_reviews
    page = open_labeling(new_page, annotator, project)
    item_id = page.get_by_test_id("item-text").get_attribute("data-item-id")
    page.keyboard.press("Backspace")
    expect(page.get_by_test_id("toast")).to_contain_text("Nothing to go back to")
    expect(page.get_by_test_id("item-text")).to_have_attribute("data-item-id", item_id)


@pytest.fixture
def fifty_labels():
    assert len(TOPICS) == 50 == len(set(TOPICS))
    project = factories.make_project(name="News topics", labels=TOPICS, guidelines="Pick the main topic.")
    factories.make_items(project, ["Parliament votes on the new budget for schools and hospitals.", "A comet passes close to Mars."])
    annotator = factories.make_member(project, factories.make_user("ann"), Role.ANNOTATOR)
    return project, annotator


def test_fifty_labels_each_have_a_key_and_the_filter_finds_them(new_page, fifty_labels, screenshots):
    project, annotator = fifty_labels
    page = open_labeling(new_page, annotator, project)

    shown = [page.get_by_test_id(f"key-{label}").inner_text() for label in TOPICS]
    assert shown == [expected_key(i) for i in range(50)]
    assert len(set(shown)) == 50 and not {"S", "F", "⇧S", "⇧F"} & set(shown)

    for press, label in [("0", "climate"), ("a", "comedy"), ("z", TOPICS[33]), ("Shift+A", TOPICS[34]), ("Shift+Q", "weather")]:
        page.keyboard.press(press)
        expect(page.get_by_test_id(f"label-{label}")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".label-btn[aria-pressed='true']")).to_have_count(1)

    # "/" focuses the filter; typing narrows the buttons; Escape clears.
    page.keyboard.press("/")
    expect(page.get_by_test_id("label-filter")).to_be_focused()
    page.keyboard.type("zzz")
    expect(page.locator(".label-btn")).to_have_count(0)
    expect(page.get_by_test_id("label-filter-note")).to_contain_text("No label matches")
    page.keyboard.press("Escape")
    expect(page.locator(".label-btn")).to_have_count(50)

    # Several matches: the one that starts with the text comes first and Enter picks it.
    page.keyboard.press("/")
    page.keyboard.type("ar")
    expect(page.locator(".label-btn").first).to_have_attribute("data-testid", "label-arts")
    expect(page.locator(".label-btn")).to_have_count(6)  # arts, careers, gardening, markets, military, parenting
    page.screenshot(path=screenshots / "labeling-filter.png")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("label-arts")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".label-btn")).to_have_count(50)

    # A single match; Enter picks it, the second Enter submits.
    item_id = int(page.get_by_test_id("item-text").get_attribute("data-item-id"))
    page.keyboard.press("/")
    page.keyboard.type("polit")
    expect(page.locator(".label-btn")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("label-politics")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("done-count")).to_have_text("1")
    assert list(Annotation.objects.filter(item_id=item_id).values_list("label", flat=True)) == ["politics"]

    page.screenshot(path=screenshots / "labeling-50-labels.png", full_page=True)
    assert_no_serious_violations(page, "labeling page, 50 labels, 1440x900")
    phone = open_labeling(new_page, annotator, project, PHONE)
    expect(phone.get_by_test_id("submit")).to_be_in_viewport(ratio=1)
    phone.screenshot(path=screenshots / "labeling-50-labels-phone.png")
    assert_no_serious_violations(phone, "labeling page, 50 labels, 390x844")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_long_text_scrolls_in_its_pane_and_submit_stays_on_screen(new_page, shop_reviews, screenshots, size):
    project, annotator = shop_reviews
    text = long_text(5000)
    assert len(text) == 5000
    Item.objects.filter(project=project).update(text=text, raw_text=text)
    page = open_labeling(new_page, annotator, project, size)
    submit = page.get_by_test_id("submit")
    pane = page.get_by_test_id("item-text")

    assert page.evaluate("window.scrollY") == 0
    expect(submit).to_be_in_viewport(ratio=1)
    expect(page.get_by_test_id("skip")).to_be_in_viewport(ratio=1)
    expect(page.get_by_test_id("back")).to_be_in_viewport(ratio=1)
    # The text scrolls inside its own pane, which the keyboard can reach and which names itself.
    assert pane.evaluate("el => el.scrollHeight > el.clientHeight + 100")
    assert pane.get_attribute("tabindex") == "0" and pane.get_attribute("role") == "region"
    expect(pane).to_have_accessible_name(f"Text of item #{pane.get_attribute('data-item-id')}")
    name = "desktop" if size == DESKTOP else "phone"
    page.screenshot(path=screenshots / f"labeling-long-text-{name}.png")

    # Wherever the labels are on the page, the action bar stays on screen.
    page.get_by_test_id("label-neutral").scroll_into_view_if_needed()
    page.get_by_test_id("label-neutral").click()
    expect(submit).to_be_in_viewport(ratio=1)
    item_id = int(pane.get_attribute("data-item-id"))
    submit.click()
    expect(page.get_by_test_id("done-count")).to_have_text("1")
    assert list(Annotation.objects.filter(item_id=item_id).values_list("label", flat=True)) == ["neutral"]
    assert_no_serious_violations(page, f"labeling page, long text, {size}")


def test_the_left_for_you_figures_are_the_servers(new_page, shop_reviews):
    project, annotator = shop_reviews
    page = open_labeling(new_page, annotator, project)
    left = page.get_by_test_id("left-for-you")
    expect(left).to_have_text("5 of 5 left for you")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(left).to_have_text("4 of 5 left for you")
    page.keyboard.press("s")
    expect(left).to_have_text("3 of 4 left for you")  # a skipped item is no longer yours to label
    expect(page.get_by_test_id("skipped-count")).to_have_text("1")

    # A reload keeps the day's count: it is the server's, not the page's.
    page.reload()
    expect(page.get_by_test_id("done-count")).to_have_text("1")
    expect(left).to_have_text("3 of 4 left for you")
    expect(page.get_by_test_id("project-completion")).to_contain_text("Project 20% complete: 1 of 5 items")
    assert_no_serious_violations(page, "labeling page, 1440x900")
