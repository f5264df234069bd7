"""The Content-Security-Policy in a real browser: pages work under it, and it stops
what the mail sanitiser might one day let through (issue 12, item 8)."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Page, expect

from helpline.lib.html import sanitise
from helpline.tickets import actions
from helpline.tickets.files import Upload
from helpline.tickets.models import Message, Ticket
from helpline.web.tests.conftest import CHROMIUM

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
    pytest.mark.django_db(transaction=True),
]

# A one-pixel PNG.
DOT = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082"
)


class _Pixel(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:
        _Pixel.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(DOT)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tracker() -> Iterator[str]:
    """A loopback 'tracking pixel' server: another origin than the app."""
    _Pixel.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pixel)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join(timeout=10)
    assert not thread.is_alive()


@pytest.fixture
def console(browser_page: Page) -> list[str]:
    messages: list[str] = []
    browser_page.on("console", lambda message: messages.append(message.text))
    browser_page.on("pageerror", lambda error: messages.append(f"page error: {error}"))
    return messages


def _violations(console: list[str]) -> list[str]:
    return [line for line in console if "Content Security Policy" in line or "page error" in line]


def _sign_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")


def _mail_with_inline_image(ticket: Ticket, html: str) -> Message:
    """A message as the mail pipeline stores it: sanitised HTML, cid: turned into our URL."""
    message = actions.reply(
        ticket=ticket, author_contact=ticket.requester, body="See the picture.", channel="email",
        attachments=[Upload("dot.png", DOT, "image/png")],
    )  # fmt: skip
    attachment = message.attachments.get()
    url = f"/attachments/{attachment.pk}/inline"
    Message.objects.filter(pk=message.pk).update(body_html=sanitise(html, {"dot@mail": url}))
    message.refresh_from_db()
    return message


def test_the_ticket_page_runs_with_no_policy_violation(
    live_server, browser_page, console, carol, ticket
):
    _mail_with_inline_image(
        ticket, '<p>Here is <b>the</b> dot:</p><img src="cid:dot@mail" alt="dot">'
    )
    page = browser_page
    _sign_in(page, live_server.url, carol.email)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")

    image = page.get_by_alt_text("dot")
    expect(image).to_be_visible()
    # The app's own attachment URL loads under img-src 'self'.
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1
    expect(page.locator("link[rel=stylesheet]")).to_have_count(1)
    assert page.locator("body").evaluate("b => getComputedStyle(b).margin") == "0px"
    assert _violations(console) == []


def test_a_script_that_got_past_the_sanitiser_does_not_run(
    live_server, browser_page, console, carol, ticket, tracker
):
    # Stored as if nh3 had a hole: the policy is the second line of defence.
    hostile = (
        "<p>Hello from Mallory</p>"
        "<script>window.pwned = 'script'</script>"
        "<img src='/static/missing.png' onerror=\"window.pwned = 'onerror'\" alt='broken'>"
        "<p id='styled' style='color: rgb(255, 0, 0)'>styled</p>"
        f"<img src='{tracker}/pixel.gif?ticket=1' alt='pixel'>"
    )
    message = _mail_with_inline_image(ticket, '<img src="cid:dot@mail" alt="dot">')
    Message.objects.filter(pk=message.pk).update(body_html=hostile + message.body_html)
    page = browser_page
    _sign_in(page, live_server.url, carol.email)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")

    expect(page.get_by_text("Hello from Mallory")).to_be_visible()
    expect(page.get_by_alt_text("dot")).to_be_visible()
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.pwned === undefined")
    color = page.locator("#styled").evaluate("p => getComputedStyle(p).color")
    assert color != "rgb(255, 0, 0)"
    # The remote image (a tracking pixel) was never fetched.
    assert _Pixel.hits == []
    refused = "\n".join(_violations(console))
    assert "Executing inline script violates" in refused
    assert "Executing inline event handler violates" in refused
    assert "Applying inline style violates" in refused
    assert f"Loading the image '{tracker}/pixel.gif?ticket=1' violates" in refused


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/{carol.pk}/change/",
        "/admin/accounts/team/add/",
        "/admin/tickets/status/add/",
        "/admin/tickets/ticket/{ticket.pk}/change/",
    ],
)
def test_the_admin_works_under_the_policy(
    live_server, browser_page, console, alice, carol, ticket, path
):
    page = browser_page
    _sign_in(page, live_server.url, alice.email)
    page.goto(live_server.url + path.format(carol=carol, ticket=ticket))
    expect(page.locator("#site-name")).to_contain_text("Helpline administration")
    page.wait_for_load_state("load")
    assert _violations(console) == []


def test_the_team_form_s_member_picker_still_works(
    live_server, browser_page, console, alice, carol
):
    page = browser_page
    _sign_in(page, live_server.url, alice.email)
    page.goto(f"{live_server.url}/admin/accounts/team/add/")
    # SelectFilter2.js builds the two-list picker: it runs only if admin scripts may.
    expect(page.locator("#id_members_from")).to_be_visible()
    page.locator("#id_members_from").select_option(label=str(carol))
    page.locator("#id_members_add").click()
    expect(page.locator("#id_members_to option")).to_have_text([str(carol)])
    assert _violations(console) == []


def test_the_api_docs_page_works_under_its_policy(live_server, browser_page, console, carol):
    page = browser_page
    _sign_in(page, live_server.url, carol.email)
    page.goto(f"{live_server.url}/api/v1/docs")
    # Swagger UI renders the operations from the OpenAPI document.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Helpline")
    operation = page.locator(".opblock").first
    expect(operation).to_be_visible()
    operation.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    # The call goes out with the session cookie and comes back as JSON.
    expect(page.locator(".live-responses-table tbody .response-col_status").first).to_have_text(
        "200"
    )
    page.wait_for_load_state("networkidle")
    assert _violations(console) == []
