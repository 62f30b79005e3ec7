"""The interface in Simplified Chinese: a browser whose language is zh-CN gets the Chinese pages from the
first one (the login page, before anyone signs in), and walking login, projects, a project's overview,
labeling, versions and runs finds no English word left in what the page shows or says to a screen
reader, beside the brand, key names, formats, metric names and the project's own data. The language
switch in the header turns the interface English and a reload keeps it (localStorage).

What is read on each page: document.body.innerText (only what is rendered: closed <details>, v-if'd
parts and display:none are not in it; visually hidden screen-reader text is) and the aria-label,
title, placeholder and alt of rendered elements, less whatever sits in an element marked
translate="no" (data and names, which the app marks so). The project's data words must themselves
appear only inside such elements.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from annotation.imported import annotations_import
from curation import services as curation_services
from tests import factories
from tests.e2e_tests.axe import serious_violations
from tests.e2e_tests.conftest import shot
from tests.frontend_tests.test_i18n_catalogues import ALLOWED
from training import services as training_services

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

DESKTOP = (1440, 900)
PHONE = (390, 844)
TINY_RUN = {"epochs": 2, "batch_size": 16, "max_length": 32, "d_model": 32, "n_heads": 2, "n_layers": 1, "d_ff": 64}

# The test's own data that is written in Latin letters: a project name and usernames (the texts and
# labels are Chinese, as a Chinese team's would be). They may show on a Chinese page, inside
# translate="no" elements only.
PROJECT_NAME = "Kestrel 酒店评论"
MANAGER = "wanglei"
RATERS = ("zhaomin", "liqiang")
DATA_WORDS = {"Kestrel", MANAGER, *RATERS}

SUBJECTS = ["房间", "早餐", "前台服务", "床铺", "位置", "卫生", "隔音", "网速", "停车场", "空调"]
PRAISE = ["非常满意，下次还会再来", "比想象中好很多，推荐入住"]
COMPLAINTS = ["让人失望，不会再住了", "太差了，和图片完全不符"]


def reviews() -> list[tuple[str, str]]:
    """Forty short hotel reviews, half 正面 and half 负面, interleaved."""
    pairs = []
    for i, subject in enumerate(SUBJECTS):
        for j in range(2):
            pairs.append((f"{subject}{PRAISE[j]}（第{i * 2 + j + 1}条）", "正面"))
            pairs.append((f"{subject}{COMPLAINTS[j]}（第{i * 2 + j + 1}条）", "负面"))
    return pairs


@pytest.fixture
def chinese_project():
    """A project with two raters' labels, a built version and a finished run; its manager has a queue."""
    data = reviews()
    project = factories.make_project(
        name=PROJECT_NAME, labels=("正面", "负面"), k=3, guidelines="判断评论者对酒店的整体态度。"
    )
    items = factories.make_items(project, [text for text, _ in data])
    manager = factories.make_member(project, factories.make_user(MANAGER), Role.MANAGER)
    flip = {"正面": "负面", "负面": "正面"}
    rows = [(item.id, RATERS[0], {"label": label}) for item, (_, label) in zip(items, data, strict=True)]
    rows += [
        (item.id, RATERS[1], {"label": flip[label] if i % 7 == 0 else label})
        for i, (item, (_, label)) in enumerate(zip(items, data, strict=True))
    ]
    annotations_import(project=project, rows=rows)
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


# What the page shows and says, less the translate="no" parts. The attributes are read first; then the
# text nodes of those parts are emptied for as long as innerText takes (the same nodes, restored at
# once: the app never sees it; a style sheet would not do, the server's CSP forbids injected ones, and
# a <select> lists its options in innerText whatever their style). innerText follows the rendering:
# closed <details>, v-if'd and display:none parts are not in it.
READ_PAGE = """() => {
  const attributes = [];
  for (const el of document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")) {
    if (el.closest('[translate="no"]') || el.getClientRects().length === 0) continue;
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = el.getAttribute(name);
      if (value) attributes.push({ name, value });
    }
  }
  const emptied = [];
  for (const el of document.querySelectorAll('[translate="no"]')) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      emptied.push([node, node.nodeValue]);
      node.nodeValue = "";
    }
  }
  try {
    return { title: document.title, shown: document.body.innerText, attributes };
  } finally {
    for (const [node, value] of emptied) node.nodeValue = value;
  }
}"""

# A Latin word of two letters or more, standing alone: not part of a hash, an id or a snake_case name.
WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z'’-]*[A-Za-z](?![A-Za-z0-9_])")
# Beside the catalogue test's ALLOWED: names of products, libraries, algorithms and standards that the
# cleaning and import steps name (a Chinese text names them so too), and ISO 639-1 language codes.
PHRASES = ("Label Studio", "JSON Lines", "Unicode NFC", "ISO 639-1")
NAMES = {
    "doccano", "Jaccard", "Luhn", "IBAN", "IP", "EMAIL", "PHONE", "Unicode", "NFC", "lingua", "langdetect",
    "OpenCC", "jieba", "EM", "Transformer", "MiniLM", "Hugging", "Face", "en", "de", "fr", "es", "zh", "ja", "ko", "zh-Hans", "zh-Hant",
}
# CSS may show a word in capitals (text-transform): "Fleiss" reads FLEISS in innerText.
ALLOWED_HERE = {w.casefold() for w in ALLOWED | NAMES | DATA_WORDS}


def english_words(text: str) -> list[str]:
    for phrase in PHRASES:
        text = text.replace(phrase, " ")
    return [w for w in WORD.findall(text) if w.casefold() not in ALLOWED_HERE and w.strip("'’-").casefold() not in ALLOWED_HERE]


def check_page(page, problems: list[str], name: str) -> None:
    """Every English word the page shows outside data, and data words shown outside translate="no"."""
    read = page.evaluate(READ_PAGE)
    for line in [read["title"], *read["shown"].splitlines()]:
        if words := english_words(line):
            problems.append(f"{name}: {words} in {line.strip()[:120]!r}")
        if unmarked := [w for w in WORD.findall(line) if w in DATA_WORDS]:
            problems.append(f"{name}: data {unmarked} shown outside translate=\"no\" in {line.strip()[:120]!r}")
    for attribute in read["attributes"]:
        if words := english_words(attribute["value"]):
            problems.append(f"{name}: {words} in {attribute['name']}={attribute['value'][:120]!r}")


def loaded(page) -> None:
    """Wait until no part of the page is still loading (each shows a .loading line meanwhile)."""
    expect(page.locator(".loading")).to_have_count(0)


def test_a_chinese_browser_gets_chinese_pages_and_the_switch_remembers_english(
    new_page, chinese_project, screenshots
):
    project, manager, version, run = chinese_project
    problems: list[str] = []
    page = new_page(*DESKTOP, locale="zh-CN")

    # The login page is Chinese before anyone signs in: the language comes from the browser.
    page.goto("/login")
    expect(page.get_by_role("heading", name="登录 Datamoat")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    check_page(page, problems, "login")
    problems += [f"login: {v}" for v in serious_violations(page)]
    shot(page, screenshots, "zh-login")
    page.get_by_label("用户名").fill(MANAGER)
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(lambda url: "/login" not in url)

    card = page.get_by_test_id(f"project-{project.id}")
    expect(card).to_contain_text("项目管理员")
    loaded(page)
    check_page(page, problems, "projects")
    problems += [f"projects: {v}" for v in serious_violations(page)]
    shot(page, screenshots, "zh-projects")

    card.click()
    expect(page.get_by_test_id("stat-items")).to_have_text(str(len(reviews())))
    expect(page.get_by_test_id("percent-agreement")).to_be_visible()
    loaded(page)
    check_page(page, problems, "project")
    shot(page, screenshots, "zh-project")

    page.get_by_role("link", name="标注", exact=True).click()
    item = page.get_by_test_id("item-text")
    expect(item).to_be_visible()
    expect(item).to_have_attribute("translate", "no")
    expect(page.get_by_test_id("left-for-you")).to_contain_text("你还剩")
    loaded(page)
    check_page(page, problems, "labeling")
    problems += [f"labeling: {v}" for v in serious_violations(page)]
    shot(page, screenshots, "zh-labeling")
    first = item.get_attribute("data-item-id")
    page.keyboard.press("1")
    expect(page.get_by_test_id("label-正面")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_test_id("done-count")).to_have_text("1")
    expect(item).not_to_have_attribute("data-item-id", first)
    check_page(page, problems, "labeling, after an answer")

    page.get_by_role("link", name="版本", exact=True).click()
    expect(page.get_by_test_id("version-detail")).to_be_visible()
    loaded(page)
    check_page(page, problems, "versions")
    shot(page, screenshots, "zh-versions")

    page.get_by_role("link", name="训练", exact=True).click()
    expect(page.get_by_test_id("run-detail")).to_contain_text(f"#{run.id}")
    loaded(page)
    check_page(page, problems, "runs")
    shot(page, screenshots, "zh-runs")

    # The switch: English at once, and still English after a reload (and on the next visit).
    page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("link", name="Runs", exact=True)).to_be_visible()
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="Projects")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.reload()
    expect(page.get_by_test_id("run-detail")).to_be_visible()
    expect(page.get_by_role("link", name="Versions", exact=True)).to_be_visible()
    expect(page.get_by_label("Language")).to_have_value("en")
    assert page.evaluate("localStorage.getItem('datamoat.locale')") == "en"
    main_nav.get_by_role("link", name="Projects").click()
    expect(page.get_by_role("heading", name="Projects")).to_be_visible()

    # On a phone the switch is there too, and the header does not push the page sideways.
    phone = new_page(*PHONE, locale="zh-CN")
    phone.goto("/login")
    expect(phone.get_by_label("语言")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    if width > PHONE[0] + 1:
        problems.append(f"login-390: the page scrolls sideways ({width}px wide)")
    phone.get_by_label("用户名").fill(MANAGER)
    phone.get_by_label("密码").fill(factories.PASSWORD)
    phone.get_by_role("button", name="登录", exact=True).click()
    expect(phone.get_by_test_id(f"project-{project.id}")).to_be_visible()
    expect(phone.get_by_label("语言")).to_be_visible()
    expect(phone.get_by_role("button", name="退出登录")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    if width > PHONE[0] + 1:
        problems.append(f"projects-390: the page scrolls sideways ({width}px wide)")
    shot(phone, screenshots, "zh-projects-390")
    phone.get_by_label("语言").select_option("en")  # the longer header
    expect(phone.get_by_role("button", name="Sign out")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    if width > PHONE[0] + 1:
        problems.append(f"projects-390, English: the page scrolls sideways ({width}px wide)")
    shot(phone, screenshots, "en-projects-390")

    assert not problems, "English left on the Chinese pages (or data not marked translate=\"no\"):\n" + "\n".join(problems)
