"""Span and multi-label labeling in the browser, by keyboard (and a click to choose a span): the offsets
stored are code points, right for Chinese, Japanese, an emoji ZWJ sequence and a combining accent, and
the page shows a stored annotation again at the same place; overlap is refused unless the project
allows it; "none of these" is an answer of its own."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests import factories
from tests.e2e_tests.axe import assert_no_serious_violations
from tests.e2e_tests.conftest import login, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# 张三 Chinese, 東京タワー Japanese (kanji and katakana), 👩🏽‍💻 four code points in seven UTF-16 units,
# "café" written with a combining acute accent (e + U+0301).
MIXED = "Ada met 张三 in 東京タワー today 👩🏽\u200d💻 cafe\u0301!"
SECOND = "李四在上海工作。"


def chips(page) -> list[tuple[int, int, str, str]]:
    """The span list under the text: (start, end, label, text shown) per span, in code points."""
    rows = page.eval_on_selector_all(
        "[data-testid=span-list] button",
        "els => els.map(e => [Number(e.dataset.start), Number(e.dataset.end), e.dataset.label, e.querySelector('.span-chip-text').textContent])",
    )
    return [tuple(row) for row in rows]


def my_annotations(page, project_id: int) -> dict[int, dict]:
    answer = page.request.get(f"/api/v1/projects/{project_id}/annotations?mine=true")
    assert answer.ok, answer.text()
    return {row["item_id"]: row["value"] for row in answer.json()["results"]}


def press(page, key: str, times: int = 1) -> None:
    for _ in range(times):
        page.keyboard.press(key)


def test_spans_marked_by_keyboard_are_stored_in_code_points_and_shown_again(new_page):
    project = factories.make_project(name="People and places", task_type="spans", labels=("PER", "ORG", "LOC", "MISC"))
    first, second = factories.make_items(project, [MIXED, SECOND])
    annotator = factories.make_member(project, factories.make_user("ner"), Role.ANNOTATOR)

    page = new_page()
    login(page, annotator.username)
    page.goto(f"/projects/{project.id}/label")
    text = page.get_by_test_id("item-text")
    expect(text).to_have_attribute("data-item-id", str(first.id))
    message = page.get_by_test_id("span-message")

    # Shift+→ extends by a word: "Ada", marked PER with key 1.
    press(page, "Shift+ArrowRight")
    expect(page.get_by_test_id("span-selection")).to_contain_text("Ada")
    press(page, "1")
    expect(message).to_contain_text("Marked PER “Ada”")
    # The same text again with another label overlaps it: refused, and said so.
    press(page, "Shift+ArrowLeft")
    press(page, "2")
    expect(message).to_contain_text("overlaps PER “Ada”")
    assert len(chips(page)) == 1
    press(page, "ArrowRight")  # collapse to the selection's end, after "Ada"

    # → moves by a character (a grapheme), Alt+Shift+→ extends by one: 张三 (PER).
    press(page, "ArrowRight", 5)
    press(page, "Alt+Shift+ArrowRight", 2)
    press(page, "1")
    # 東京タワー, first marked ORG by mistake, then chosen with a click on its highlight and relabelled LOC.
    press(page, "ArrowRight", 4)
    press(page, "Alt+Shift+ArrowRight", 5)
    press(page, "2")
    expect(message).to_contain_text("Marked ORG “東京タワー”")
    page.locator(".span-piece", has_text="東京タワー").click()
    expect(message).to_contain_text("Chosen: ORG “東京タワー”")
    press(page, "3")
    expect(message).to_contain_text("LOC “東京タワー” (was ORG)")
    # "today" marked, chosen from the list, deleted with Delete.
    press(page, "ArrowRight")
    press(page, "Shift+ArrowRight")
    press(page, "4")
    expect(message).to_contain_text("Marked MISC “today”")
    page.locator("[data-testid=span-list] button", has_text="today").click()
    press(page, "Delete")
    expect(message).to_contain_text("Removed MISC “today”")
    # The emoji: one grapheme of four code points.
    press(page, "ArrowRight")
    press(page, "Alt+Shift+ArrowRight")
    press(page, "4")
    # "café" with its combining accent is one word.
    press(page, "ArrowRight")
    press(page, "Shift+ArrowRight")
    press(page, "4")
    expect(message).to_contain_text("Marked MISC “cafe\u0301”")

    expected = [
        {"start": 0, "end": 3, "label": "PER"},
        {"start": 8, "end": 10, "label": "PER"},
        {"start": 14, "end": 19, "label": "LOC"},
        {"start": 26, "end": 30, "label": "MISC"},
        {"start": 31, "end": 36, "label": "MISC"},
    ]
    assert [MIXED[s["start"]:s["end"]] for s in expected] == ["Ada", "张三", "東京タワー", "👩🏽\u200d💻", "cafe\u0301"]
    assert chips(page) == [(s["start"], s["end"], s["label"], MIXED[s["start"]:s["end"]]) for s in expected]
    assert_no_serious_violations(page, "span labeling page")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path="/tmp/h/spanui.png", full_page=True)

    press(page, "Enter")
    expect(text).to_have_attribute("data-item-id", str(second.id))
    assert my_annotations(page, project.id)[first.id] == {"spans": expected}

    # The second item: submitted with no span at all, an answer of its own.
    expect(page.get_by_test_id("span-list")).to_contain_text("No spans yet")
    press(page, "Enter")
    expect(page.get_by_test_id("nothing-left")).to_be_visible()
    assert my_annotations(page, project.id)[second.id] == {"spans": []}

    # Back to the first item: the stored spans are shown where they were.
    press(page, "Backspace")
    expect(text).to_have_attribute("data-item-id", str(second.id))
    press(page, "Backspace")
    expect(text).to_have_attribute("data-item-id", str(first.id))
    expect(page.locator("[data-testid=span-list] button")).to_have_count(5)
    expect(page.get_by_test_id("back-note")).to_contain_text("You marked 5 spans here.")
    assert chips(page) == [(s["start"], s["end"], s["label"], MIXED[s["start"]:s["end"]]) for s in expected]
    marked = page.eval_on_selector_all(".span-piece.is-marked", "els => els.map(e => e.textContent)")
    assert marked == ["Ada", "张三", "東京タワー", "👩🏽\u200d💻", "cafe\u0301"]
    tags = page.eval_on_selector_all(".span-tag", "els => els.map(e => e.textContent)")
    assert tags == ["PER", "PER", "LOC", "MISC", "MISC"]


def test_overlapping_spans_are_kept_when_the_project_allows_them(new_page):
    project = factories.make_project(name="Nested", task_type="spans", labels=("ORG", "LOC"), span_overlap=True)
    (item,) = factories.make_items(project, ["北京大学很大"])
    annotator = factories.make_member(project, factories.make_user("nest"), Role.ANNOTATOR)
    page = new_page()
    login(page, annotator.username)
    page.goto(f"/projects/{project.id}/label")
    expect(page.get_by_test_id("item-text")).to_have_attribute("data-item-id", str(item.id))
    # 北京大学 selected with the mouse: a drag from the first character's left edge to the fourth's right.
    box = page.evaluate("""() => {
        const node = document.querySelector('[data-testid=item-text] .span-piece').firstChild;
        const rect = (i) => { const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1); return r.getBoundingClientRect(); };
        const [a, b] = [rect(0), rect(3)];
        return { x0: a.left + 2, x1: b.right - 2, y: (a.top + a.bottom) / 2 };
    }""")
    page.mouse.move(box["x0"], box["y"])
    page.mouse.down()
    page.mouse.move(box["x1"], box["y"], steps=5)
    page.mouse.up()
    expect(page.get_by_test_id("span-selection")).to_contain_text("“北京大学”")
    press(page, "1")  # 北京大学 ORG
    press(page, "ArrowLeft", 2)
    press(page, "Alt+Shift+ArrowLeft", 2)
    press(page, "2")  # 北京 LOC, inside it
    expect(page.get_by_test_id("span-message")).to_contain_text("Marked LOC “北京”")
    press(page, "Enter")
    expect(page.get_by_test_id("nothing-left")).to_be_visible()
    assert my_annotations(page, project.id)[item.id] == {
        "spans": [{"start": 0, "end": 2, "label": "LOC"}, {"start": 0, "end": 4, "label": "ORG"}]
    }


def test_multilabel_toggles_labels_by_key_and_none_of_these_is_an_answer(new_page, screenshots):
    project = factories.make_project(name="Topics", task_type="multilabel", labels=("sports", "politics", "tech"))
    first, second = factories.make_items(project, ["The minister opened a new stadium with robot referees.", "今天天气很好。"])
    annotator = factories.make_member(project, factories.make_user("topics"), Role.ANNOTATOR)
    page = new_page()
    login(page, annotator.username)
    page.goto(f"/projects/{project.id}/label")
    text = page.get_by_test_id("item-text")
    expect(text).to_have_attribute("data-item-id", str(first.id))

    for key in ["1", "2", "3", "2"]:  # politics toggled on, then off again
        press(page, key)
    for label, pressed in [("sports", "true"), ("politics", "false"), ("tech", "true")]:
        expect(page.get_by_test_id(f"label-{label}")).to_have_attribute("aria-pressed", pressed)
    expect(page.get_by_test_id("label-none")).to_have_attribute("aria-pressed", "false")
    assert_no_serious_violations(page, "multi-label page")
    shot(page, screenshots, "multilabel")
    press(page, "Enter")
    expect(text).to_have_attribute("data-item-id", str(second.id))
    assert my_annotations(page, project.id)[first.id] == {"labels": ["sports", "tech"]}

    # Nothing picked: no answer to submit yet. 0 is "none of these", which a label key clears and N sets again.
    expect(page.get_by_test_id("submit")).to_be_disabled()
    press(page, "0")
    expect(page.get_by_test_id("label-none")).to_have_attribute("aria-pressed", "true")
    press(page, "1")
    expect(page.get_by_test_id("label-none")).to_have_attribute("aria-pressed", "false")
    press(page, "n")
    expect(page.get_by_test_id("label-none")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("label-sports")).to_have_attribute("aria-pressed", "false")
    press(page, "Enter")
    expect(page.get_by_test_id("nothing-left")).to_be_visible()
    assert my_annotations(page, project.id)[second.id] == {"labels": []}

    # Back to it: "none of these" is shown as the stored answer.
    press(page, "Backspace")
    expect(text).to_have_attribute("data-item-id", str(second.id))
    expect(page.get_by_test_id("label-none")).to_have_attribute("aria-pressed", "true")
