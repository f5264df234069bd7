from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from helpline.tickets import actions
from helpline.tickets.models import EventKind, Status, StatusCategory


def status(slug: str) -> Status:
    return Status.objects.get(slug=slug)


def kinds(ticket) -> list[str]:
    return list(ticket.events.values_list("kind", flat=True))


@pytest.mark.django_db
class TestCreate:
    def test_it_numbers_tickets_and_records_the_first_message(self, ticket, dana):
        assert ticket.number == 1001
        assert ticket.status.slug == "new"
        message = ticket.messages.get()
        assert message.author_contact == dana
        assert message.body_html == "<p>It started smoking after the update.</p>"
        assert (ticket.language, ticket.priority, ticket.channel) == ("", "normal", "email")
        assert kinds(ticket) == [EventKind.CREATED]

    @pytest.mark.parametrize("by", ["agent", "requester"])
    def test_it_credits_the_first_message_to_whom_the_agent_says(self, dana, carol, by):
        created = actions.create_ticket(
            acting_user=carol, requester=dana, subject="Phoned in", body="Dana called.",
            message_author=by,
        )  # fmt: skip
        message = created.messages.get()
        event = created.events.get(kind=EventKind.CREATED)
        if by == "agent":
            assert (message.author_user, message.author_contact) == (carol, None)
            assert (event.actor_user, event.actor_contact) == (carol, None)
        else:
            assert (message.author_user, message.author_contact) == (None, dana)
            assert (event.actor_user, event.actor_contact) == (carol, dana)

    def test_without_an_acting_agent_the_requester_wrote_it(self, dana):
        created = actions.create_ticket(
            acting_user=None, requester=dana, subject="S", body="B", message_author="agent"
        )
        message = created.messages.get()
        assert (message.author_user, message.author_contact) == (None, dana)

    def test_a_closed_ticket_refuses_changes_and_says_what_to_do(self, ticket, carol):
        actions.update_ticket(ticket=ticket, acting_user=carol, status=status("closed"))
        with pytest.raises(ValidationError) as refused:
            actions.update_ticket(ticket=ticket, acting_user=carol, priority="urgent")
        assert refused.value.message_dict == {
            "ticket": [f"#{ticket.number} is closed and cannot be changed; open a follow-up."]
        }
        ticket.refresh_from_db()
        assert (ticket.status.slug, ticket.priority) == ("closed", "normal")

    @pytest.mark.parametrize("field", ["priority", "type"])
    def test_it_names_the_field_of_an_unknown_choice(self, dana, field):
        choice: dict[str, Any] = {field: "bogus"}
        with pytest.raises(ValidationError) as refused:
            actions.create_ticket(acting_user=None, requester=dana, subject="S", body="B", **choice)
        assert list(refused.value.message_dict) == [field]
        assert refused.value.message_dict[field][0].startswith("'bogus' is not one of: ")

    def test_an_assigned_new_ticket_starts_open(self, dana, carol):
        created = actions.create_ticket(
            acting_user=carol, requester=dana, subject="Hi", body="Hello", assignee=carol
        )
        assert created.status.category == StatusCategory.OPEN

    def test_only_picking_up_a_new_ticket_opens_it(self, ticket, carol):
        actions.update_ticket(ticket=ticket, acting_user=carol, assignee=None, priority="high")
        ticket.refresh_from_db()
        assert ticket.status.category == StatusCategory.NEW  # nobody picked it up
        pending = Status.objects.default_for(StatusCategory.PENDING)
        actions.update_ticket(ticket=ticket, acting_user=carol, status=pending)
        actions.update_ticket(ticket=ticket, acting_user=carol, assignee=carol)
        ticket.refresh_from_db()
        assert ticket.status == pending  # assigning does not reopen a waiting ticket
        assert ticket.assignee == carol


@pytest.mark.django_db
class TestReplies:
    def test_an_agents_first_public_reply_sets_first_responded(self, ticket, carol):
        with time_machine.travel("2026-01-05 10:00Z", tick=False):
            actions.reply(ticket=ticket, acting_user=carol, body="On it.")
        ticket.refresh_from_db()
        assert ticket.first_responded_at.isoformat() == "2026-01-05T10:00:00+00:00"
        assert ticket.status.slug == "open"
        with time_machine.travel("2026-01-06 10:00Z", tick=False):
            actions.reply(ticket=ticket, acting_user=carol, body="Still on it.")
        ticket.refresh_from_db()
        assert ticket.first_responded_at.isoformat() == "2026-01-05T10:00:00+00:00"

    def test_a_note_is_not_a_first_response(self, ticket, carol):
        actions.add_note(ticket=ticket, acting_user=carol, body="Internal")
        ticket.refresh_from_db()
        assert ticket.first_responded_at is None
        assert ticket.messages.filter(is_public=False).count() == 1

    def test_a_system_note_is_internal_and_written_by_nobody(self, ticket, carol):
        note = actions.add_system_note(ticket=ticket, body="Delivery failed.")
        assert (note.is_public, note.channel) == (False, "email")
        assert (note.author_kind, note.author_user, note.author_contact) == ("system", None, None)
        event = ticket.events.get(kind=EventKind.NOTE)
        assert (event.actor_user, event.actor_contact) == (None, None)
        assert event.data == {"message": note.pk}
        agents = actions.add_note(ticket=ticket, acting_user=carol, body="Checked.")
        assert (agents.author_kind, agents.author_user) == ("agent", carol)

    @pytest.mark.parametrize("slug", ["pending", "solved"])
    def test_a_customer_reply_reopens(self, ticket, carol, dana, slug):
        actions.reply(ticket=ticket, acting_user=carol, body="Try this", status=status(slug))
        actions.reply(ticket=ticket, author_contact=dana, body="Did not help")
        ticket.refresh_from_db()
        assert ticket.status.slug == "open"
        assert ticket.solved_at is None
        assert kinds(ticket)[-3:] == [EventKind.REPLY, EventKind.STATUS, EventKind.REOPENED]

    def test_a_customer_reply_to_a_closed_ticket_opens_a_linked_follow_up(
        self, ticket, carol, dana
    ):
        actions.update_ticket(ticket=ticket, acting_user=carol, status=status("closed"))
        message = actions.reply(ticket=ticket, author_contact=dana, body="It is back")
        ticket.refresh_from_db()
        assert ticket.status.slug == "closed"
        follow_up = message.ticket
        assert follow_up.pk != ticket.pk
        assert follow_up.subject == "Re: Printer on fire"
        assert follow_up.links_out.get().target == ticket

    def test_a_reply_needs_exactly_one_author(self, ticket, carol, dana):
        with pytest.raises(ValueError, match="exactly one author"):
            actions.reply(ticket=ticket, acting_user=carol, author_contact=dana, body="x")


@pytest.mark.django_db
class TestAutoClose:
    def test_it_closes_tickets_solved_longer_ago_than_the_setting(self, ticket, carol, settings):
        settings.HELPLINE_AUTOCLOSE_DAYS = 4
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            actions.update_ticket(ticket=ticket, acting_user=carol, status=status("solved"))
        with time_machine.travel(start + timedelta(days=3, hours=23), tick=False):
            assert actions.close_solved_tickets() == 0
        with time_machine.travel(start + timedelta(days=4, minutes=1), tick=False):
            assert actions.close_solved_tickets() == 1
            assert actions.close_solved_tickets() == 0
        ticket.refresh_from_db()
        assert ticket.status.slug == "closed"
        assert kinds(ticket)[-2:] == [EventKind.STATUS, EventKind.AUTO_CLOSED]

    def test_a_reopened_ticket_is_not_closed(self, ticket, carol, dana):
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            actions.update_ticket(ticket=ticket, acting_user=carol, status=status("solved"))
            actions.reply(ticket=ticket, author_contact=dana, body="Not fixed")
        with time_machine.travel(start + timedelta(days=10), tick=False):
            assert actions.close_solved_tickets() == 0
