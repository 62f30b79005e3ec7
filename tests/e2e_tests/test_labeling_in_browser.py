"""An annotator signs in, labels three items with the keyboard, and the counts move; an expired
session says so and comes back with the choice kept; an unreachable server shows a retry; a site admin
sees a project's figures; the project list shows progress and takes labels typed with CJK commas."""
from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from accounts.roles import Role
from annotation.imported import annotations_import
from annotation.models import Annotation
from projects.models import Item, Project
from tests import factories
from tests.e2e_tests.axe import assert_no_serious_violations
from tests.e2e_tests.conftest import login

DESKTOP = (1440, 900)
PHONE = (390, 844)
EXPIRED = "Your session expired — sign in again to continue."

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


def sign_in_again(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def kept_choices(page) -> list[str]:
    return page.evaluate("Object.keys(sessionStorage).filter((k) => k.startsWith('datamoat:choice'))")


def test_an_expired_session_says_so_and_comes_back_with_the_choice_kept(new_page, labeling_project, screenshots):
    project, annotator, _ = labeling_project
    page = new_page()
    login(page, annotator.username)
    page.goto(f"/projects/{project.id}/label")
    item = page.get_by_test_id("item-text")
    expect(item).to_be_visible()
    item_id = item.get_attribute("data-item-id")
    page.keyboard.press("2")
    expect(page.get_by_test_id("label-negative")).to_have_attribute("aria-pressed", "true")

    page.context.clear_cookies(name="sessionid")  # the session ends while the annotator reads
    page.keyboard.press("Enter")
    page.wait_for_url("**/login?**")
    expect(page.get_by_test_id("session-expired")).to_have_text(EXPIRED)
    expect(page.get_by_test_id("toast")).to_have_count(0)  # the message above says it all
    assert not Annotation.objects.filter(annotator=annotator).exists()
    page.screenshot(path=screenshots / "login-expired.png")
    for width, height in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": height})
        assert_no_serious_violations(page, f"login page, session expired, {width}x{height}")
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})

    sign_in_again(page, annotator.username)
    page.wait_for_url(f"**/projects/{project.id}/label")
    expect(item).to_have_attribute("data-item-id", item_id)
    expect(page.get_by_test_id("label-negative")).to_have_attribute("aria-pressed", "true")
    assert kept_choices(page) == []  # restored, then forgotten
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("done-count")).to_have_text("1")
    assert list(Annotation.objects.filter(annotator=annotator).values_list("item_id", "label")) == [(int(item_id), "negative")]


def test_a_session_ended_on_the_server_while_editing_keeps_the_edit(new_page, labeling_project):
    project, annotator, _ = labeling_project
    page = new_page()
    login(page, annotator.username)
    page.goto(f"/projects/{project.id}/label")
    item = page.get_by_test_id("item-text")
    expect(item).to_be_visible()
    first = item.get_attribute("data-item-id")
    page.keyboard.press("1")
    page.keyboard.press("Enter")
    expect(item).not_to_have_attribute("data-item-id", first)
    page.keyboard.press("Backspace")
    expect(item).to_have_attribute("data-item-id", first)
    page.keyboard.press("3")

    Session.objects.all().delete()  # signed out on the server (an admin, or the session's age)
    page.keyboard.press("Enter")
    page.wait_for_url("**/login?**")
    expect(page.get_by_test_id("session-expired")).to_have_text(EXPIRED)
    sign_in_again(page, annotator.username)
    page.wait_for_url(f"**/projects/{project.id}/label")
    expect(item).to_have_attribute("data-item-id", first)
    expect(item).to_have_attribute("data-mode", "back")
    expect(page.get_by_test_id("label-neutral")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("action-status")).to_contain_text(f"Edited item #{first}")
    assert list(Annotation.objects.filter(annotator=annotator).values_list("item_id", "label")) == [(int(first), "neutral")]


def test_an_unreachable_server_shows_a_retry_on_the_labeling_page(new_page, labeling_project, screenshots):
    project, annotator, _ = labeling_project
    page = new_page()
    login(page, annotator.username)
    page.route("**/api/v1/projects/*/next", lambda route: route.abort())
    page.goto(f"/projects/{project.id}/label")
    failed = page.get_by_test_id("load-failed")
    expect(failed).to_contain_text("Cannot reach the Datamoat server")
    page.screenshot(path=screenshots / "labeling-retry.png")
    page.unroute("**/api/v1/projects/*/next")
    page.get_by_test_id("retry").click()
    expect(page.get_by_test_id("item-text")).to_be_visible()
    expect(failed).to_have_count(0)


def test_a_failing_server_shows_a_retry_on_the_project_page(new_page, labeling_project):
    project, _, manager = labeling_project
    page = new_page()
    login(page, manager.username)
    page.route("**/api/v1/projects/*/stats", lambda route: route.fulfill(status=502, body="<h1>Bad gateway</h1>"))
    page.goto(f"/projects/{project.id}")
    expect(page.get_by_test_id("load-failed")).to_contain_text("The server failed (HTTP 502)")
    page.unroute("**/api/v1/projects/*/stats")
    page.get_by_test_id("retry").click()
    expect(page.get_by_test_id("stat-items")).to_have_text("5")

    page.route(f"**/api/v1/projects/{project.id}", lambda route: route.abort())
    page.reload()
    expect(page.get_by_test_id("load-failed")).to_contain_text("Cannot reach the Datamoat server")
    page.unroute(f"**/api/v1/projects/{project.id}")
    page.get_by_test_id("retry").click()
    expect(page.get_by_role("heading", name="Movie snippets")).to_be_visible()


def test_a_site_admin_sees_the_project_figures_without_refreshing(new_page, labeling_project, screenshots):
    project, _, _ = labeling_project
    admin = factories.make_user("root", is_admin=True)  # not a member: a site admin sees every project
    for width, height in (DESKTOP, PHONE):
        page = new_page(width, height)
        login(page, admin.username)
        page.goto(f"/projects/{project.id}")
        expect(page.get_by_test_id("stat-items")).to_have_text("5")
        expect(page.get_by_test_id("stat-annotations")).to_have_text("0")
        expect(page.get_by_test_id("role-badge")).to_have_text("admin")
        page.screenshot(path=screenshots / f"project-admin-{width}.png", full_page=True)
        assert_no_serious_violations(page, f"project page as a site admin, {width}x{height}")


def test_the_project_list_shows_progress_and_splits_labels_on_cjk_commas(new_page, labeling_project, screenshots):
    project, _, _ = labeling_project
    items = list(Item.objects.filter(project=project).order_by("id"))
    annotations_import(project=project, rows=[(item.id, "gold", {"label": "positive"}) for item in items[:2]])
    Item.objects.filter(id=items[4].id).update(excluded_reason="duplicate")
    admin = factories.make_user("root", is_admin=True)

    page = new_page(*DESKTOP)
    login(page, admin.username)
    expect(page.get_by_test_id(f"progress-{project.id}")).to_contain_text("2 of 4 done")
    page.get_by_role("button", name="New project").click()
    page.get_by_label("Name").fill("評論")
    page.get_by_test_id("labels-input").fill("正面，负面、中性\n其他")
    expect(page.get_by_test_id("labels-preview")).to_contain_text("1 = 正面, 2 = 负面, 3 = 中性, 4 = 其他")
    page.screenshot(path=screenshots / "projects-create.png", full_page=True)
    assert_no_serious_violations(page, "projects page with the create form, 1440x900")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    assert_no_serious_violations(page, "projects page with the create form, 390x844")
    page.screenshot(path=screenshots / "projects-create-phone.png", full_page=True)
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/projects/*")
    created = Project.objects.get(name="評論")
    assert created.labels == ["正面", "负面", "中性", "其他"]
