"""The sign-in page and landing page in a real browser (Debian's Chromium, via Playwright)."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from helpline.accounts.models import Role, User

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


@pytest.fixture
def browser_page(monkeypatch):
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


@pytest.mark.django_db(transaction=True)
def test_an_agent_signs_in_and_sees_the_queue_figures(live_server, browser_page, tmp_path):
    User.objects.create_user(
        "sam@example.com", "correct horse battery", name="Sam Agent", role=Role.AGENT
    )
    page = browser_page
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Sign in as an agent").click()
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    # expect() waits for the form's round trip; is_visible() would look only once, at once.
    expect(page.get_by_text("do not match an active agent")).to_be_visible()
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_text("unresolved tickets")).to_be_visible()
    expect(page.get_by_text("Sam Agent")).to_be_visible()
    page.screenshot(path=os.environ.get("HELPLINE_SCREENSHOT", str(tmp_path / "home.png")))
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in as an agent")).to_be_visible()
