"""The row locks that make concurrent writers apply one after the other (PostgreSQL).

`_locked()` re-reads a ticket under `SELECT … FOR UPDATE`; `_lock_pair()` locks
two tickets in id order. SQLite serialises every write transaction, so only
PostgreSQL can show what goes wrong without them: lost updates, and deadlocks
between two opposite merges or moves.
"""

from functools import partial

import pytest
from django.core.exceptions import ValidationError

from helpline.testing_threads import at_once, errors_in, postgres_only
from helpline.tickets import actions
from helpline.tickets.models import EventKind, Message, Ticket

ROUNDS = 10


def tickets(requester, count: int) -> list[Ticket]:
    return [
        actions.create_ticket(acting_user=None, requester=requester, subject=f"t{i}", body="b")
        for i in range(count)
    ]


@postgres_only
@pytest.mark.django_db(transaction=True)
class TestRowLock:
    def test_it_loses_no_update_when_agents_change_one_ticket_at_once(self, ticket, carol):
        # Without the lock each writer saves the whole row it read: the last one wins.
        update = partial(actions.update_ticket, ticket=ticket, acting_user=carol)
        add_tags = partial(actions.add_tags, tickets=[ticket], acting_user=carol)
        for round_ in range(ROUNDS):
            outcomes = at_once(
                partial(update, subject=f"Subject {round_}"),
                partial(update, priority=["high", "low"][round_ % 2]),
                partial(add_tags, names=[f"a{round_}"]),
                partial(add_tags, names=[f"b{round_}"]),
            )
            assert errors_in(outcomes) == []
            fresh = Ticket.objects.get(pk=ticket.pk)
            assert fresh.subject == f"Subject {round_}"
            assert fresh.priority == ["high", "low"][round_ % 2]
            names = set(fresh.tags.values_list("name", flat=True))
            assert names == {f"{side}{r}" for side in "ab" for r in range(round_ + 1)}
        assert ticket.events.filter(kind=EventKind.TAGS).count() == 2 * ROUNDS


@postgres_only
@pytest.mark.django_db(transaction=True)
class TestLockOrder:
    def test_two_opposite_merges_end_in_one_merge_not_a_deadlock(self, dana, carol, alice):
        for _round in range(ROUNDS):
            a, b = tickets(dana, 2)
            outcomes = at_once(
                partial(actions.merge, source=a, target=b, acting_user=carol),
                partial(actions.merge, source=b, target=a, acting_user=alice),
            )
            merged = [o for o in outcomes if isinstance(o, Ticket)]
            refused = errors_in(outcomes)
            assert len(merged) == 1, outcomes
            assert len(refused) == 1, outcomes
            # The second merge waited for the first and then found its ticket closed.
            assert isinstance(refused[0], ValidationError), repr(refused[0])
            assert "closed" in str(refused[0])
            loser = a if merged[0].pk == b.pk else b
            assert Ticket.objects.get(pk=loser.pk).merged_into_id == merged[0].pk

    def test_two_opposite_moves_both_complete(self, dana, carol, alice):
        for _round in range(ROUNDS):
            a, b = tickets(dana, 2)
            from_a = actions.reply(ticket=a, author_contact=dana, body="for b")
            from_b = actions.reply(ticket=b, author_contact=dana, body="for a")
            outcomes = at_once(
                partial(actions.move_message, message=from_a, target=b, acting_user=carol),
                partial(actions.move_message, message=from_b, target=a, acting_user=alice),
            )
            assert errors_in(outcomes) == []
            assert Message.objects.get(pk=from_a.pk).ticket_id == b.pk
            assert Message.objects.get(pk=from_b.pk).ticket_id == a.pk
            assert a.events.filter(kind=EventKind.MESSAGE_MOVED_IN).count() == 1
            assert b.events.filter(kind=EventKind.MESSAGE_MOVED_IN).count() == 1
