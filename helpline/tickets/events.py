"""Timeline events: one tiny function per kind of change, called from actions."""

from typing import Any

from helpline.accounts.models import User
from helpline.contacts.models import Contact
from helpline.lib import clock
from helpline.tickets.models import EventKind, Ticket, TicketEvent


def record(
    ticket: Ticket,
    event_kind: EventKind,
    /,
    *,
    user: User | None = None,
    contact: Contact | None = None,
    **data: Any,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=event_kind, actor_user=user, actor_contact=contact, data=data,
        created_at=clock.now(),
    )  # fmt: skip


def changed(
    ticket: Ticket, kind: EventKind, *, user: User | None, old: Any, new: Any
) -> TicketEvent:
    return record(ticket, kind, user=user, old=old, new=new)


def ticket_created(ticket: Ticket, *, user: User | None, contact: Contact | None) -> TicketEvent:
    return record(
        ticket, EventKind.CREATED, user=user, contact=contact,
        channel=ticket.channel, status=ticket.status.slug, priority=ticket.priority,
    )  # fmt: skip
