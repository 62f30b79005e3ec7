"""Running a team from the browser: a site admin creates and deactivates a user on the Users page; a
manager re-roles and removes members (and is told why the last manager stays); on the settings page
the manager edits the guidelines (the preview renders Markdown and drops scripts), adds labels typed
with a full-width comma, and renames a label after a confirm step that shows exactly what the rename
changes, the votes following it (read back from the database).

Each page at 1440x900 and 390x844, scanned by axe (no serious or critical violation), saved as a
screenshot ($E2E_SCREENSHOTS, else the test's tmp_path)."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import Role
from annotation.imported import annotations_import
from annotation.models import Annotation, Review
from projects.models import Membership, Project
from tests import factories
from tests.e2e_tests.axe import assert_no_serious_violations
from tests.e2e_tests.conftest import login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DESKTOP = (1440, 900)
PHONE = (390, 844)
GUIDELINES = (
    "# Tone of the review\n\n"
    "Pick **positive** when the writer likes the film.\n\n"
    "- sarcasm counts as negative\n"
    '<script>window.__pwned = 1</script><img src="x" alt="a broken image" onerror="window.__pwned = 2">\n'
)


def check_page(page, folder: Path, name: str) -> None:
    """Screenshot, axe, and no sideways scrolling (a phone must never need it)."""
    shot(page, folder, name)
    assert_no_serious_violations(page, name)
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport + 1, f"{name}: the page scrolls sideways ({width}px wide at {viewport}px)"


@pytest.fixture
def team():
    admin = factories.make_user("root", is_admin=True)
    project = factories.make_project(name="Film reviews", labels=("positive", "negative"), k=2)
    manager = factories.make_member(project, factories.make_user("lead"), Role.MANAGER)
    for name in ("ann", "temp"):
        factories.make_member(project, factories.make_user(name), Role.ANNOTATOR)
    items = factories.make_items(project, [f"Review number {i}: the film was something." for i in range(6)])
    annotations_import(project=project, rows=[
        (items[0].id, "rater_a", {"label": "positive"}),
        (items[0].id, "rater_b", {"label": "positive"}),
        (items[1].id, "rater_a", {"label": "positive"}),
        (items[2].id, "rater_a", {"label": "negative"}),
        (items[3].id, "rater_b", {"label": "positive"}),
    ])
    # A reviewer's correction to "positive" on an item that already has a positive vote.
    Review.objects.create(project=project, item=items[1], reviewer=manager, verdict="correct",
                          value={"label": "positive"}, label="positive")
    return admin, project, manager


def test_an_admin_creates_and_deactivates_a_user(new_page, team, screenshots):
    admin, _, _ = team
    page = new_page(*DESKTOP)
    login(page, admin.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_test_id("user-lead")).to_be_visible()
    # One's own row offers no way to lock oneself out.
    expect(page.get_by_test_id("user-root")).to_contain_text("(you)")
    expect(page.get_by_role("button", name="Deactivate root")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove admin: root")).to_have_count(0)

    page.get_by_label("Username").fill("newbie")
    page.get_by_label("Password", exact=True).fill("password")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_test_id("new-user-password-error")).to_contain_text("too common")
    assert not User.objects.filter(username="newbie").exists()
    page.get_by_label("Password", exact=True).fill("plum-orbit-canvas")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_test_id("user-status-newbie")).to_have_text("active")
    assert User.objects.get(username="newbie").check_password("plum-orbit-canvas")
    check_page(page, screenshots, "users-1440")

    page.get_by_role("button", name="Deactivate newbie").click()
    dialog = page.get_by_test_id("user-dialog")
    expect(dialog).to_contain_text("Deactivate newbie?")
    assert_no_serious_violations(page, "users-1440 deactivate dialog")
    dialog.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_test_id("user-status-newbie")).to_have_text("deactivated")
    assert User.objects.get(username="newbie").is_active is False
    expect(page.get_by_role("button", name="Reactivate newbie")).to_be_visible()

    page.get_by_test_id("user-search").fill("NEW")
    expect(page.get_by_test_id("users-table").locator("tbody tr")).to_have_count(1)
    expect(page.get_by_test_id("user-newbie")).to_be_visible()

    page.get_by_role("button", name="Reset password for newbie").click()
    page.get_by_test_id("new-password").fill("river-lantern-quartz")
    shot(page, screenshots, "users-1440-password-dialog")
    page.get_by_test_id("user-dialog-confirm").click()
    expect(page.get_by_test_id("user-dialog")).not_to_be_visible()
    assert User.objects.get(username="newbie").check_password("river-lantern-quartz")

    phone = new_page(*PHONE)
    login(phone, admin.username)
    phone.goto("/users")
    expect(phone.get_by_test_id("user-newbie")).to_be_visible()
    check_page(phone, screenshots, "users-390")


def test_a_manager_re_roles_and_removes_members(new_page, team, screenshots):
    _, project, manager = team
    page = new_page(*DESKTOP)
    login(page, manager.username)
    page.goto(f"/projects/{project.id}")
    members = page.get_by_test_id("members")
    expect(members.get_by_test_id("member-ann")).to_be_visible()

    page.get_by_label("Role of ann").select_option("reviewer")
    expect(page.get_by_text("ann is now reviewer.")).to_be_visible()
    assert Membership.objects.get(project=project, user__username="ann").role == Role.REVIEWER

    # The last manager cannot step down: the server's reason is shown, the select shows the truth.
    page.get_by_label("Role of lead").select_option("annotator")
    expect(page.get_by_test_id("members-error")).to_contain_text("last manager")
    expect(page.get_by_label("Role of lead")).to_have_value("manager")
    assert Membership.objects.get(project=project, user=manager).role == Role.MANAGER

    page.get_by_role("button", name="Remove temp").click()
    page.get_by_test_id("member-remove-confirm").click()
    expect(members.get_by_test_id("member-temp")).to_have_count(0)
    assert not Membership.objects.filter(project=project, user__username="temp").exists()
    members.scroll_into_view_if_needed()
    check_page(page, screenshots, "members-1440")

    phone = new_page(*PHONE)
    login(phone, manager.username)
    phone.goto(f"/projects/{project.id}")
    expect(phone.get_by_test_id("member-ann")).to_be_visible()
    check_page(phone, screenshots, "members-390")


def test_a_manager_edits_guidelines_and_renames_a_label_keeping_its_votes(new_page, team, screenshots):
    _, project, manager = team
    page = new_page(*DESKTOP)
    login(page, manager.username)
    page.goto(f"/projects/{project.id}")
    page.get_by_role("navigation", name="Project sections").get_by_role("link", name="Settings").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Film reviews")

    # Guidelines: the preview renders the Markdown as it is typed; the script neither runs nor stays.
    page.get_by_test_id("guidelines-source").fill(GUIDELINES)
    preview = page.get_by_test_id("guidelines-preview")
    expect(preview.locator("h1")).to_have_text("Tone of the review")
    expect(preview.locator("strong")).to_have_text("positive")
    expect(preview.locator("li")).to_have_text("sarcasm counts as negative")
    expect(preview.locator("script")).to_have_count(0)
    expect(preview.locator("[onerror]")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None
    # A bad value is refused with the reason beside its field; nothing is saved.
    page.get_by_label("Annotations per item (overlap k)").fill("0")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_test_id("save-error")).to_be_visible()
    expect(page.locator("#s-k-err")).to_contain_text("greater than or equal to 1")
    assert Project.objects.get(id=project.id).guidelines == project.guidelines
    page.get_by_label("Annotations per item (overlap k)").fill("3")
    page.get_by_label("Queue order").select_option("random")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_test_id("save-bar")).to_contain_text("All saved")
    project.refresh_from_db()
    assert (project.guidelines, project.annotations_per_item, project.queue_order) == (GUIDELINES, 3, "random")

    # Labels typed with a full-width comma are two labels.
    page.get_by_test_id("add-labels").fill("neutral，mixed")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_test_id("label-row-mixed")).to_be_visible()
    assert Project.objects.get(id=project.id).labels == ["positive", "negative", "neutral", "mixed"]

    # Rename: first what it would change, then for real. Four votes on three items, one review.
    votes = Annotation.objects.filter(project=project, label="positive")
    expected = (votes.count(), len(set(votes.values_list("item_id", flat=True))
                                  | set(Review.objects.filter(project=project, label="positive").values_list("item_id", flat=True))))
    assert expected == (4, 3)
    page.get_by_role("button", name="Rename positive").click()
    page.get_by_test_id("label-edit-to").fill("favourable")
    page.get_by_test_id("label-edit-check").click()
    expect(page.get_by_test_id("label-edit-preview")).to_have_text("This changes 4 annotations on 3 items (1 review).")
    assert Annotation.objects.filter(project=project, label="positive").count() == 4  # a dry run changes nothing
    assert_no_serious_violations(page, "settings-1440 rename dialog")
    shot(page, screenshots, "settings-1440-rename-confirm")
    page.get_by_test_id("label-edit-confirm").click()
    expect(page.get_by_test_id("label-row-favourable")).to_be_visible()
    expect(page.get_by_test_id("label-row-positive")).to_have_count(0)
    assert Project.objects.get(id=project.id).labels == ["favourable", "negative", "neutral", "mixed"]
    assert Annotation.objects.filter(project=project, label="favourable").count() == 4
    assert not Annotation.objects.filter(project=project, label="positive").exists()
    assert Review.objects.get(project=project).label == "favourable"
    check_page(page, screenshots, "settings-1440")

    phone = new_page(*PHONE)
    login(phone, manager.username)
    phone.goto(f"/projects/{project.id}/settings")
    expect(phone.get_by_test_id("guidelines-preview").locator("h1")).to_have_text("Tone of the review")
    check_page(phone, screenshots, "settings-390")


def test_the_settings_page_is_for_managers_only(new_page, team):
    _, project, _ = team
    reviewer = factories.make_member(project, factories.make_user("checker"), Role.REVIEWER)
    page = new_page(*DESKTOP)
    login(page, reviewer.username)
    page.goto(f"/projects/{project.id}")
    expect(page.get_by_role("navigation", name="Project sections").get_by_role("link", name="Review")).to_be_visible()
    expect(page.get_by_role("navigation", name="Project sections").get_by_role("link", name="Settings")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Users")).to_have_count(0)
    page.goto(f"/projects/{project.id}/settings")
    expect(page.get_by_text("Only the project's managers and site admins change its settings.")).to_be_visible()
