"""The browser fixtures of tests/e2e_tests (Debian's Chromium through Playwright), for the CSP test."""
from tests.e2e_tests.conftest import browser, new_page, screenshots  # noqa: F401
