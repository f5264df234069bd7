"""The timeline names only tickets the reader may open; the rest stay as events without a number."""

from collections.abc import Callable

import pytest
from django.test import Client

from helpline.accounts.models import User
from helpline.contacts.models import Contact
from helpline.tickets import actions
from helpline.tickets.models import EventKind, Ticket


@pytest.fixture
def own(dana, success_team) -> Ticket:
    """A ticket of Bob's team."""
    return actions.create_ticket(
        acting_user=None, requester=dana, subject="Refund", body="Please refund.", team=success_team
    )


@pytest.fixture
def hidden(ticket) -> Ticket:
    """Technical Support's ticket: Bob gets 404 for it."""
    return ticket


def linked(own: Ticket, hidden: Ticket, carol: User, dana: Contact) -> Ticket:
    actions.link(source=hidden, target=own, kind="related", acting_user=carol)
    return own


def merged_from(own: Ticket, hidden: Ticket, carol: User, dana: Contact) -> Ticket:
    actions.merge(source=hidden, target=own, acting_user=carol)
    return own


def merged_into(own: Ticket, hidden: Ticket, carol: User, dana: Contact) -> Ticket:
    actions.merge(source=own, target=hidden, acting_user=carol)
    return own


def moved_in(own: Ticket, hidden: Ticket, carol: User, dana: Contact) -> Ticket:
    message = actions.reply(ticket=hidden, author_contact=dana, body="About my refund")
    actions.move_message(message=message, target=own, acting_user=carol)
    return own


def moved_out(own: Ticket, hidden: Ticket, carol: User, dana: Contact) -> Ticket:
    message = actions.reply(ticket=own, author_contact=dana, body="The printer again")
    actions.move_message(message=message, target=hidden, acting_user=carol)
    return own


def split_from(own: Ticket, hidden: Ticket, carol: User, dana: Contact) -> Ticket:
    message = actions.reply(ticket=hidden, author_contact=dana, body="Also: a refund")
    new = actions.split(message=message, acting_user=carol)
    return actions.update_ticket(ticket=new, acting_user=carol, team=own.team)


NAMING = {
    EventKind.LINKED: linked,
    EventKind.MERGED_FROM: merged_from,
    EventKind.MERGED_INTO: merged_into,
    EventKind.MESSAGE_MOVED_IN: moved_in,
    EventKind.MESSAGE_MOVED_OUT: moved_out,
    EventKind.SPLIT_FROM: split_from,
}


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(NAMING))
class TestTimelineNamesOnlyVisibleTickets:
    def make(self, kind: EventKind, own, hidden, carol, dana) -> Ticket:
        happened: Callable[..., Ticket] = NAMING[kind]
        return happened(own, hidden, carol, dana)

    def test_an_agent_of_another_team_sees_the_event_without_the_number(
        self, api_as, bob, carol, dana, own, hidden, kind
    ):
        seen = self.make(kind, own, hidden, carol, dana)
        assert api_as(bob).get(f"/tickets/{hidden.number}").status_code == 404
        response = api_as(bob).get(f"/tickets/{seen.number}/events")
        assert response.status_code == 200
        [event] = [e for e in response.json() if e["kind"] == kind]
        assert event["data"]["ticket"] is None
        assert event["data"]["ticket_hidden"] is True
        assert hidden.number not in event["data"].values()

    def test_an_agent_who_may_see_it_gets_the_number(self, api_as, carol, dana, own, hidden, kind):
        seen = self.make(kind, own, hidden, carol, dana)
        response = api_as(carol).get(f"/tickets/{seen.number}/events")
        [event] = [e for e in response.json() if e["kind"] == kind]
        assert event["data"]["ticket"] == hidden.number
        assert "ticket_hidden" not in event["data"]

    def test_the_ticket_page_says_a_ticket_you_cannot_see(
        self, bob, carol, dana, own, hidden, kind
    ):
        seen = self.make(kind, own, hidden, carol, dana)
        link = f'href="/tickets/{hidden.number}/"'
        bobs = signed_in(bob).get(f"/tickets/{seen.number}/").content.decode()
        assert "a ticket you cannot see" in bobs
        assert link not in bobs
        carols = signed_in(carol).get(f"/tickets/{seen.number}/").content.decode()
        assert link in carols
        assert "a ticket you cannot see" not in carols


@pytest.mark.django_db
def test_it_keeps_the_number_of_a_ticket_of_the_readers_own_team(api_as, bob, dana, own):
    sibling = actions.create_ticket(
        acting_user=None, requester=dana, subject="Sibling", body="b", team=own.team
    )
    actions.link(source=sibling, target=own, kind="related", acting_user=bob)
    [event] = [
        e for e in api_as(bob).get(f"/tickets/{own.number}/events").json() if e["kind"] == "linked"
    ]
    assert event["data"] == {"kind": "related", "ticket": sibling.number, "direction": "in"}
