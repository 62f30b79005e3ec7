"""An annotator signs in, labels three items with the keyboard, and the counts move."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from annotation.models import Annotation
from tests import factories
from tests.e2e_tests.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXTS = [
    "A warm, funny film with a great cast.",
    "Two hours I will never get back.",
    "The plot drags but the music is lovely.",
    "An instant classic; I laughed and cried.",
    "Flat characters and a predictable ending.",
]


@pytest.fixture
def labeling_project():
    project = factories.make_project(
        name="Movie snippets",
        labels=("positive", "negative", "neutral"),
        guidelines="Label the overall sentiment of the snippet.",
    )
    factories.make_items(project, TEXTS)
    annotator = factories.make_member(project, factories.make_user("ann"), Role.ANNOTATOR)
    manager = factories.make_member(project, factories.make_user("boss"), Role.MANAGER)
    return project, annotator, manager


def test_it_labels_three_items_by_keyboard_and_the_counts_change(new_page, labeling_project, screenshots):
    project, annotator, manager = labeling_project

    # The manager's project page before: five items, nothing annotated.
    boss = new_page()
    login(boss, manager.username)
    boss.goto(f"/projects/{project.id}")
    expect(boss.get_by_test_id("stat-items")).to_have_text("5")
    expect(boss.get_by_test_id("stat-annotations")).to_have_text("0")

    page = new_page()
    page.goto("/login")
    expect(page.get_by_role("heading", name="Sign in to Datamoat")).to_be_visible()
    page.screenshot(path=screenshots / "login.png")
    login(page, annotator.username)

    # Annotators land on their projects, then the project opens straight at the labeling page.
    expect(page.get_by_test_id(f"project-{project.id}")).to_contain_text("annotator")
    page.get_by_test_id(f"project-{project.id}").click()
    page.wait_for_url(f"**/projects/{project.id}/label")
    item = page.get_by_test_id("item-text")
    expect(item).to_be_visible()
    expect(page.get_by_test_id("done-count")).to_have_text("0")
    page.screenshot(path=screenshots / "labeling.png", full_page=True)

    seen = []
    for n, key in enumerate(["1", "2", "1"], start=1):
        item_id = item.get_attribute("data-item-id")
        seen.append(int(item_id))
        page.keyboard.press(key)
        label = project.labels[int(key) - 1]
        expect(page.get_by_test_id(f"label-{label}")).to_have_attribute("aria-pressed", "true")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("done-count")).to_have_text(str(n))
        expect(item).not_to_have_attribute("data-item-id", item_id)

    expect(page.get_by_test_id("toast")).to_have_count(0)  # no request failed on the way
    page.screenshot(path=screenshots / "labeling-after-three.png", full_page=True)
    assert len(set(seen)) == 3, "the same item was handed out twice"
    stored = dict(Annotation.objects.filter(annotator=annotator).values_list("item_id", "label"))
    assert stored == {seen[0]: "positive", seen[1]: "negative", seen[2]: "positive"}

    # The manager's page after a reload: three annotations, counted per label.
    boss.reload()
    expect(boss.get_by_test_id("stat-annotations")).to_have_text("3")
    expect(boss.get_by_test_id("stat-annotated")).to_have_text("3")
    expect(boss.get_by_test_id("bar-positive")).to_contain_text("2")
    boss.screenshot(path=screenshots / "project-after-labeling.png", full_page=True)


def test_an_annotator_who_skips_everything_sees_nothing_left(new_page, labeling_project):
    project, annotator, _ = labeling_project
    page = new_page()
    login(page, annotator.username)
    page.goto(f"/projects/{project.id}/label")
    item = page.get_by_test_id("item-text")
    for n in range(1, len(TEXTS) + 1):
        expect(item).to_be_visible()
        item_id = item.get_attribute("data-item-id")
        page.keyboard.press("s")
        if n < len(TEXTS):
            expect(item).not_to_have_attribute("data-item-id", item_id)
    expect(page.get_by_test_id("nothing-left")).to_contain_text("Nothing left for you")
    expect(page.get_by_test_id("skipped-count")).to_have_text(str(len(TEXTS)))


def test_a_wrong_password_shows_the_servers_message(new_page, labeling_project):
    page = new_page()
    page.goto("/login")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("login-error")).to_have_text("Wrong username or password.")


def test_an_annotator_who_opens_a_managers_page_lands_on_labeling(new_page, labeling_project):
    project, annotator, _ = labeling_project
    page = new_page()
    login(page, annotator.username)
    page.goto(f"/projects/{project.id}/versions")
    page.wait_for_url(f"**/projects/{project.id}/label")
    expect(page.get_by_test_id("item-text")).to_be_visible()
    expect(page.get_by_role("link", name="Versions")).to_have_count(0)
    expect(page.get_by_test_id("toast")).to_have_count(0)  # no request it may not make was made
