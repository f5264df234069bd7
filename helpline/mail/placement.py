"""Deciding which ticket an incoming message belongs to, and saying why.

Signals, strongest first: a Message-ID we know in In-Reply-To/References; our
signed reply token in a recipient address; a `[#1234]` subject token. A signal
only counts when the sender takes part in that ticket (requester or CC), so a
stranger who knows or forges a ticket's identifiers starts a new ticket
instead (linked as related, so an agent can re-thread it in one click). A
reply token is bound to the one recipient it was mailed to: from anyone else
it makes a new linked ticket too.

Mail acts as an agent only when its mailbox allows agents to reply by email
and our receiving server verified the sender's domain (authentication.py):
neither a From header nor a reply address proves who wrote a message.
"""

import re
from dataclasses import dataclass
from enum import StrEnum

from django.db.models.functions import Coalesce

from helpline.accounts.models import User
from helpline.contacts.models import Contact, ContactIdentity, IdentityKind
from helpline.lib.prepared import PreparedRead
from helpline.mail.authentication import dkim_verdict
from helpline.mail.models import AwaitedMessage, Mailbox, MessageReference, split_tag
from helpline.mail.parsing import ParsedEmail
from helpline.mail.secrets import TokenCheck, read_reply_token, signature_matches
from helpline.tickets.access import tickets_for
from helpline.tickets.models import Ticket

SUBJECT_TOKEN = re.compile(r"\[#(\d{1,18})\]")
# In-Reply-To first, then References newest first: a mail naming thousands of
# Message-IDs is looked up by the ones that can be its thread.
MAX_REFERENCES = 60


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
    # The contact of From, when placing the mail looked it up.
    sender: Contact | None = None


@dataclass(frozen=True)
class Found:
    """A ticket a signal names, and what the signal proves about the sender."""

    ticket: Ticket
    reason: str
    someone_elses_token: bool = False


def _by_reference(parsed: ParsedEmail, mailbox: Mailbox | None) -> Found | None:
    references = parsed.all_references[:MAX_REFERENCES]
    # Each Message-ID's oldest reference: the ticket its message is on now (an agent
    # may have moved or split it out since: it takes its thread along).
    known: dict[str, int] = {}
    for reference in _references_to(references) if references else []:
        known.setdefault(reference.message_id, reference.__dict__["current_ticket_id"])
    for message_id in references:
        if (ticket_id := known.get(message_id)) is not None:
            signal = Signal.IN_REPLY_TO if message_id in parsed.in_reply_to else Signal.REFERENCES
            return Found(_ticket.get(ticket_id), f"{signal} <{message_id}>")
    return None


def _by_token(parsed: ParsedEmail, mailbox: Mailbox | None) -> Found | None:
    for address in [*parsed.to, *parsed.cc]:
        base, tag = split_tag(address)
        if not tag or (mailbox and base != mailbox.address.lower()):
            continue
        token = read_reply_token(tag, parsed.from_address)
        ticket = Ticket.objects.filter(number=token.ticket_number).first() if token else None
        if token is None or ticket is None:
            continue
        if token.check == TokenCheck.FOR_SENDER:
            return Found(ticket, str(Signal.REPLY_TOKEN))
        if token.check == TokenCheck.LEGACY:
            # Sent before tokens named their recipient: it names the ticket, like a
            # subject token, and proves nothing about who writes.
            return Found(ticket, f"{Signal.REPLY_TOKEN} (old format)")
        issued_to = _participant_issued(ticket, tag)
        if issued_to is None:
            continue  # matching nobody, the token is forged: ignored, like a guessed one
        sender = Contact.by_email(parsed.from_address)
        if sender is not None and sender.pk == issued_to:
            # The same person writing from another of their addresses.
            return Found(ticket, f"{Signal.REPLY_TOKEN} (sent to their other address)")
        return Found(ticket, str(Signal.REPLY_TOKEN), someone_elses_token=True)
    return None


def _participant_issued(ticket: Ticket, tag: str) -> int | None:
    """The contact on the ticket we mailed this token to, None when it is a forgery."""
    contacts = [ticket.requester, *ticket.ccs.all()]
    identities = ContactIdentity.objects.filter(contact__in=contacts, kind=IdentityKind.EMAIL)
    for contact_id, address in identities.values_list("contact_id", "value")[:200]:
        if signature_matches(tag, address):
            return contact_id
    return None


def _by_subject(parsed: ParsedEmail, mailbox: Mailbox | None) -> Found | None:
    match = SUBJECT_TOKEN.search(parsed.subject)
    if match is None:
        return None
    ticket = Ticket.objects.filter(number=int(match.group(1))).first()
    return Found(ticket, f"{Signal.SUBJECT_TOKEN} [#{match.group(1)}]") if ticket else None


def _by_awaited_original(parsed: ParsedEmail, mailbox: Mailbox | None) -> Found | None:
    """Another reply to mail we have not received yet: it joins the ticket that the first
    such reply started (the one awaiting that original), if its sender takes part there.
    Without this, every early reply to one original opened a ticket of its own."""
    references = parsed.all_references[:20]
    for entry in _awaited(references) if references else []:
        ticket = _follow_merges(_ticket.get(entry.ticket_id))
        if _participant(ticket, parsed.from_address):
            signal = (
                Signal.IN_REPLY_TO if entry.message_id in parsed.in_reply_to else Signal.REFERENCES
            )
            reason = f"{signal} <{entry.message_id}>, not come yet, awaited on #{ticket.number}"
            return Found(ticket, reason)
    return None


def _participant(ticket: Ticket, address: str) -> Contact | None:
    """The contact writing from this address, if they take part in the ticket."""
    contact = Contact.by_email(address)
    return contact if contact is not None and ticket.is_participant(contact) else None


def place(parsed: ParsedEmail, mailbox: Mailbox | None) -> Placement:
    for finder in (_by_reference, _by_token, _by_subject, _by_awaited_original):
        found = finder(parsed, mailbox)
        if found is None:
            continue
        ticket = _follow_merges(found.ticket)
        agent, proof = verified_agent(parsed, mailbox, ticket)
        if agent is not None:
            return Placement(ticket, f"{found.reason}, from agent {agent.email} ({proof})", agent)
        # Why an agent's mail was not believed, for the admin who turned the setting on.
        unverified = f" (not taken as an agent's: {proof})" if proof else ""
        if found.someone_elses_token:
            why = f"new: reply token of #{ticket.number} was sent to someone else"
            return Placement(None, why + unverified, related=ticket)
        if sender := _participant(ticket, parsed.from_address):
            return Placement(ticket, found.reason + unverified, sender=sender)
        why = f"new: sender not a participant of #{ticket.number}"
        return Placement(None, why + unverified, related=ticket)
    return _as_late_original(parsed) or Placement(
        None, "new: no known Message-ID, reply token or ticket number"
    )


def _as_late_original(parsed: ParsedEmail) -> Placement | None:
    """A message that a reply on a ticket already answered: it joins that ticket."""
    if not parsed.message_id:
        return None
    for entry in _awaited([parsed.message_id]):
        ticket = _follow_merges(_ticket.get(entry.ticket_id))
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


def verified_agent(
    parsed: ParsedEmail, mailbox: Mailbox | None, ticket: Ticket
) -> tuple[User | None, str]:
    """The agent this mail is from, only when the mailbox lets agents reply by email and
    our receiving server verified the From domain (DKIM); with why it is (not) believed."""
    if mailbox is None or not mailbox.agents_may_reply_by_email:
        return None, ""
    agent = User.objects.filter(email__iexact=parsed.from_address, is_active=True).first()
    if agent is None:
        return None, ""
    if not tickets_for(agent).filter(pk=ticket.pk).exists():
        return None, f"the agent cannot see #{ticket.number}"
    if parsed.sender_ambiguous:
        # DKIM vouches for the bottom-most From; we would read another one.
        return None, "the mail names more than one sender"
    verdict = dkim_verdict(
        parsed.authentication_results, parsed.from_address, mailbox.authserv_ids()
    )
    return (agent if verdict.verified else None), verdict.reason


def _follow_merges(ticket: Ticket) -> Ticket:
    seen = set()
    while ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


# For every mail placed: built once (lib/prepared.py).
_references_to = PreparedRead(
    lambda message_ids: (
        MessageReference.objects.filter(message_id__in=message_ids)
        .annotate(current_ticket_id=Coalesce("ticket_message__ticket_id", "ticket_id"))
        .order_by("id")
    )
)
_awaited = PreparedRead(
    lambda message_ids: AwaitedMessage.objects.filter(message_id__in=message_ids).order_by(
        "created_at", "id"
    )
)
_ticket = PreparedRead(lambda pk: Ticket.objects.filter(pk=pk))
