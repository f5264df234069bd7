"""Browser tests drive Debian's Chromium through Playwright, never a downloaded browser."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def browser_page(monkeypatch) -> Iterator[Page]:
    # Playwright's sync API runs an event loop; Django must allow ORM calls beside it.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        )  # fmt: skip
        page = browser.new_page()
        yield page
        browser.close()
