"""Every write of the mail channel: inbound mail is stored raw first, then processed exactly
once; a reply that could not be emailed is sent again on request."""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from helpline.accounts.models import User
from helpline.contacts.actions import find_or_create_contact, mark_undeliverable
from helpline.lib import clock
from helpline.lib.html import sanitise
from helpline.lib.prepared import PreparedRead
from helpline.lib.text import clean_text, human_size
from helpline.mail.models import (
    PLAIN_MESSAGE_ID_MAX,
    AwaitedMessage,
    InboundEmail,
    InboundResult,
    InboundState,
    Mailbox,
    MessageReference,
    OutboundEmail,
    OutboundState,
    is_ours,
)
from helpline.mail.outbox import queue_acknowledgement, queue_refusal, queue_reply
from helpline.mail.parsing import ParsedEmail, UnparseableEmail, message_ids, parse
from helpline.mail.placement import Placement, place
from helpline.mail.rules import is_automatic_reply, suppresses_automatic_answers
from helpline.tickets import actions as tickets
from helpline.tickets.models import Channel, Message, Ticket

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


def dedupe_key(raw: bytes) -> tuple[str, str]:
    """(key, message_id): the Message-ID when there is one, else a content fingerprint."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:256_000])
        found = message_ids(str(headers.get("Message-ID", "")))
    except Exception:  # headers so broken the parser gives up: the fingerprint still works
        found = []
    if found:
        return message_id_key(found[0]), found[0][:998]
    return "sha256:" + hashlib.sha256(raw).hexdigest(), ""


def message_id_key(message_id: str) -> str:
    if len(message_id) <= PLAIN_MESSAGE_ID_MAX:
        return f"mid:{message_id}"
    return "mid-sha256:" + hashlib.sha256(message_id.encode()).hexdigest()


@dataclass(frozen=True)
class Received:
    inbound: InboundEmail
    duplicate: bool


def receive(
    *, raw: bytes, via: str, mailbox: Mailbox | None, queue_processing: bool = True
) -> Received:
    """Store the raw message durably (or find it stored already) and queue its processing.

    Returns only after the commit, so an HTTP 202 or an IMAP flag set after it
    can never lose the message. A caller that processes the message itself
    passes `queue_processing=False`; should it stop first, the stuck-mail sweep
    picks the message up."""
    from helpline.mail.tasks import process_inbound_email

    key, message_id = dedupe_key(raw)
    try:
        with transaction.atomic():
            if (inbound := _stored.first(key)) is not None:
                return Received(inbound=inbound, duplicate=True)
            inbound = _store(raw, key, message_id, via=via, mailbox=mailbox)
            if queue_processing:
                process_inbound_email.enqueue(inbound.pk)
    except IntegrityError:
        if (inbound := _stored.first(key)) is None:
            raise  # not the dedupe key (a mailbox deleted meanwhile): the real error
        return Received(inbound=inbound, duplicate=True)  # stored by another delivery
    return Received(inbound=inbound, duplicate=False)


def _store(
    raw: bytes, key: str, message_id: str, *, via: str, mailbox: Mailbox | None
) -> InboundEmail:
    return InboundEmail.objects.create(
        dedupe_key=key, raw=raw, size=len(raw), message_id=message_id, received_via=via,
        mailbox=mailbox,
    )  # fmt: skip


def import_message(*, raw: bytes, mailbox: Mailbox | None) -> InboundEmail | None:
    """Store and process a message read from a file (`helpline mail import`), in one
    transaction: until it commits, the file is the message's durable copy, so a
    killed import loses nothing and the next run takes the message again. That is
    one commit, and three statements, less than `receive` and `process` make.

    A message stored before (by an earlier run, or another delivery meanwhile), or
    one whose processing fails, goes the two-step way instead, which counts the
    failure on the stored message as the worker would. None: the message was
    processed before (a duplicate)."""
    key, message_id = dedupe_key(raw)
    if _stored.first(key) is None:
        try:
            with transaction.atomic():
                inbound = _store(raw, key, message_id, via="import", mailbox=mailbox)
                _process_locked(inbound, in_progress={inbound.pk})
            return inbound
        except IntegrityError:
            pass  # stored by another delivery at this moment: a duplicate, below
        except Exception:
            logger.exception("importing a message failed; storing it to count the failure")
    received = receive(raw=raw, via="import", mailbox=mailbox, queue_processing=False)
    if received.duplicate and received.inbound.state != InboundState.PENDING:
        return None
    # New, or stored by an earlier run that was stopped before processing it.
    return process(inbound_id=received.inbound.pk)


# Once or twice for every mail: built once (lib/prepared.py).
_stored = PreparedRead(lambda key: InboundEmail.objects.filter(dedupe_key=key).defer("raw"))
_locked_inbound = PreparedRead(lambda pk: InboundEmail.objects.select_for_update().filter(pk=pk))
_pending_parents = PreparedRead(
    lambda keys: (
        InboundEmail.objects.filter(dedupe_key__in=keys, state=InboundState.PENDING)
        .order_by("received_at")
        .only("id")
    )
)


def process(*, inbound_id: int) -> InboundEmail:
    """Turn a stored message into a ticket or a reply. Safe to call any number of times."""
    try:
        with transaction.atomic():
            inbound = _locked_inbound.get(inbound_id)
            if inbound.state != InboundState.PENDING:
                return inbound
            _process_locked(inbound, in_progress={inbound.pk})
            return inbound
    except Exception as error:
        logger.exception("processing inbound email %s failed", inbound_id)
        return _count_failure(inbound_id, error)


def _count_failure(inbound_id: int, error: Exception) -> InboundEmail:
    """A bug or outage: try again later, and after MAX_ATTEMPTS quarantine with the reason."""
    with transaction.atomic():
        inbound = InboundEmail.objects.select_for_update().get(pk=inbound_id)
        inbound.attempts += 1
        inbound.error = f"{type(error).__name__}: {error}"[:2000]
        if inbound.attempts >= MAX_ATTEMPTS:
            inbound.state = InboundState.QUARANTINED
        inbound.save(update_fields=["attempts", "error", "state"])
    return inbound


def _process_locked(inbound: InboundEmail, *, in_progress: set[int]) -> None:
    raw = bytes(inbound.raw)
    if inbound.size > settings.HELPLINE_MAX_EMAIL_BYTES:
        return _refuse_oversized(inbound, raw)
    try:
        parsed = parse(raw)
    except UnparseableEmail as error:
        return _quarantine(inbound, str(error))
    ours = Mailbox.objects.addresses()
    if is_ours(parsed.from_address, ours):
        return _finish(
            inbound, InboundResult.LOOP, None, None, "ignored: sent by one of our mailboxes"
        )
    if parsed.is_bounce:
        return _record_bounce(inbound, parsed)
    _process_stored_parents(parsed, in_progress)
    placement = place(parsed, inbound.mailbox)
    if is_automatic_reply(parsed):
        return _record_auto_reply(inbound, parsed, placement)
    reason = placement.reason
    if placement.ticket is None:
        message = _new_ticket(inbound, parsed, placement, ours)
        result = InboundResult.CREATED
    else:
        message = _append(parsed, placement)
        _remember_reference(parsed.message_id, message)
        result = InboundResult.APPENDED
        if message.ticket_id != placement.ticket.pk:  # closed: a linked follow-up instead
            result = InboundResult.CREATED
            reason = f"follow-up of closed #{placement.ticket.number} ({reason})"
        if placement.late_original:  # arrived: References find it from now on
            AwaitedMessage.objects.filter(message_id=parsed.message_id).delete()
    _keep_full_original(inbound, parsed, message)
    _finish(inbound, result, message.ticket, message, reason)


def _process_stored_parents(parsed: ParsedEmail, in_progress: set[int]) -> None:
    """A reply whose original is stored but not processed yet (its worker was killed,
    or it sits behind this one in the queue) waits for it, so both share one ticket."""
    keys = [message_id_key(message_id) for message_id in parsed.all_references[:50]]
    pending = _pending_parents(keys) if keys else []
    for parent_id in [parent.pk for parent in pending if parent.pk not in in_progress]:
        try:
            with transaction.atomic():
                # Read again under the lock: processing an earlier parent may have
                # processed this one too (it answered that one).
                parent = InboundEmail.objects.select_for_update().get(pk=parent_id)
                if parent.state != InboundState.PENDING:
                    continue
                _process_locked(parent, in_progress=in_progress | {parent.pk})
        except Exception:
            # The parent's own job retries it and counts the failure; this reply goes on.
            logger.exception("processing inbound email %s before its reply failed", parent.pk)


def _refuse_oversized(inbound: InboundEmail, raw: bytes) -> None:
    """Quarantined with its bytes; the sender hears once, politely, why."""
    size, limit = human_size(inbound.size), human_size(settings.HELPLINE_MAX_EMAIL_BYTES)
    _quarantine(inbound, f"{size} is over the {limit} limit")
    try:
        headers = parse(_headers_only(raw))
    except UnparseableEmail:
        return
    if inbound.mailbox is not None and not suppresses_automatic_answers(headers):
        queue_refusal(
            to=headers.from_address, subject=headers.subject, size=size, limit=limit,
            mailbox=inbound.mailbox,
        )  # fmt: skip


def _headers_only(raw: bytes) -> bytes:
    end = raw.find(b"\r\n\r\n")
    end = raw.find(b"\n\n") if end == -1 else end
    return raw[: end if end != -1 else 65536] + b"\r\n\r\n"


def _quarantine(inbound: InboundEmail, reason: str) -> None:
    inbound.state = InboundState.QUARANTINED
    inbound.error = reason
    inbound.attempts += 1
    inbound.save(update_fields=["state", "error", "attempts"])


FINISHED_FIELDS = [
    "state", "result", "ticket", "ticket_message", "placement", "attempts", "error", "processed_at",
]  # fmt: skip
FULL_ORIGINAL_FIELDS = ["full_text", "full_html"]


def _finish(
    inbound: InboundEmail, result: str, ticket: Ticket | None, message: Message | None, why: str
) -> None:
    inbound.state = InboundState.PROCESSED
    inbound.result = result
    inbound.ticket = ticket
    inbound.ticket_message = message
    inbound.placement = why[:300]
    inbound.attempts += 1
    inbound.error = ""
    inbound.processed_at = clock.now()
    # Not the raw message: rewriting its bytes would cost as much as storing them.
    inbound.save(update_fields=[*FINISHED_FIELDS, *FULL_ORIGINAL_FIELDS])


def _body(parsed: ParsedEmail) -> tuple[str, str | None]:
    """(shown text, shown html): the reply without its quotes, when they could be cut."""
    full_text = _readable(parsed.text)
    shown = _readable(parsed.reply_text) if parsed.reply_text else full_text
    if shown == full_text:  # nothing was cut: the HTML shows the same message
        return shown, parsed.html or None
    return shown, None


def _readable(text: str) -> str:
    """The text as it will be stored (control characters go), or a placeholder when
    nothing readable is left: a mail of nothing but control characters is still mail."""
    return clean_text(text).strip() or "(no text)"


def _keep_full_original(inbound: InboundEmail, parsed: ParsedEmail, message: Message) -> None:
    """When quotes were cut for display, the whole message stays one click away."""
    full_text = _readable(parsed.text)
    if (_readable(parsed.reply_text) if parsed.reply_text else full_text) == full_text:
        return
    inbound.full_text = full_text
    if parsed.html:
        inbound.full_html = sanitise(parsed.html, inline_images=message.inline_image_urls())


def _new_ticket(
    inbound: InboundEmail, parsed: ParsedEmail, placement: Placement, ours: frozenset[str]
) -> Message:
    mailbox = inbound.mailbox
    requester = find_or_create_contact(
        email=parsed.from_address, name=parsed.from_name, acting_user=None
    )
    copied = _copied_addresses(parsed, ours)
    limit = settings.HELPLINE_MAX_MAIL_CCS
    ccs = [find_or_create_contact(email=address, acting_user=None) for address in copied[:limit]]
    shown, html = _body(parsed)
    ticket = tickets.create_ticket(
        acting_user=None, requester=requester, subject=parsed.subject or "(no subject)",
        body=shown, body_html=html, channel=Channel.EMAIL, ccs=ccs,
        team=mailbox.team if mailbox else None, language=mailbox.language if mailbox else "",
        attachments=parsed.attachments,
    )  # fmt: skip
    message = _first_messages.get(ticket.pk)
    message.ticket = ticket
    if len(copied) > limit:
        _note_uncopied(ticket, copied[limit:], limit)
    if placement.related is not None:
        tickets.link_system(source=ticket, target=placement.related, kind="related")
    else:
        _await_originals(parsed, ticket)
    # Known before the acknowledgement is written, so it answers the customer's message.
    _remember_reference(parsed.message_id, message)
    # Imported mail is history: its senders are not waiting for an acknowledgement.
    imported = inbound.received_via == "import"
    if mailbox is not None and not imported and not suppresses_automatic_answers(parsed):
        queue_acknowledgement(ticket, mailbox)
    return message


_first_messages = PreparedRead(lambda ticket_id: Message.objects.filter(ticket_id=ticket_id))


def _copied_addresses(parsed: ParsedEmail, ours: frozenset[str]) -> list[str]:
    """Everyone the mail was addressed to besides its sender and our own mailboxes."""
    return [
        address
        for address in dict.fromkeys(parsed.to + parsed.cc)
        if address != parsed.from_address and not is_ours(address, ours)
    ]


# A mail naming thousands of addresses still makes a note agents can read.
UNCOPIED_LISTED = 1000


def _note_uncopied(ticket: Ticket, addresses: list[str], limit: int) -> None:
    """A mail to hundreds of people (a list, a mass mailing) must not make them all CCs,
    each mailed with every reply; agents see who was left out and can add them."""
    listed = "\n".join(addresses[:UNCOPIED_LISTED])
    more = len(addresses) - UNCOPIED_LISTED
    tickets.add_system_note(
        ticket=ticket,
        body=f"This email was also addressed to {len(addresses)} more people than the "
        f"{limit} copied on the ticket (HELPLINE_MAX_MAIL_CCS). They were not added as CCs:"
        f"\n\n{listed}" + (f"\n… and {more} more" if more > 0 else ""),
    )


def _append(parsed: ParsedEmail, placement: Placement) -> Message:
    assert placement.ticket is not None
    shown, html = _body(parsed)
    agent = placement.agent
    if agent is not None and not agent.can_edit_tickets:
        return tickets.add_note(
            ticket=placement.ticket, acting_user=agent, body=shown, body_html=html,
            attachments=parsed.attachments, channel=Channel.EMAIL,
        )  # fmt: skip
    author = None
    if agent is None:
        author = placement.sender or find_or_create_contact(
            email=parsed.from_address, acting_user=None
        )
    return tickets.reply(
        ticket=placement.ticket, acting_user=agent, author_contact=author, body=shown,
        body_html=html, attachments=parsed.attachments, channel=Channel.EMAIL,
    )  # fmt: skip


def _await_originals(parsed: ParsedEmail, ticket: Ticket) -> None:
    """A reply to mail we have not received starts a ticket; should that mail arrive
    later, it joins this ticket (see placement: "late original")."""
    awaited = [m for m in parsed.all_references[:20] if len(m) <= PLAIN_MESSAGE_ID_MAX]
    AwaitedMessage.objects.bulk_create(
        [AwaitedMessage(message_id=message_id, ticket=ticket) for message_id in awaited],
        ignore_conflicts=True,
    )


def _remember_reference(message_id: str, message: Message) -> None:
    if message_id:
        # Known already when the same mail came to this ticket twice (two mailboxes).
        MessageReference.objects.bulk_create(
            [MessageReference(message_id=message_id, ticket_id=message.ticket_id,
                              ticket_message=message)],
            ignore_conflicts=True,
        )  # fmt: skip


def _record_bounce(inbound: InboundEmail, parsed: ParsedEmail) -> None:
    reference = MessageReference.objects.filter(message_id=parsed.bounce_message_id).first()
    if reference is None:
        return _finish(
            inbound, InboundResult.BOUNCE, None, None, "delivery failure for an unknown message"
        )
    recipients = ", ".join(parsed.bounce_recipients) or "a recipient"
    mark_undeliverable(addresses=parsed.bounce_recipients, acting_user=None)
    note = tickets.add_system_note(
        ticket=reference.ticket,
        body=f"Delivery failed to {recipients}.\n\n{parsed.text.strip()[:4000]}",
    )
    _finish(
        inbound,
        InboundResult.BOUNCE,
        reference.ticket,
        note,
        f"delivery failure of <{parsed.bounce_message_id}>",
    )


def _record_auto_reply(inbound: InboundEmail, parsed: ParsedEmail, placement: Placement) -> None:
    """An out-of-office or similar: kept on its ticket as a note, never reopening it."""
    if placement.ticket is None:
        return _finish(inbound, InboundResult.AUTO_REPLY, None, None, "automatic reply, no ticket")
    note = tickets.add_system_note(
        ticket=placement.ticket,
        body=f"Automatic reply from {parsed.from_address}:\n\n{(parsed.reply_text or parsed.text)[:4000]}",
    )
    _finish(inbound, InboundResult.AUTO_REPLY, placement.ticket, note, placement.reason)


def retry(*, inbound: InboundEmail, acting_user: object) -> InboundEmail:
    """An admin sends a quarantined message through the pipeline again."""
    with transaction.atomic():
        InboundEmail.objects.filter(pk=inbound.pk, state=InboundState.QUARANTINED).update(
            state=InboundState.PENDING, error="", attempts=0
        )
    return process(inbound_id=inbound.pk)


AWAITED_DAYS = 30


def forget_awaited_originals() -> int:
    """Replies name mail we never receive too (a colleague's thread, another system):
    after AWAITED_DAYS an original is not expected any more."""
    cutoff = clock.now() - timedelta(days=AWAITED_DAYS)
    deleted, _ = AwaitedMessage.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def mark_stalled_sends_uncertain() -> int:
    """A worker killed mid-send leaves a row in "sending": it may have gone out, so a
    person decides rather than a retry (a second copy to the customer is worse)."""
    return OutboundEmail.objects.filter(
        state=OutboundState.SENDING, next_attempt_at__lt=clock.now() - timedelta(minutes=10)
    ).update(state=OutboundState.UNCERTAIN, last_error="the worker stopped while sending")


def email_reply(*, message: Message, acting_user: User) -> list[OutboundEmail]:
    """Send an agent's reply that was not emailed (no mailbox could send it then), now
    that a route exists. Refused, changing nothing, while there still is none."""
    with transaction.atomic():
        # Locked: two agents pressing "Email it now" at once send one mail, not two.
        waiting = list(
            OutboundEmail.objects.select_for_update().filter(
                ticket_message=message, state=OutboundState.NOT_EMAILED
            )
        )
        if not waiting:
            raise ValidationError({"message": "This reply is not waiting to be emailed."})
        OutboundEmail.objects.filter(pk__in=[row.pk for row in waiting]).delete()
        copies = queue_reply(message)
        if copies[0].state == OutboundState.NOT_EMAILED:
            # Rolls back: the reply keeps its first "not emailed" record.
            raise ValidationError({"message": f"Still not emailed: {copies[0].last_error}."})
    logger.info("reply %s emailed by %s after it was not", message.pk, acting_user.pk)
    return copies
