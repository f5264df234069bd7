from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from helpline.tickets import actions
from helpline.tickets.models import EventKind, LinkKind, Ticket, TicketLink


@pytest.fixture
def other(eve, tech_team):
    return actions.create_ticket(
        acting_user=None, requester=eve, subject="Same fire", body="Mine too.", team=tech_team
    )


@pytest.mark.django_db
class TestMerge:
    def test_it_moves_messages_and_requesters_and_closes_the_source(
        self, ticket, other, carol, dana
    ):
        actions.merge(source=ticket, target=other, acting_user=carol)
        ticket.refresh_from_db()
        other.refresh_from_db()
        assert ticket.status.slug == "closed"
        assert ticket.merged_into == other
        assert ticket.messages.count() == 0
        assert [m.body_text for m in other.messages.all()] == [
            "It started smoking after the update.",
            "Mine too.",
        ]
        assert list(other.ccs.all()) == [dana]
        merged_into = ticket.events.get(kind=EventKind.MERGED_INTO)
        assert merged_into.data == {"ticket": other.number, "messages": 1}
        assert other.events.get(kind=EventKind.MERGED_FROM).data == {
            "ticket": ticket.number,
            "messages": 1,
        }

    def test_it_refuses_a_merge_into_itself_or_a_closed_ticket(self, ticket, other, carol):
        with pytest.raises(ValidationError, match="itself"):
            actions.merge(source=ticket, target=ticket, acting_user=carol)
        actions.merge(source=other, target=ticket, acting_user=carol)
        with pytest.raises(ValidationError, match="closed"):
            actions.merge(source=ticket, target=other, acting_user=carol)


@pytest.mark.django_db
class TestSplit:
    def test_it_turns_a_message_into_a_linked_ticket(self, ticket, carol, dana):
        later = actions.reply(ticket=ticket, author_contact=dana, body="Unrelated: my invoice")
        new = actions.split(message=later, acting_user=carol)
        assert list(new.messages.all()) == [later]
        assert new.requester == dana
        assert ticket.messages.count() == 1
        assert TicketLink.objects.filter(source=ticket, target=new, kind=LinkKind.RELATED).exists()
        assert ticket.events.filter(kind=EventKind.SPLIT_TO).get().data["ticket"] == new.number
        assert new.events.filter(kind=EventKind.SPLIT_FROM).get().data["ticket"] == ticket.number

    def test_a_message_from_someone_else_becomes_their_ticket(self, ticket, carol, dana, eve):
        ticket.ccs.add(eve)
        from_eve = actions.reply(ticket=ticket, author_contact=eve, body="Also: my own order")
        new = actions.split(message=from_eve, acting_user=carol)
        assert new.requester == eve
        ticket.refresh_from_db()
        assert ticket.requester == dana

    def test_an_agents_message_stays_with_the_requester(self, ticket, carol, dana):
        answer = actions.reply(ticket=ticket, acting_user=carol, body="Which order do you mean?")
        new = actions.split(message=answer, acting_user=carol)
        assert new.requester == dana
        assert list(new.messages.all()) == [answer]

    def test_it_refuses_to_split_the_only_message(self, ticket, carol):
        with pytest.raises(ValidationError, match="only message"):
            actions.split(message=ticket.messages.get(), acting_user=carol)


@pytest.mark.django_db
class TestMove:
    def test_it_refuses_to_move_a_message_to_the_ticket_it_is_on(self, ticket, other, carol, dana):
        later = actions.reply(ticket=ticket, author_contact=dana, body="Another thing")
        with pytest.raises(ValidationError) as refused:
            actions.move_message(message=later, target=ticket, acting_user=carol)
        assert refused.value.message_dict == {"to": ["The message is already on this ticket."]}
        assert actions.move_message(message=later, target=other, acting_user=carol).ticket == other


@pytest.mark.django_db
class TestLinks:
    def test_it_records_a_link_on_both_timelines(self, ticket, other, carol):
        actions.link(source=ticket, target=other, kind="duplicate", acting_user=carol)
        assert ticket.events.get(kind=EventKind.LINKED).data == {
            "kind": "duplicate",
            "ticket": other.number,
            "direction": "out",
        }
        assert other.events.get(kind=EventKind.LINKED).data["direction"] == "in"

    def test_it_refuses_cycles_and_second_parents(self, ticket, other, carol, dana):
        third = actions.create_ticket(acting_user=None, requester=dana, subject="c", body="c")
        actions.link(source=ticket, target=other, kind="child", acting_user=carol)
        actions.link(source=other, target=third, kind="child", acting_user=carol)
        with pytest.raises(ValidationError, match="ancestor"):
            actions.link(source=third, target=ticket, kind="child", acting_user=carol)
        with pytest.raises(ValidationError, match="already has a parent"):
            actions.link(source=ticket, target=third, kind="child", acting_user=carol)

    def test_it_names_the_tickets_in_its_refusals(self, ticket, other, carol, dana):
        third = actions.create_ticket(acting_user=None, requester=dana, subject="c", body="c")
        actions.link(source=ticket, target=other, kind="child", acting_user=carol)
        assert [link.source for link in other.links_in.all()] == [ticket]
        with pytest.raises(ValidationError) as again:
            actions.link(source=ticket, target=other, kind="child", acting_user=carol)
        assert again.value.message_dict == {
            "target": [f"#{ticket.number} and #{other.number} are already linked."]
        }
        with pytest.raises(ValidationError) as second_parent:
            actions.link(source=third, target=other, kind="child", acting_user=carol)
        assert second_parent.value.message_dict == {
            "target": [f"#{other.number} already has a parent."]
        }

    def test_a_link_only_the_constraint_refuses_gets_the_rules_refusal(
        self, ticket, other, carol, dana, monkeypatch
    ):
        # As when a concurrent link slips past the first check (test_link_races.py, PostgreSQL).
        third = actions.create_ticket(acting_user=None, requester=dana, subject="c", body="c")
        actions.link(source=ticket, target=other, kind="child", acting_user=carol)
        check, calls = actions._check_link_allowed, []

        def first_check_misses(*args):
            calls.append(args)
            if len(calls) > 1:
                check(*args)

        monkeypatch.setattr(actions, "_check_link_allowed", first_check_misses)
        with pytest.raises(ValidationError) as refused:
            actions.link(source=third, target=other, kind="child", acting_user=carol)
        assert refused.value.message_dict == {"target": [f"#{other.number} already has a parent."]}
        assert len(calls) == 2
        assert [link.source for link in other.links_in.all()] == [ticket]

    def test_related_links_are_symmetric_for_duplicates(self, ticket, other, carol):
        actions.link(source=ticket, target=other, kind="related", acting_user=carol)
        with pytest.raises(ValidationError, match="already linked"):
            actions.link(source=other, target=ticket, kind="related", acting_user=carol)


@pytest.mark.django_db
class TestBothTicketsMoveUpTheList:
    """The list sorts by `updated_at`: a change between two tickets touches both."""

    @pytest.fixture
    def later(self, ticket, other):
        moment = ticket.updated_at + timedelta(hours=1)
        with time_machine.travel(moment, tick=False):
            yield moment

    def updated(self, *tickets: Ticket) -> list:
        return [Ticket.objects.get(pk=t.pk).updated_at for t in tickets]

    def test_a_merge_touches_both(self, ticket, other, carol, later):
        actions.merge(source=ticket, target=other, acting_user=carol)
        assert self.updated(ticket, other) == [later, later]

    @pytest.mark.parametrize("kind", ["related", "child", "duplicate"])
    def test_a_link_touches_both(self, ticket, other, carol, later, kind):
        actions.link(source=ticket, target=other, kind=kind, acting_user=carol)
        assert self.updated(ticket, other) == [later, later]

    def test_a_split_touches_the_source(self, ticket, carol, dana):
        message = actions.reply(ticket=ticket, author_contact=dana, body="Another thing")
        later = Ticket.objects.get(pk=ticket.pk).updated_at + timedelta(hours=1)
        with time_machine.travel(later, tick=False):
            new = actions.split(message=message, acting_user=carol)
        assert self.updated(ticket, new) == [later, later]
