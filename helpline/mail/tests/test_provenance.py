"""Why an emailed message is on its ticket, and its full original, as agents see them.

The email channel keeps this in its own rows and tells the ticket page and the API
through `tickets.sources`; the tickets core knows nothing of email."""

import pytest
from django.test import Client

from helpline.mail import actions
from helpline.mail.models import InboundEmail, Mailbox
from helpline.mail.tests.factories import raw_email


@pytest.fixture
def mailbox(tech_team) -> Mailbox:
    return Mailbox.objects.create(
        address="support@helpline.example", display_name="Support", team=tech_team
    )


def deliver(raw: bytes, mailbox: Mailbox) -> InboundEmail:
    received = actions.receive(raw=raw, via="test", mailbox=mailbox)
    return actions.process(inbound_id=received.inbound.pk)


@pytest.fixture
def thread(mailbox) -> InboundEmail:
    """Dana's ticket and her emailed reply, whose quoted history was cut for display."""
    deliver(raw_email(message_id="<a@client.example>"), mailbox)
    return deliver(
        raw_email(
            in_reply_to="<a@client.example>", subject="Re: Printer on fire",
            body="Still smoking.\n\nOn Mon, Support wrote:\n> It started smoking after the update.",
            html='<p>Still smoking.</p><blockquote>old</blockquote><img src=x onerror="alert(3)">'
            "<script>alert(4)</script>",
        ),
        mailbox,
    )  # fmt: skip


@pytest.mark.django_db
class TestProvenance:
    def test_the_ticket_page_says_why_and_keeps_the_full_original(self, carol, thread):
        client = Client()
        client.force_login(carol)
        page = client.get(f"/tickets/{thread.ticket.number}/").content.decode()
        assert "Placed by: In-Reply-To &lt;a@client.example&gt;" in page
        assert "Placed by: new: no known Message-ID" in page  # the first message too
        assert "Show the full original" in page
        assert "<blockquote>old</blockquote>" in page
        assert "<script>alert" not in page
        assert "onerror" not in page

    def test_the_api_gives_the_same(self, api_as, carol, thread):
        detail = api_as(carol).get(f"/tickets/{thread.ticket.number}").json()
        first, reply = detail["messages"]
        assert reply["body_text"] == "Still smoking."
        assert reply["placement"] == "In-Reply-To <a@client.example>"
        assert "> It started smoking after the update." in reply["full_text"]
        assert "<blockquote>old</blockquote>" in reply["full_html"]
        assert "onerror" not in reply["full_html"]
        assert (first["placement"], first["full_text"]) == (
            "new: no known Message-ID, reply token or ticket number",
            "",  # nothing was cut from it
        )

    def test_a_message_moved_elsewhere_keeps_its_story(self, carol, dana, thread, tech_team):
        from helpline.tickets import actions as tickets

        other = tickets.create_ticket(
            acting_user=None, requester=dana, subject="Invoice", body="Wrong.", team=tech_team
        )
        tickets.move_message(message=thread.ticket_message, target=other, acting_user=carol)
        client = Client()
        client.force_login(carol)
        page = client.get(f"/tickets/{other.number}/").content.decode()
        assert "Placed by: In-Reply-To &lt;a@client.example&gt;" in page

    def test_an_agents_message_has_no_email_story(self, api_as, carol, thread):
        sent = api_as(carol).post(f"/tickets/{thread.ticket.number}/replies", {"body": "Try this."})
        assert sent.status_code == 201
        assert (sent.json()["placement"], sent.json()["full_text"]) == ("", "")
