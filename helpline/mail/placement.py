"""Deciding which ticket an incoming message belongs to, and saying why.

Signals, strongest first: a Message-ID we know in In-Reply-To/References; our
signed reply token in a recipient address; a `[#1234]` subject token. A signal
only counts when the sender takes part in that ticket (requester or CC), so a
stranger who knows or forges a ticket's identifiers starts a new ticket
instead (linked as related, so an agent can re-thread it in one click).
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from helpline.accounts.models import User
from helpline.contacts.models import Contact, IdentityKind
from helpline.mail.models import AwaitedMessage, Mailbox, MessageReference, split_tag
from helpline.mail.parsing import ParsedEmail
from helpline.mail.secrets import verify_reply_token
from helpline.tickets.models import Ticket

SUBJECT_TOKEN = re.compile(r"\[#(\d{1,18})\]")


class Signal(StrEnum):
    IN_REPLY_TO = "In-Reply-To"
    REFERENCES = "References"
    REPLY_TOKEN = "reply token"  # noqa: S105 - a name, not a password
    SUBJECT_TOKEN = "subject token"  # noqa: S105


@dataclass(frozen=True)
class Placement:
    """Where a message goes: `ticket` to append to it, or None for a new ticket."""

    ticket: Ticket | None
    reason: str
    agent: User | None = None
    related: Ticket | None = None
    late_original: bool = False


def _by_reference(parsed: ParsedEmail) -> tuple[Ticket | None, str]:
    for message_id in parsed.all_references:
        reference = (
            MessageReference.objects.select_related("ticket", "ticket_message__ticket")
            .filter(message_id=message_id)
            .first()
        )
        if reference is not None:
            signal = Signal.IN_REPLY_TO if message_id in parsed.in_reply_to else Signal.REFERENCES
            # A message an agent moved (or split out) takes its thread along.
            message = reference.ticket_message
            return (message.ticket if message else reference.ticket), f"{signal} <{message_id}>"
    return None, ""


def _by_token(parsed: ParsedEmail, mailbox: Mailbox | None) -> tuple[Ticket | None, str]:
    for address in [*parsed.to, *parsed.cc]:
        base, token = split_tag(address)
        if not token or (mailbox and base != mailbox.address.lower()):
            continue
        number = verify_reply_token(token)
        ticket = Ticket.objects.filter(number=number).first() if number else None
        if ticket is not None:
            return ticket, str(Signal.REPLY_TOKEN)
    return None, ""


def _by_subject(parsed: ParsedEmail) -> tuple[Ticket | None, str]:
    match = SUBJECT_TOKEN.search(parsed.subject)
    if match is None:
        return None, ""
    ticket = Ticket.objects.filter(number=int(match.group(1))).first()
    return ticket, f"{Signal.SUBJECT_TOKEN} [#{match.group(1)}]" if ticket else ""


def _participant(ticket: Ticket, address: str) -> bool:
    contact = Contact.objects.with_email(address).first()
    return contact is not None and ticket.is_participant(contact)


def place(parsed: ParsedEmail, mailbox: Mailbox | None) -> Placement:
    for finder in (_by_reference, lambda p: _by_token(p, mailbox), _by_subject):
        ticket, reason = finder(parsed)
        if ticket is None:
            continue
        ticket = _follow_merges(ticket)
        agent = _agent_with_token(parsed, reason)
        if agent is not None:
            return Placement(ticket, f"{reason}, from agent {agent.email}", agent=agent)
        if _participant(ticket, parsed.from_address):
            return Placement(ticket, reason)
        return Placement(None, f"new: sender not a participant of #{ticket.number}", related=ticket)
    return _as_late_original(parsed) or Placement(
        None, "new: no known Message-ID, reply token or ticket number"
    )


def _as_late_original(parsed: ParsedEmail) -> Placement | None:
    """A message that a reply on a ticket already answered: it joins that ticket."""
    if not parsed.message_id:
        return None
    awaited = AwaitedMessage.objects.filter(message_id=parsed.message_id).order_by("created_at")
    for entry in awaited.select_related("ticket"):
        ticket = _follow_merges(entry.ticket)
        if _written_to_or_by_requester(ticket, parsed):
            reason = f"late original <{parsed.message_id}>: a reply on #{ticket.number} came first"
            return Placement(ticket, reason, late_original=True)
    return None


def _written_to_or_by_requester(ticket: Ticket, parsed: ParsedEmail) -> bool:
    """Whoever started the ticket by answering this message must have received it (or
    written it). Being a CC is not enough: a stranger's first mail names its own CCs,
    and could otherwise claim a message it knows the Message-ID of."""
    addresses = [a.lower() for a in (parsed.from_address, *parsed.to, *parsed.cc)]
    identities = ticket.requester.identities.filter(kind=IdentityKind.EMAIL, value__in=addresses)
    return identities.exists()


def _agent_with_token(parsed: ParsedEmail, reason: str) -> User | None:
    """An agent's mail counts as an agent reply only with our signed token: a From
    header alone is trivially forged."""
    if reason != Signal.REPLY_TOKEN:
        return None
    return User.objects.filter(email__iexact=parsed.from_address, is_active=True).first()


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = set()
    while ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket
