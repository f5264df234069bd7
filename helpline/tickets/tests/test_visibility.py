"""What `access.py` lets each agent see: tickets, attachments and links, worded from each side."""

import pytest
from django.http import Http404
from django.test import Client

from helpline.contacts.viewers import LinkHolder
from helpline.tickets import access, actions
from helpline.tickets.access import VisibleLink
from helpline.tickets.files import Upload
from helpline.tickets.models import Attachment, Ticket


def deactivate(user) -> None:
    user.is_active = False
    user.save()


@pytest.fixture
def own(eve, success_team) -> Ticket:
    """A Customer Success ticket: Bob's team."""
    return actions.create_ticket(
        acting_user=None, requester=eve, subject="Invoice wrong", body="Twice charged.",
        team=success_team,
    )  # fmt: skip


@pytest.mark.django_db
class TestInactiveAgents:
    @pytest.mark.parametrize("who", ["alice", "bob", "carol"])
    def test_it_shows_a_deactivated_agent_nothing(self, request, who, ticket, own):
        user = request.getfixturevalue(who)
        visible = {"alice": {ticket, own}, "bob": {own}, "carol": {ticket, own}}[who]
        assert set(access.tickets_for(user)) == visible  # while active
        deactivate(user)
        assert list(access.tickets_for(user)) == []
        with pytest.raises(Http404):
            access.ticket_for(user, own.number)

    def test_it_hides_a_deactivated_agents_attachments(self, carol, ticket, dana):
        actions.reply(
            ticket=ticket, author_contact=dana, body="Log", attachments=[Upload("a.log", b"x")]
        )
        attachment = Attachment.objects.get()
        assert access.attachment_for(carol, attachment.pk) == attachment
        deactivate(carol)
        with pytest.raises(Http404):
            access.attachment_for(carol, attachment.pk)


LABELS = {
    # kind: (as the source reads it, as the target reads it)
    "child": ("Parent of", "Child of"),
    "duplicate": ("Duplicate of", "Has duplicate"),
    "related": ("Related to", "Related to"),
}


@pytest.mark.django_db
class TestLinkWording:
    @pytest.mark.parametrize("kind", LABELS)
    def test_it_words_a_link_from_both_sides(self, carol, ticket, own, kind):
        actions.link(source=ticket, target=own, kind=kind, acting_user=carol)
        [out] = access.visible_links(carol, ticket)
        [into] = access.visible_links(carol, own)
        assert out == VisibleLink(kind, "out", own.number, "Invoice wrong")
        assert into == VisibleLink(kind, "in", ticket.number, "Printer on fire")
        assert (out.label, into.label) == LABELS[kind]

    def test_the_ticket_page_shows_the_incoming_wording(self, carol, ticket, own):
        actions.link(source=ticket, target=own, kind="child", acting_user=carol)
        client = Client()
        client.force_login(carol)
        page = client.get(f"/tickets/{own.number}/").content.decode()
        assert f'Child of <a href="/tickets/{ticket.number}/">#{ticket.number} Printer on fire' in (
            page
        )
        parent_page = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert f'Parent of <a href="/tickets/{own.number}/">#{own.number} Invoice wrong' in (
            parent_page
        )

    def test_it_lists_only_the_links_the_agent_may_see(self, bob, carol, ticket, own, eve):
        team_mate = actions.create_ticket(
            acting_user=None, requester=eve, subject="Refund", body="r", team=own.team
        )
        actions.link(source=own, target=ticket, kind="related", acting_user=carol)
        actions.link(source=own, target=team_mate, kind="related", acting_user=carol)
        assert access.visible_links(bob, own) == [
            VisibleLink("related", "out", team_mate.number, "Refund")
        ]
        assert {link.ticket for link in access.visible_links(carol, own)} == {
            ticket.number,
            team_mate.number,
        }

    def test_customers_and_link_holders_see_no_links_even_between_their_tickets(
        self, carol, ticket, dana
    ):
        second = actions.create_ticket(
            acting_user=None, requester=dana, subject="Scanner too", body="s", team=ticket.team
        )
        actions.link(source=ticket, target=second, kind="related", acting_user=carol)
        assert access.visible_links(carol, ticket) == [
            VisibleLink("related", "out", second.number, "Scanner too")
        ]
        assert set(access.tickets_for(dana)) == {ticket, second}
        assert access.visible_links(dana, ticket) == []
        assert access.visible_links(LinkHolder(ticket.pk), ticket) == []


@pytest.mark.django_db
class TestNotFound:
    def test_a_hidden_attachment_reads_as_a_missing_one(self, api_as, bob, carol, ticket, dana):
        actions.reply(
            ticket=ticket, author_contact=dana, body="Log", attachments=[Upload("a.log", b"x")]
        )
        attachment = Attachment.objects.get()
        assert api_as(carol).get(f"/attachments/{attachment.pk}").status_code == 200
        for pk in (attachment.pk, attachment.pk + 1000):
            response = api_as(bob).get(f"/attachments/{pk}")
            assert (response.status_code, response.json()) == (
                404,
                {"detail": "No such attachment."},
            )

    def test_a_message_of_another_ticket_is_not_found_on_this_one(
        self, api_as, carol, ticket, own, eve
    ):
        second = actions.reply(ticket=own, author_contact=eve, body="More")
        wrong = api_as(carol).post(f"/tickets/{ticket.number}/messages/{second.pk}/split", {})
        assert (wrong.status_code, wrong.json()) == (
            404,
            {"detail": "No such message on this ticket."},
        )
        right = api_as(carol).post(f"/tickets/{own.number}/messages/{second.pk}/split", {})
        assert right.status_code == 201, right.content
