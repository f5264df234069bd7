"""The administrators' Outgoing mail page: what customers receive, shown safely."""

import pytest
from django.test import Client

from helpline.mail.models import Mailbox, OutboundEmail, OutboundState
from helpline.mail.sending import send
from helpline.tickets import actions

HOSTILE = (
    '<p style="color:#123456">Hello <b>Dana</b></p>'
    "<script>document.title='owned'</script>"
    '<img src="x" onerror="document.title=\'owned\'">'
    '<a href="javascript:alert(1)">click</a><iframe src="https://evil.example"></iframe>'
)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mailbox(tech_team) -> Mailbox:
    return Mailbox.objects.create(
        address="support@helpline.example", display_name="Acme Support", team=tech_team
    )


@pytest.fixture
def outbound(mailbox, ticket, carol) -> OutboundEmail:
    actions.reply(ticket=ticket, acting_user=carol, body="Please restart the printer.")
    return OutboundEmail.objects.get()


@pytest.mark.django_db
class TestOutgoingMailPage:
    def test_an_admin_sees_each_mail_with_recipients_and_state(self, alice, outbound):
        page = signed_in(alice).get("/mail/outgoing/").content.decode()
        assert "dana@northwind.example" in page
        assert f"Re: Printer on fire [#{outbound.ticket.number}]" in page
        assert "Queued" in page
        assert f"/mail/outgoing/{outbound.pk}/" in page

    def test_the_detail_shows_headers_text_and_a_sandboxed_frame(self, alice, outbound):
        page = signed_in(alice).get(f"/mail/outgoing/{outbound.pk}/").content.decode()
        assert "<th>From</th><td>Acme Support &lt;support@helpline.example&gt;</td>" in page
        assert f"<th>Message-ID</th><td>&lt;{outbound.rfc_message_id}&gt;</td>" in page
        assert "<th>In-Reply-To</th>" not in page  # the ticket was not started by mail
        assert "Please restart the printer." in page
        assert (
            f'<iframe class="mail-html" title="The mail\'s HTML" sandbox src="/mail/outgoing/{outbound.pk}/html">'
            in page
        )

    def test_a_mail_that_was_not_emailed_says_why(self, alice, ticket, carol):
        actions.reply(ticket=ticket, acting_user=carol, body="Answer")
        outbound = OutboundEmail.objects.get()
        page = signed_in(alice).get(f"/mail/outgoing/{outbound.pk}/").content.decode()
        assert "Not emailed: no active mailbox" in page
        assert "<th>Message-ID</th>" not in page

    @pytest.mark.parametrize("who", ["bob", "carol", "lee"])
    def test_agents_who_are_not_admins_get_404_everywhere(self, who, request, alice, outbound):
        client = signed_in(request.getfixturevalue(who))
        for url in [
            "/mail/outgoing/",
            f"/mail/outgoing/{outbound.pk}/",
            f"/mail/outgoing/{outbound.pk}/html",
        ]:
            response = client.get(url)
            assert response.status_code == 404, url
            assert b"restart the printer" not in response.content
        assert signed_in(alice).get(f"/mail/outgoing/{outbound.pk}/html").status_code == 200

    def test_someone_signed_out_is_sent_to_sign_in_and_sees_nothing(self, outbound):
        for url in [
            "/mail/outgoing/",
            f"/mail/outgoing/{outbound.pk}/",
            f"/mail/outgoing/{outbound.pk}/html",
        ]:
            response = Client().get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/login/")
            assert b"restart the printer" not in response.content

    def test_only_admins_see_the_link_to_it(self, alice, carol):
        assert "/mail/outgoing/" in signed_in(alice).get("/").content.decode()
        assert "/mail/outgoing/" not in signed_in(carol).get("/").content.decode()

    def test_it_filters_by_delivery_state(self, alice, outbound, ticket, carol):
        OutboundEmail.objects.filter(pk=outbound.pk).update(state=OutboundState.SENT)
        Mailbox.objects.all().delete()
        actions.reply(ticket=ticket, acting_user=carol, body="Second")
        page = signed_in(alice).get("/mail/outgoing/?state=not_emailed").content.decode()
        assert page.count('<td class="delivery not_emailed">Not emailed</td>') == 1
        assert '<td class="delivery sent">' not in page


@pytest.mark.django_db
class TestHostileHtml:
    """The HTML of a mail is shown in a frame that can run no script, whatever it holds."""

    @pytest.fixture
    def hostile(self, outbound) -> OutboundEmail:
        OutboundEmail.objects.filter(pk=outbound.pk).update(body_html=HOSTILE)
        return OutboundEmail.objects.get()

    def test_the_frame_is_sanitised_and_served_under_a_sandboxing_policy(self, alice, hostile):
        response = signed_in(alice).get(f"/mail/outgoing/{hostile.pk}/html")
        html = response.content.decode()
        assert '<p style="color:#123456">Hello <b>Dana</b></p>' in html
        assert "<script" not in html
        assert "onerror" not in html
        assert "javascript:" not in html
        assert "<iframe" not in html
        policy = response["Content-Security-Policy"]
        assert policy.startswith("sandbox;")
        assert "allow-scripts" not in policy
        assert "default-src 'none'" in policy
        assert "script-src" not in policy  # so default-src 'none' forbids every script
        assert response["X-Frame-Options"] == "SAMEORIGIN"

    def test_the_page_shows_the_source_escaped_and_frames_it_without_scripts(self, alice, hostile):
        page = signed_in(alice).get(f"/mail/outgoing/{hostile.pk}/").content.decode()
        assert "&lt;script&gt;document.title=&#x27;owned&#x27;&lt;/script&gt;" in page
        assert "<script" not in page
        assert "onerror=" not in page.replace("onerror=&quot;", "")
        assert " sandbox src=" in page
        assert "allow-scripts" not in page


@pytest.mark.django_db
class TestKeptMail:
    """HELPLINE_MAIL_DELIVERY=keep (the demo): mail is stored, never sent anywhere."""

    def test_it_is_marked_kept_without_any_connection(self, settings, outbound):
        settings.HELPLINE_MAIL_DELIVERY = "keep"
        # Port 1 refuses connections: a send attempt would come back queued with an error.
        settings.MAILERS = {
            "default": {"BACKEND": "x", "OPTIONS": {"host": "127.0.0.1", "port": 1}}
        }
        assert send(outbound.pk) == OutboundState.KEPT
        outbound.refresh_from_db()
        assert outbound.sent_at is not None
        assert outbound.server_response == "kept in Helpline (HELPLINE_MAIL_DELIVERY=keep)"
        assert outbound.last_error == ""
        assert send(outbound.pk) is None  # kept once; nothing is due any more

    def test_without_keep_the_same_mail_tries_the_server(self, settings, outbound):
        settings.MAILERS = {
            "default": {"BACKEND": "x", "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 1}}
        }
        assert send(outbound.pk) == OutboundState.QUEUED
        outbound.refresh_from_db()
        assert "ConnectionRefusedError" in outbound.last_error

    def test_the_ticket_page_and_outgoing_page_say_it_was_kept(self, settings, alice, outbound):
        settings.HELPLINE_MAIL_DELIVERY = "keep"
        send(outbound.pk)
        ticket_page = signed_in(alice).get(f"/tickets/{outbound.ticket.number}/").content.decode()
        assert (
            "Mail to dana@northwind.example: Kept in Helpline (not sent: HELPLINE_MAIL_DELIVERY=keep)"
            in ticket_page
        )
        detail = signed_in(alice).get(f"/mail/outgoing/{outbound.pk}/").content.decode()
        assert "server: kept in Helpline" in detail
