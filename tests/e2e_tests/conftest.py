"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against pytest-django's
``live_server`` (the app on the test database, serving the built frontend/dist).

Never ``playwright install``: the browser is the system one at /usr/bin/chromium (.ci/run installs
it with apt). Without it, or without a built frontend, these tests skip and say why.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from tests import factories
from tests.real_data import vader_snippets  # noqa: F401 (the browser and serving tests import it from here)

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Explicit waits only; this bounds each one (generous for a shared 2-core machine).
WAIT_MS = 20_000


def _skip_reason() -> str | None:
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM}: install Debian's package (`apt-get install -y chromium`), as .ci/run does"
    if not (settings.FRONTEND_DIST / "index.html").exists():
        return "the browser app is not built: run `make frontend` (frontend/dist/index.html is missing)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the python package playwright is not installed (requirements.txt)"
    return None


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where page screenshots go: $E2E_SCREENSHOTS, else the test's tmp_path."""
    folder = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(monkeypatch) -> Iterator[object]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the test makes
    # between browser steps are plain synchronous ones, so Django's async guard does not apply.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()
            # While Playwright's loop runs, Django keeps the ORM connections the test opened in a
            # context of their own; close them here, or PostgreSQL cannot drop the test database.
            connections.close_all()


@pytest.fixture
def new_page(browser, live_server):
    """``new_page()``: a page in a fresh browser context (its own cookies), desktop-sized; ``locale``
    ("zh-CN") sets the browser's language (navigator.languages, Accept-Language)."""
    contexts = []

    def build(width: int = 1360, height: int = 900, locale: str | None = None):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}, locale=locale
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context.new_page()

    yield build
    for context in contexts:
        context.close()


def login(page, username: str, password: str = factories.PASSWORD) -> None:
    """Sign in through the login form and wait until the app has left the login page."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def js_percent(share: float, digits: int = 1) -> str:
    """``share`` as the page writes it, ``(share * 100).toFixed(digits) + "%"``: JavaScript rounds the
    double's exact value half up, Python's format half to even (0.5625 is 56.3% on the page, 56.2 in
    f"{x:.1f}"), so tests format through Decimal, which sees the same exact value."""
    from decimal import ROUND_HALF_UP, Decimal

    value = Decimal(share * 100).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{value}%"


def shot(page, folder: Path, name: str, *, top: bool = False, slices: bool = False) -> None:
    """A full-page screenshot (scrolled to the top first, so the sticky header sits where it belongs);
    ``top``: also the first screen as a person sees it (``<name>-top.png``); ``slices``: also the page cut
    in screen-high pieces under ``slices/``, for reading long phone pages."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=folder / f"{name}.png", full_page=True)
    if top:
        page.screenshot(path=folder / f"{name}-top.png")
    if slices:
        viewport = page.viewport_size
        height = page.evaluate("document.documentElement.scrollHeight")
        (folder / "slices").mkdir(exist_ok=True)
        for n, start in enumerate(range(0, height, viewport["height"]), start=1):
            clip = {"x": 0, "y": start, "width": viewport["width"], "height": min(viewport["height"], height - start)}
            page.screenshot(path=folder / "slices" / f"{name}-{n}.png", full_page=True, clip=clip)


