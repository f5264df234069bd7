"""The sign-in page and landing page in a real browser (Debian's Chromium, via Playwright)."""

import os

import pytest
from playwright.sync_api import expect

from helpline.accounts.models import Role, User
from helpline.mail import actions as mail_actions
from helpline.mail.tests.factories import raw_email
from helpline.tickets import actions
from helpline.web.tests.conftest import CHROMIUM

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
)


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


@pytest.mark.django_db(transaction=True)
def test_an_agent_reads_why_a_message_is_here_and_moves_it(
    live_server, browser_page, carol, dana, tech_team, tmp_path
):
    first = actions.create_ticket(
        acting_user=None, requester=dana, subject="Printer on fire", body="It smokes.",
        channel="email", team=tech_team,
    )  # fmt: skip
    emailed = raw_email(
        subject=f"Re: [#{first.number}] Printer on fire",
        body="The invoice is wrong too.\n\nOn Mon, Support wrote:\n> It smokes.",
    )
    received = mail_actions.receive(raw=emailed, via="test", mailbox=None)
    mail_actions.process(inbound_id=received.inbound.pk)
    second = actions.create_ticket(
        acting_user=None, requester=dana, subject="Invoice", body="Wrong total.", team=tech_team
    )
    page = browser_page
    _sign_in(page, live_server.url, carol.email)
    page.get_by_role("link", name="Printer on fire").click()
    reply = page.get_by_role("article", name="Message 2")
    expect(reply.get_by_text(f"Placed by: subject token [#{first.number}]")).to_be_visible()
    expect(reply.get_by_text("> It smokes.")).to_be_hidden()
    reply.get_by_text("Show the full original").click()
    expect(reply.get_by_text("> It smokes.")).to_be_visible()
    reply.get_by_text("Move or split this message").click()
    reply.get_by_label("Move to ticket number").fill(str(second.number))
    reply.get_by_role("button", name="Move").click()
    expect(page.get_by_text(f"The message was moved to #{second.number}.")).to_be_visible()
    expect(page.get_by_text("The invoice is wrong too.")).to_have_count(0)
    page.screenshot(path=os.environ.get("HELPLINE_SCREENSHOT_TICKET", str(tmp_path / "t.png")))
    assert set(second.messages.values_list("body_text", flat=True)) == {
        "Wrong total.",
        "The invoice is wrong too.",
    }


def _sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")
