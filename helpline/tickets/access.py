"""The only way to load tickets, messages and attachments for a viewer.

A viewer is an agent, a customer contact (portal, chat) or the holder of one
ticket's tracking link (`contacts.viewers`); every function here answers for
each. An object the viewer may not see is reported as missing (404), never as
forbidden: a 403 would confirm that ticket #1234 exists.

- Agents see tickets by team (admins and agents with `sees_all_tickets`: all),
  every message, note and link between tickets they may see.
- A customer sees the tickets they requested or are CC'd on, and their
  organisation's when it shares tickets; only public messages, and no links.
- A link holder sees that one ticket's public messages.
"""

from dataclasses import dataclass
from typing import Literal

from django.db.models import Q
from django.http import Http404

from helpline.accounts.access import check_can_edit
from helpline.accounts.models import User
from helpline.contacts.models import Contact
from helpline.contacts.viewers import LinkHolder, Viewer, is_agent
from helpline.tickets.models import (
    Attachment,
    EventKind,
    LinkKind,
    Message,
    MessageQuerySet,
    Ticket,
    TicketEvent,
    TicketQuerySet,
)


def tickets_for(viewer: Viewer) -> TicketQuerySet:
    tickets = Ticket.objects.all()
    if isinstance(viewer, User):
        return _agent_tickets(viewer, tickets)
    if isinstance(viewer, Contact):
        return _customer_tickets(viewer, tickets)
    if isinstance(viewer, LinkHolder):
        return tickets.filter(pk=viewer.ticket_id)
    return tickets.none()


def _agent_tickets(user: User, tickets: TicketQuerySet) -> TicketQuerySet:
    if not user.is_active:
        return tickets.none()
    if user.is_admin or user.sees_all_tickets:
        return tickets
    return tickets.filter(
        Q(team__isnull=True) | Q(team__members=user) | Q(assignee=user)
    ).distinct()


def _customer_tickets(contact: Contact, tickets: TicketQuerySet) -> TicketQuerySet:
    mine = Q(requester=contact) | Q(ccs=contact)
    organization = contact.organization
    if organization is not None and organization.shares_tickets:
        mine |= Q(requester__organization=organization)
    return tickets.filter(mine).distinct()


def sees_internals(viewer: Viewer) -> bool:
    """Internal notes, links between tickets and agents' addresses are for agents."""
    return is_agent(viewer)


def visible_ticket(viewer: Viewer, number: int) -> Ticket | None:
    return (
        tickets_for(viewer)
        .select_related("status", "requester", "assignee", "team", "merged_into")
        .filter(number=number)
        .first()
    )


def ticket_for(viewer: Viewer, number: int) -> Ticket:
    ticket = visible_ticket(viewer, number)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def ticket_for_edit(viewer: Viewer, number: int) -> Ticket:
    ticket = ticket_for(viewer, number)
    check_can_edit(viewer)
    return ticket


def messages_for(viewer: Viewer, ticket: Ticket) -> MessageQuerySet:
    """The ticket's conversation as this viewer may read it (call with a visible ticket)."""
    messages = ticket.messages.all()
    return messages if sees_internals(viewer) else messages.filter(is_public=True)


def attachment_for(viewer: Viewer, attachment_id: int) -> Attachment:
    attachments = Attachment.objects.select_related("blob", "message__ticket").filter(
        pk=attachment_id, message__ticket__in=tickets_for(viewer)
    )
    if not sees_internals(viewer):
        attachments = attachments.filter(message__is_public=True)
    attachment = attachments.first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def message_for(viewer: Viewer, ticket: Ticket, message_id: int) -> Message:
    """A message of a ticket already loaded for `viewer`."""
    message = messages_for(viewer, ticket).filter(pk=message_id).first()
    if message is None:
        raise Http404("No such message on this ticket.")
    return message


@dataclass(frozen=True)
class VisibleLink:
    """Named as the API's LinkOut, which serialises it as it is."""

    kind: str
    direction: Literal["out", "in"]  # "out": this ticket is the link's source
    ticket: int  # the other ticket's number
    subject: str

    @property
    def label(self) -> str:
        """How the link reads from this ticket's side."""
        if self.direction == "out":
            return LinkKind(self.kind).label
        return INCOMING_LABELS[LinkKind(self.kind)]


INCOMING_LABELS = {
    LinkKind.CHILD: "Child of",
    LinkKind.DUPLICATE: "Has duplicate",
    LinkKind.RELATED: "Related to",
}


def visible_links(viewer: Viewer, ticket: Ticket) -> list[VisibleLink]:
    """The ticket's links to tickets this viewer may see: a subject can be confidential.
    Customers see none: how agents group tickets is internal."""
    if not sees_internals(viewer):
        return []
    visible = tickets_for(viewer)
    out = ticket.links_out.filter(target__in=visible).select_related("target")
    into = ticket.links_in.filter(source__in=visible).select_related("source")
    return [
        VisibleLink(link.kind, "out", link.target.number, link.target.subject) for link in out
    ] + [VisibleLink(link.kind, "in", link.source.number, link.source.subject) for link in into]


# What a customer or link holder may follow of a ticket's history: its public side.
PUBLIC_EVENT_KINDS = frozenset(
    {
        EventKind.CREATED,
        EventKind.STATUS,
        EventKind.REPLY,
        EventKind.REOPENED,
        EventKind.AUTO_CLOSED,
    }
)


def visible_events(viewer: Viewer, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's timeline, naming only tickets this viewer may see.

    Merge, split, move and link events carry the other ticket's number as
    `data["ticket"]`. For a ticket the viewer cannot open, the event stays (the
    history is complete) but the number becomes `None` and `ticket_hidden`
    says so: like a 404, the timeline must not confirm that #1234 exists.
    Customers and link holders see only the public kinds.
    """
    events = ticket.events.select_related("actor_user", "actor_contact")
    if not sees_internals(viewer):
        events = events.filter(kind__in=PUBLIC_EVENT_KINDS)
    timeline = list(events)
    named = {event.data["ticket"] for event in timeline if "ticket" in event.data}
    seen = set(tickets_for(viewer).filter(number__in=named).values_list("number", flat=True))
    for event in timeline:
        if "ticket" in event.data and event.data["ticket"] not in seen:
            # Only this in-memory copy changes: TicketEvent.save() refuses an update.
            event.data = {**event.data, "ticket": None, "ticket_hidden": True}
    return timeline
