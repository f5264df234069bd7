"""Link rules hold when two agents link at the same moment (PostgreSQL, real threads)."""

from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from helpline.testing_threads import at_once, errors_in, postgres_only
from helpline.tickets import actions
from helpline.tickets.models import LinkKind, Ticket, TicketLink

ROUNDS = 10


def tickets(requester, count: int) -> list[Ticket]:
    return [
        actions.create_ticket(acting_user=None, requester=requester, subject=f"t{i}", body="b")
        for i in range(count)
    ]


def child(parent: Ticket, kid: Ticket, user) -> object:
    return actions.link(source=parent, target=kid, kind="child", acting_user=user)


def one_won(outcomes: list[object], refusal: str) -> TicketLink:
    """Exactly one call made its link; the other got the rule's own refusal."""
    made = [o for o in outcomes if isinstance(o, TicketLink)]
    refused = errors_in(outcomes)
    assert len(made) == 1, outcomes
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], ValidationError), repr(refused[0])
    assert refusal in str(refused[0])
    return made[0]


@postgres_only
@pytest.mark.django_db(transaction=True)
class TestConcurrentLinks:
    def test_it_lets_only_one_of_two_opposite_parent_links_through(self, dana, carol, alice):
        for _round in range(ROUNDS):
            a, b = tickets(dana, 2)
            won = one_won(
                at_once(partial(child, a, b, carol), partial(child, b, a, alice)), "own ancestor"
            )
            links = TicketLink.objects.filter(source__in=[a, b], kind=LinkKind.CHILD)
            assert list(links) == [won]

    def test_it_lets_only_one_of_two_parents_claim_a_child(self, dana, carol, alice):
        for _round in range(ROUNDS):
            first, second, kid = tickets(dana, 3)
            won = one_won(
                at_once(partial(child, first, kid, carol), partial(child, second, kid, alice)),
                "already has a parent",
            )
            assert list(TicketLink.objects.filter(target=kid)) == [won]

    def test_it_refuses_a_loop_closed_by_two_links_that_share_no_ticket(self, dana, carol, alice):
        # A → B and C → D exist; "B → C" and "D → A" are each fine alone, not together.
        for _round in range(ROUNDS):
            a, b, c, d = tickets(dana, 4)
            child(a, b, carol)
            child(c, d, carol)
            won = one_won(
                at_once(partial(child, b, c, carol), partial(child, d, a, alice)), "own ancestor"
            )
            assert TicketLink.objects.filter(kind=LinkKind.CHILD).filter(pk=won.pk).exists()
            assert TicketLink.objects.filter(source__in=[a, b, c, d]).count() == 3

    def test_opposite_related_links_make_one_link(self, dana, carol, alice):
        for _round in range(ROUNDS):
            a, b = tickets(dana, 2)

            related = partial(actions.link, kind="related")
            one_won(
                at_once(
                    partial(related, source=a, target=b, acting_user=carol),
                    partial(related, source=b, target=a, acting_user=alice),
                ),
                "already linked",
            )


@pytest.mark.django_db
class TestOneParentConstraint:
    def test_the_database_refuses_a_second_parent(self, dana):
        first, second, kid = tickets(dana, 3)
        actions.link_system(source=first, target=kid, kind="child")
        # link_system skips the rule's check: the constraint alone must hold it.
        with pytest.raises(IntegrityError):
            actions.link_system(source=second, target=kid, kind="child")
        assert list(TicketLink.objects.filter(target=kid).values_list("source", flat=True)) == [
            first.pk
        ]

    def test_other_kinds_may_point_at_a_ticket_many_times(self, dana):
        first, second, kid = tickets(dana, 3)
        actions.link_system(source=first, target=kid, kind="child")
        actions.link_system(source=second, target=kid, kind="related")
        actions.link_system(source=second, target=kid, kind="duplicate")
        assert TicketLink.objects.filter(target=kid).count() == 3
