"""The only way to load tickets, messages and attachments for a user.

An object the user may not see is reported as missing (404), never as
forbidden: a 403 would confirm that ticket #1234 exists.
"""

from dataclasses import dataclass
from typing import Literal

from django.db.models import Q
from django.http import Http404

from helpline.accounts.models import User
from helpline.tickets.models import (
    Attachment,
    LinkKind,
    Message,
    Ticket,
    TicketEvent,
    TicketQuerySet,
)


class NoPermission(Exception):
    """The user may see the ticket but not make this change (e.g. a light agent replying)."""


def tickets_for(user: User) -> TicketQuerySet:
    tickets = Ticket.objects.all()
    if not user.is_active:
        return tickets.none()
    if user.is_admin or user.sees_all_tickets:
        return tickets
    return tickets.filter(
        Q(team__isnull=True) | Q(team__members=user) | Q(assignee=user)
    ).distinct()


def visible_ticket(user: User, number: int) -> Ticket | None:
    return (
        tickets_for(user)
        .select_related("status", "requester", "assignee", "team", "merged_into")
        .filter(number=number)
        .first()
    )


def ticket_for(user: User, number: int) -> Ticket:
    ticket = visible_ticket(user, number)
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def ticket_for_edit(user: User, number: int) -> Ticket:
    ticket = ticket_for(user, number)
    check_can_edit(user)
    return ticket


def check_can_edit(user: User) -> None:
    if not user.can_edit_tickets:
        raise NoPermission("Light agents can read tickets and add internal notes only.")


def attachment_for(user: User, attachment_id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("blob", "message__ticket")
        .filter(pk=attachment_id, message__ticket__in=tickets_for(user))
        .first()
    )
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def message_for(ticket: Ticket, message_id: int) -> Message:
    message = ticket.messages.filter(pk=message_id).first()
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


def visible_links(user: User, ticket: Ticket) -> list[VisibleLink]:
    """The ticket's links to tickets this user may see: a subject can be confidential."""
    visible = tickets_for(user)
    out = ticket.links_out.filter(target__in=visible).select_related("target")
    into = ticket.links_in.filter(source__in=visible).select_related("source")
    return [
        VisibleLink(link.kind, "out", link.target.number, link.target.subject) for link in out
    ] + [VisibleLink(link.kind, "in", link.source.number, link.source.subject) for link in into]


def visible_events(user: User, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's timeline, naming only tickets this user may see.

    Merge, split, move and link events carry the other ticket's number as
    `data["ticket"]`. For a ticket the user cannot open, the event stays (the
    history is complete) but the number becomes `None` and `ticket_hidden`
    says so: like a 404, the timeline must not confirm that #1234 exists.
    """
    timeline = list(ticket.events.select_related("actor_user", "actor_contact"))
    named = {event.data["ticket"] for event in timeline if "ticket" in event.data}
    seen = set(tickets_for(user).filter(number__in=named).values_list("number", flat=True))
    for event in timeline:
        if "ticket" in event.data and event.data["ticket"] not in seen:
            # Only this in-memory copy changes: TicketEvent.save() refuses an update.
            event.data = {**event.data, "ticket": None, "ticket_hidden": True}
    return timeline
