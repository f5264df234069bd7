"""Every reply has an outgoing route, or says plainly why it was not emailed."""

import pytest
from django.test import Client

from helpline.mail import actions as mail_actions
from helpline.mail.models import Mailbox, OutboundEmail, OutboundState
from helpline.mail.outbox import NO_ACTIVE_MAILBOX, NO_ADDRESS, NO_DEFAULT_MAILBOX, route_for
from helpline.mail.tests.factories import raw_email
from helpline.tickets import actions
from helpline.tickets.models import Ticket


def mailbox(address: str, **extra) -> Mailbox:
    return Mailbox.objects.create(address=address, display_name=address.split("@")[0], **extra)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
class TestRoute:
    def test_it_prefers_the_mailbox_the_conversation_came_through(self, tech_team):
        mailbox("billing@helpline.example", team=tech_team)
        came_in = mailbox("sales@helpline.example")
        received = mail_actions.receive(
            raw=raw_email(to="sales@helpline.example"), via="test", mailbox=came_in
        )
        ticket = mail_actions.process(inbound_id=received.inbound.pk).ticket
        assert ticket is not None
        assert route_for(ticket).mailbox == came_in

    def test_an_inactive_mailbox_never_sends_even_for_its_own_conversation(self, tech_team):
        old = mailbox("old@helpline.example", team=tech_team)
        received = mail_actions.receive(raw=raw_email(), via="test", mailbox=old)
        ticket = mail_actions.process(inbound_id=received.inbound.pk).ticket
        assert ticket is not None
        assert route_for(ticket).mailbox == old
        team_box = mailbox("tech@helpline.example", team=tech_team)
        Mailbox.objects.filter(pk=old.pk).update(is_active=False)
        assert route_for(ticket).mailbox == team_box

    def test_a_ticket_whose_team_has_no_mailbox_goes_through_the_default(self, ticket, tech_team):
        # "a…" sorts first: the old rule ("the first active mailbox") picked it.
        mailbox("a-sales@helpline.example")
        default = mailbox("support@helpline.example", is_default=True)
        assert ticket.team == tech_team
        assert route_for(ticket).mailbox == default

    def test_the_teams_own_mailbox_wins_over_the_default(self, ticket, tech_team):
        mailbox("support@helpline.example", is_default=True)
        team_box = mailbox("tech@helpline.example", team=tech_team)
        assert route_for(ticket).mailbox == team_box

    def test_a_single_active_mailbox_is_the_default_without_marking_it(self, ticket):
        only = mailbox("support@helpline.example")
        mailbox("closed@helpline.example", is_active=False)
        assert route_for(ticket).mailbox == only

    def test_several_mailboxes_and_no_default_is_no_route_with_its_reason(self, ticket):
        mailbox("sales@helpline.example")
        mailbox("billing@helpline.example")
        assert (route_for(ticket).mailbox, route_for(ticket).reason) == (None, NO_DEFAULT_MAILBOX)

    def test_no_active_mailbox_is_no_route(self, ticket):
        mailbox("old@helpline.example", is_active=False, is_default=True)
        assert (route_for(ticket).mailbox, route_for(ticket).reason) == (None, NO_ACTIVE_MAILBOX)

    def test_only_one_mailbox_can_be_the_default(self, db):
        from django.db import IntegrityError, transaction

        mailbox("support@helpline.example", is_default=True)
        with pytest.raises(IntegrityError), transaction.atomic():
            mailbox("sales@helpline.example", is_default=True)
        assert Mailbox.objects.filter(is_default=True).count() == 1


@pytest.mark.django_db
class TestNotEmailed:
    def test_an_api_reply_without_a_mailbox_says_not_emailed(self, api_as, carol, ticket):
        response = api_as(carol).post(f"/tickets/{ticket.number}/replies", {"body": "Fixed."})
        assert response.status_code == 201
        assert response.json()["emails"] == [
            {
                "state": "not_emailed",
                "summary": "not emailed: no active mailbox",
                "to": ["dana@northwind.example"],
                "cc": [],
            }
        ]
        row = OutboundEmail.objects.get()
        assert (row.state, row.last_error, row.mailbox) == ("not_emailed", NO_ACTIVE_MAILBOX, None)
        # Never handed to the sender, and not threaded on: it has no Message-ID of ours.
        assert not OutboundEmail.objects.due().exists()
        assert not ticket.mail_references.exists()

    def test_the_record_names_the_ccs_who_would_have_had_it(self, api_as, carol, eve, ticket):
        actions.set_ccs(ticket=ticket, contacts=[eve], acting_user=carol)
        response = api_as(carol).post(f"/tickets/{ticket.number}/replies", {"body": "Fixed."})
        (record,) = response.json()["emails"]
        assert (record["to"], record["cc"]) == (["dana@northwind.example"], ["eve@globex.example"])

    def test_an_api_reply_with_a_mailbox_says_queued(self, api_as, carol, ticket):
        mailbox("support@helpline.example")
        response = api_as(carol).post(f"/tickets/{ticket.number}/replies", {"body": "Fixed."})
        [email] = response.json()["emails"]
        assert email["state"] == "queued"
        assert email["summary"] == "emailed to dana@northwind.example: Queued"

    def test_a_requester_without_an_address_is_the_reason(self, carol, tech_team):
        from helpline.contacts.actions import create_contact

        caller = create_contact(name="Phone Caller", emails=[], acting_user=None)
        ticket = actions.create_ticket(
            acting_user=None, requester=caller, subject="Call", body="x", team=tech_team
        )
        mailbox("support@helpline.example")
        actions.reply(ticket=ticket, acting_user=carol, body="Called back.")
        assert OutboundEmail.objects.get().delivery_summary == f"not emailed: {NO_ADDRESS}"

    def test_the_ticket_page_says_not_emailed_and_offers_to_send_it(self, carol, ticket):
        actions.reply(ticket=ticket, acting_user=carol, body="Fixed.")
        page = signed_in(carol).get(f"/tickets/{ticket.number}/").content.decode()
        assert "Not emailed: no active mailbox" in page
        assert "Email it now" in page

    def test_a_light_agent_sees_the_reason_but_no_button(self, carol, lee, ticket):
        actions.reply(ticket=ticket, acting_user=carol, body="Fixed.")
        page = signed_in(lee).get(f"/tickets/{ticket.number}/").content.decode()
        assert "Not emailed: no active mailbox" in page
        assert "Email it now" not in page


def reply_not_emailed(ticket: Ticket, carol):
    message = actions.reply(ticket=ticket, acting_user=carol, body="Fixed.")
    assert OutboundEmail.objects.get().state == OutboundState.NOT_EMAILED
    return message


@pytest.mark.django_db
class TestEmailItNow:
    def test_once_a_mailbox_exists_the_api_sends_it(self, api_as, carol, ticket):
        message = reply_not_emailed(ticket, carol)
        mailbox("support@helpline.example")
        url = f"/tickets/{ticket.number}/messages/{message.pk}/email"
        response = api_as(carol).post(url)
        assert response.status_code == 200
        assert [e["state"] for e in response.json()["emails"]] == ["queued"]
        outbound = OutboundEmail.objects.get()
        assert outbound.rfc_message_id.endswith("@helpline.example")
        assert "Fixed." in outbound.body_text
        assert ticket.mail_references.filter(message_id=outbound.rfc_message_id).exists()
        # Twice is refused: one reply, one mail.
        again = api_as(carol).post(url)
        assert again.status_code == 422
        assert again.json()["detail"][0]["msg"] == "This reply is not waiting to be emailed."
        assert OutboundEmail.objects.count() == 1

    def test_without_a_route_it_is_refused_and_the_record_stays(self, api_as, carol, ticket):
        message = reply_not_emailed(ticket, carol)
        before = OutboundEmail.objects.get()
        response = api_as(carol).post(f"/tickets/{ticket.number}/messages/{message.pk}/email")
        assert response.status_code == 422
        assert response.json()["detail"][0]["msg"] == "Still not emailed: no active mailbox."
        assert list(OutboundEmail.objects.values_list("pk", "state")) == [
            (before.pk, "not_emailed")
        ]

    def test_an_agent_who_cannot_see_the_ticket_gets_404_and_nothing_is_sent(
        self, api_as, bob, carol, ticket
    ):
        message = reply_not_emailed(ticket, carol)
        mailbox("support@helpline.example")
        response = api_as(bob).post(f"/tickets/{ticket.number}/messages/{message.pk}/email")
        assert response.status_code == 404
        assert OutboundEmail.objects.get().state == OutboundState.NOT_EMAILED
        assert (
            api_as(carol).post(f"/tickets/{ticket.number}/messages/{message.pk}/email").status_code
            == 200
        )

    def test_a_light_agent_gets_403_and_nothing_is_sent(self, api_as, lee, carol, ticket):
        message = reply_not_emailed(ticket, carol)
        mailbox("support@helpline.example")
        response = api_as(lee).post(f"/tickets/{ticket.number}/messages/{message.pk}/email")
        assert response.status_code == 403
        assert OutboundEmail.objects.get().state == OutboundState.NOT_EMAILED

    def test_the_ticket_pages_button_sends_it(self, carol, ticket):
        message = reply_not_emailed(ticket, carol)
        mailbox("support@helpline.example")
        response = signed_in(carol).post(
            f"/tickets/{ticket.number}/messages/{message.pk}/email", follow=True
        )
        page = response.content.decode()
        assert "The reply was queued to dana@northwind.example." in page
        assert "Emailed to dana@northwind.example: Queued" in page
        assert "Email it now" not in page
        assert OutboundEmail.objects.get().state == OutboundState.QUEUED

    def test_the_button_without_a_route_says_why(self, carol, ticket):
        message = reply_not_emailed(ticket, carol)
        response = signed_in(carol).post(
            f"/tickets/{ticket.number}/messages/{message.pk}/email", follow=True
        )
        assert "Still not emailed: no active mailbox." in response.content.decode()
        assert OutboundEmail.objects.get().state == OutboundState.NOT_EMAILED

    def test_the_button_is_404_for_a_ticket_the_agent_cannot_see(self, bob, carol, ticket):
        message = reply_not_emailed(ticket, carol)
        mailbox("support@helpline.example")
        url = f"/tickets/{ticket.number}/messages/{message.pk}/email"
        assert signed_in(bob).post(url).status_code == 404
        assert OutboundEmail.objects.get().state == OutboundState.NOT_EMAILED
