"""The one publishing point: subscribers inside the verb's transaction or after its commit."""

import pytest
from django.db import transaction

from helpline.tickets import actions, events
from helpline.tickets.models import EventKind, Message, TicketEvent


@pytest.mark.django_db(transaction=True)
class TestSubscribers:
    def test_a_durable_subscriber_runs_inside_the_verb_and_rolls_back_with_it(self, ticket, carol):
        seen: list[tuple[str, bool]] = []

        def durable(event: TicketEvent) -> None:
            seen.append((event.kind, transaction.get_connection().in_atomic_block))

        with events.subscribed(durable, kinds=[EventKind.NOTE], durable=True):
            actions.add_note(ticket=ticket, acting_user=carol, body="Checked the logs.")
            with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
                actions.add_note(ticket=ticket, acting_user=carol, body="Rolled back.")
                raise RuntimeError("the request failed")
        assert seen == [(EventKind.NOTE, True), (EventKind.NOTE, True)]
        assert list(
            Message.objects.filter(is_public=False).values_list("body_text", flat=True)
        ) == ["Checked the logs."]

    def test_an_on_commit_subscriber_hears_only_what_committed(self, ticket, carol):
        heard: list[str] = []

        def push(event: TicketEvent) -> None:
            heard.append(Message.objects.get(pk=event.data["message"]).body_text)

        with events.subscribed(push, kinds=[EventKind.NOTE]):
            with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
                actions.add_note(ticket=ticket, acting_user=carol, body="Rolled back.")
                raise RuntimeError("the request failed")
            with transaction.atomic():
                actions.add_note(ticket=ticket, acting_user=carol, body="Kept.")
                assert heard == []  # not before the commit
        assert heard == ["Kept."]

    def test_a_durable_subscriber_that_fails_stops_the_change(self, ticket, carol):
        def broken(event: TicketEvent) -> None:
            raise ValueError("the outbox is unwritable")

        with (
            events.subscribed(broken, kinds=[EventKind.REPLY], durable=True),
            pytest.raises(ValueError, match="unwritable"),
        ):
            actions.reply(ticket=ticket, acting_user=carol, body="Try this.")
        assert ticket.messages.count() == 1
        assert not ticket.events.filter(kind=EventKind.REPLY).exists()

    def test_a_failing_push_does_not_silence_the_others(self, ticket, carol):
        heard: list[TicketEvent] = []

        def broken(event: TicketEvent) -> None:
            raise ValueError("the browser went away")

        with (
            events.subscribed(broken, kinds=[EventKind.NOTE]),
            events.subscribed(heard.append, kinds=[EventKind.NOTE]),
        ):
            actions.add_note(ticket=ticket, acting_user=carol, body="Checked.")
        assert [event.kind for event in heard] == [EventKind.NOTE]
        assert ticket.messages.filter(is_public=False).count() == 1


@pytest.mark.django_db
class TestSubscriptions:
    def test_a_subscriber_hears_only_its_kinds(self, ticket, carol, tech_team):
        heard: list[TicketEvent] = []
        with events.subscribed(heard.append, kinds=[EventKind.PRIORITY], durable=True):
            actions.update_ticket(ticket=ticket, acting_user=carol, priority="high", tags=["vip"])
        assert [event.kind for event in heard] == [EventKind.PRIORITY]

    def test_subscribing_twice_delivers_once(self, ticket, carol):
        heard: list[TicketEvent] = []
        first = events.subscribe(heard.append, durable=True)
        second = events.subscribe(heard.append, durable=True)
        try:
            actions.add_note(ticket=ticket, acting_user=carol, body="Once.")
        finally:
            events.unsubscribe(first)
        assert first == second
        assert [event.kind for event in heard] == [EventKind.NOTE]

    def test_every_kind_is_published_when_none_is_named(self, ticket, carol):
        heard: list[TicketEvent] = []
        with events.subscribed(heard.append, durable=True):
            actions.update_ticket(ticket=ticket, acting_user=carol, priority="high")
            actions.add_note(ticket=ticket, acting_user=carol, body="Noted.")
        assert [event.kind for event in heard] == [EventKind.PRIORITY, EventKind.NOTE]
        assert all(event.pk for event in heard)  # stored before anyone hears of it
