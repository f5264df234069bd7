"""Writing mail to the outbox (inside the caller's transaction) and rendering it."""

from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr, make_msgid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from helpline.lib import clock
from helpline.mail.models import (
    InboundEmail,
    Mailbox,
    MessageReference,
    OutboundEmail,
    OutboundKind,
    OutboundState,
)
from helpline.tickets.models import Message, Ticket


def _render(kind: str, context: dict[str, Any], language: str = "") -> tuple[str, str, str]:
    """The kind's subject/text/HTML triplet in `language` (emails/<language>/…) where
    such templates exist, else the default ones; dates are formatted for it too."""
    language = (language or settings.LANGUAGE_CODE).split("-")[0].lower()

    def render(suffix: str) -> str:
        names = [f"emails/{language}/{kind}.{suffix}", f"emails/{kind}.{suffix}"]
        return render_to_string(names, context)

    with translation.override(language):
        subject = " ".join(render("subject.txt").split())
        text = render("txt").strip() + "\n"
        html = render("html")
    return subject, text, html


def _language(ticket: Ticket | None, mailbox: Mailbox) -> str:
    if ticket is not None and ticket.requester.language:
        return ticket.requester.language
    return (ticket.language if ticket else "") or mailbox.language


NO_ACTIVE_MAILBOX = "no active mailbox"
NO_DEFAULT_MAILBOX = "no active mailbox serves this ticket's team and none is marked as the default"
NO_ADDRESS = "the requester has no email address"


@dataclass(frozen=True)
class Route:
    """The mailbox a ticket's mail goes out through, or why there is none."""

    mailbox: Mailbox | None
    reason: str = ""


def default_mailbox() -> Mailbox | None:
    """The active mailbox marked as the default; with only one active mailbox, that one
    (a desk with a single address needs no setting)."""
    active = Mailbox.objects.filter(is_active=True)
    marked = active.filter(is_default=True).first()
    if marked is not None:
        return marked
    only = list(active[:2])
    return only[0] if len(only) == 1 else None


def route_for(ticket: Ticket) -> Route:
    """The mailbox the conversation came through, else the team's, else the default;
    inactive mailboxes never send."""
    inbound = (
        InboundEmail.objects.filter(ticket=ticket, mailbox__is_active=True)
        .select_related("mailbox")
        .first()
    )
    if inbound is not None and inbound.mailbox is not None:
        return Route(inbound.mailbox)
    active = Mailbox.objects.filter(is_active=True)
    mailbox = (active.filter(team=ticket.team).first() if ticket.team_id else None) or (
        default_mailbox()
    )
    if mailbox is not None:
        return Route(mailbox)
    return Route(None, NO_DEFAULT_MAILBOX if active.exists() else NO_ACTIVE_MAILBOX)


def _thread_headers(ticket: Ticket) -> tuple[str, str]:
    """In-Reply-To the customer's latest message; References the whole chain we know."""
    known = list(
        MessageReference.objects.filter(ticket=ticket).order_by("created_at", "id")
        .values_list("message_id", "outgoing")
    )  # fmt: skip
    incoming = [mid for mid, outgoing in known if not outgoing]
    in_reply_to = f"<{incoming[-1]}>" if incoming else ""
    references = " ".join(f"<{mid}>" for mid, _ in known[-20:])
    return in_reply_to, references


def _new_outbound(
    *, kind: str, ticket: Ticket | None, mailbox: Mailbox, to: list[str], subject: str,
    text: str, html: str, automatic: bool, message: Message | None = None,
    cc: list[str] | None = None, envelope_to: str = "",
) -> OutboundEmail:  # fmt: skip
    """One mail to one address: `envelope_to` (else `to[0]`) is the copy's only recipient,
    and its reply address carries a token bound to exactly that address."""
    recipient = (envelope_to or to[0]).lower()
    rfc_message_id = make_msgid(domain=mailbox.domain)[1:-1]
    in_reply_to, references = _thread_headers(ticket) if ticket else ("", "")
    outbound = OutboundEmail.objects.create(
        kind=kind, ticket=ticket, ticket_message=message, mailbox=mailbox,
        from_header=formataddr((mailbox.display_name, mailbox.address)),
        reply_to=formataddr((mailbox.display_name, mailbox.reply_address(ticket.number, recipient)))
        if ticket else "",
        recipients=to, primary_recipient=recipient, cc=cc or [], envelope_to=recipient,
        subject=subject[:400], rfc_message_id=rfc_message_id,
        in_reply_to=in_reply_to, references=references, body_text=text, body_html=html,
        automatic=automatic,
    )  # fmt: skip
    if ticket is not None:
        MessageReference.objects.create(
            message_id=rfc_message_id, ticket=ticket, ticket_message=message, outgoing=True
        )
    transaction.on_commit(lambda: _enqueue(outbound.pk))
    return outbound


def _enqueue(outbound_id: int) -> None:
    from helpline.mail.tasks import send_outbound_email

    send_outbound_email.enqueue(outbound_id)


def queue_reply(message: Message) -> list[OutboundEmail]:
    """An agent's public reply, mailed to the requester and each CC as a copy of their
    own: the headers show the whole conversation (To the requester, Cc the CCs), each
    copy goes only to its recipient and carries a reply token bound to them. When
    nothing can send it, one NOT_EMAILED row says why: agents see it, and
    `email_reply` sends it later."""
    ticket = message.ticket
    route = route_for(ticket)
    to = ticket.requester.primary_email
    if route.mailbox is None or not to:
        return [_not_emailed(message, to, route.reason if to else NO_ADDRESS)]
    mailbox = route.mailbox
    history = [
        _quoted(m) for m in ticket.messages.filter(is_public=True, created_at__lte=message.created_at)
        .exclude(pk=message.pk).order_by("-created_at")[: settings.HELPLINE_QUOTED_MESSAGES]
    ]  # fmt: skip
    context = {"ticket": ticket, "message": message, "mailbox": mailbox, "history": history}
    subject, text, html = _render("reply", context, _language(ticket, mailbox))
    cc = [c.primary_email for c in ticket.ccs.all() if c.primary_email]
    copies = []
    for recipient in dict.fromkeys(address.lower() for address in [to, *cc]):
        copy = _new_outbound(
            kind=OutboundKind.REPLY, ticket=ticket, mailbox=mailbox, to=[to], cc=cc,
            subject=subject, text=text, html=html, automatic=False, message=message,
            envelope_to=recipient,
        )  # fmt: skip
        copies.append(copy)
    return copies


def _not_emailed(message: Message, to: str, reason: str) -> OutboundEmail:
    """A reply that went nowhere, recorded so it cannot pass unnoticed. It has no
    Message-ID of ours yet (the .invalid one is never sent, nor remembered)."""
    ccs = [c.primary_email for c in message.ticket.ccs.all() if c.primary_email]
    return OutboundEmail.objects.create(
        kind=OutboundKind.REPLY, ticket=message.ticket, ticket_message=message,
        recipients=[to] if to else [], cc=ccs, primary_recipient=to.lower(),
        subject=message.ticket.subject[:400],
        rfc_message_id=make_msgid(domain="not-emailed.invalid")[1:-1],
        body_text=message.body_text, body_html=message.body_html,
        state=OutboundState.NOT_EMAILED, last_error=reason,
    )  # fmt: skip


def _quoted(message: Message) -> dict[str, Any]:
    return {
        "created_at": message.created_at,
        "author_name": message.author_name,
        "quoted": "\n".join(f"> {line}" for line in message.body_text.splitlines()),
        "body_html": message.body_html,
    }


def automatic_mail_allowed(address: str) -> bool:
    """At most HELPLINE_AUTO_REPLY_LIMIT automatic mails per address per hour: a
    last line of defence against loops with robots that ignore RFC 3834."""
    since = clock.now() - timedelta(hours=1)
    sent = OutboundEmail.objects.filter(
        automatic=True, primary_recipient=address.lower(), created_at__gte=since
    )
    return sent.count() < settings.HELPLINE_AUTO_REPLY_LIMIT


def queue_acknowledgement(ticket: Ticket, mailbox: Mailbox) -> OutboundEmail | None:
    to = ticket.requester.primary_email
    if not to or not automatic_mail_allowed(to):
        return None
    context = {
        "ticket": ticket, "mailbox": mailbox,
        "first_response": settings.HELPLINE_FIRST_RESPONSE_PROMISE,
    }  # fmt: skip
    subject, text, html = _render("ack", context, _language(ticket, mailbox))
    return _new_outbound(
        kind=OutboundKind.ACKNOWLEDGEMENT, ticket=ticket, mailbox=mailbox, to=[to],
        subject=subject, text=text, html=html, automatic=True,
    )  # fmt: skip


def queue_refusal(*, to: str, subject: str, size: str, limit: str, mailbox: Mailbox) -> None:
    if not automatic_mail_allowed(to):
        return
    context = {"mailbox": mailbox, "subject": subject, "size": size, "limit": limit}
    mail_subject, text, html = _render("refusal", context, mailbox.language)
    _new_outbound(
        kind=OutboundKind.REFUSAL, ticket=None, mailbox=mailbox, to=[to],
        subject=mail_subject, text=text, html=html, automatic=True,
    )  # fmt: skip
