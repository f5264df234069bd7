"""Sending outbox rows over SMTP: retries with backoff, never a duplicate.

smtplib is driven step by step instead of through Django's mail backend,
because what to do after a failure depends on *when* it happened: before
the end of DATA the server has nothing and we retry; after the final dot the
server may already have the mail, so a timeout there is "delivery uncertain"
and waits for a person instead of risking a second copy.
"""

import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from django.conf import settings
from django.db import transaction

from helpline.lib import clock
from helpline.mail.models import OutboundEmail, OutboundState

BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60, 240)]


@dataclass(frozen=True)
class Outcome:
    state: str
    detail: str


class Uncertain(Exception):
    """The server may have accepted the message; it must not be sent again automatically."""


def build_message(outbound: OutboundEmail) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = outbound.from_header
    mail["To"] = ", ".join(outbound.recipients)
    if outbound.cc:
        mail["Cc"] = ", ".join(outbound.cc)
    if outbound.reply_to:
        mail["Reply-To"] = outbound.reply_to
    mail["Subject"] = outbound.subject
    mail["Date"] = format_datetime(outbound.created_at)
    mail["Message-ID"] = f"<{outbound.rfc_message_id}>"
    if outbound.in_reply_to:
        mail["In-Reply-To"] = outbound.in_reply_to
    if outbound.references:
        mail["References"] = outbound.references
    # RFC 3834: mark what a machine sent, so other machines do not answer it.
    mail["Auto-Submitted"] = "auto-replied" if outbound.automatic else "no"
    if outbound.automatic:
        mail["X-Auto-Response-Suppress"] = "All"
    mail.set_content(outbound.body_text)
    mail.add_alternative(outbound.body_html, subtype="html")
    return mail


def _claim(outbound_id: int) -> OutboundEmail | None:
    """Take the row for this attempt; a second worker finds nothing to do."""
    with transaction.atomic():
        claimed = (
            OutboundEmail.objects.due()
            .filter(pk=outbound_id)
            .update(state=OutboundState.SENDING, next_attempt_at=clock.now())
        )
    return OutboundEmail.objects.get(pk=outbound_id) if claimed else None


def send(outbound_id: int) -> str | None:
    outbound = _claim(outbound_id)
    if outbound is None:
        return None
    outcome = _attempt(outbound)
    _record(outbound, outcome)
    return outcome.state


def _attempt(outbound: OutboundEmail) -> Outcome:
    message = build_message(outbound)
    if settings.HELPLINE_MAIL_DELIVERY == "keep":
        # The demo: the mail is complete and readable on the Outgoing mail page, and no
        # made-up customer address is ever handed to a real server.
        return Outcome(OutboundState.KEPT, "kept in Helpline (HELPLINE_MAIL_DELIVERY=keep)")
    envelope_from = outbound.mailbox.address if outbound.mailbox else settings.DEFAULT_FROM_EMAIL
    recipients = outbound.delivered_to  # one address per copy; To/Cc are only headers
    try:
        reply = _deliver(message, envelope_from, recipients)
    except Uncertain as error:
        return Outcome(OutboundState.UNCERTAIN, str(error))
    except smtplib.SMTPResponseException as error:
        text = f"{error.smtp_code} {error.smtp_error!r}"
        permanent = 500 <= error.smtp_code < 600
        return Outcome(OutboundState.FAILED if permanent else OutboundState.QUEUED, text)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        permanent = all(500 <= code < 600 for code in codes)
        state = OutboundState.FAILED if permanent else OutboundState.QUEUED
        return Outcome(state, f"recipients refused: {error.recipients!r}")
    except (OSError, smtplib.SMTPException) as error:
        return Outcome(OutboundState.QUEUED, f"{type(error).__name__}: {error}")
    return Outcome(OutboundState.SENT, reply)


def _smtp_options() -> dict:
    return dict(settings.MAILERS["default"].get("OPTIONS") or {})


def _connect() -> smtplib.SMTP:
    options = _smtp_options()
    host, port = options.get("host", "localhost"), options.get("port") or 25
    timeout = options.get("timeout") or 30
    if options.get("use_ssl"):
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
        if options.get("use_tls"):
            client.starttls(context=ssl.create_default_context())
    if options.get("username"):
        client.login(options["username"], options.get("password") or "")
    return client


def _deliver(message: EmailMessage, envelope_from: str, recipients: list[str]) -> str:
    client = _connect()
    try:
        client.ehlo_or_helo_if_needed()
        _check(*client.mail(envelope_from))
        refused = {}
        for address in recipients:
            code, text = client.rcpt(address)
            if code >= 400:
                refused[address] = (code, text)
        if len(refused) == len(recipients):
            raise smtplib.SMTPRecipientsRefused(refused)
        return _data(client, message)
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _check(code: int, text: bytes) -> None:
    if code >= 400:
        raise smtplib.SMTPResponseException(code, text)


def _data(client: smtplib.SMTP, message: EmailMessage) -> str:
    _expect(client.docmd("DATA"), 354)
    payload = smtplib.quotedata(message.as_bytes().decode("utf-8", "surrogateescape"))
    client.send(payload.encode("utf-8", "surrogateescape").rstrip(b"\r\n") + b"\r\n.\r\n")
    try:
        code, text = client.getreply()
    except (TimeoutError, smtplib.SMTPServerDisconnected) as error:
        raise Uncertain(f"no answer after the message was sent: {error}") from None
    _check(code, text)
    return f"{code} {text.decode(errors='replace')}"


def _expect(reply: tuple[int, bytes], expected: int) -> None:
    code, text = reply
    if code != expected:
        raise smtplib.SMTPResponseException(code, text)


def _record(outbound: OutboundEmail, outcome: Outcome) -> None:
    with transaction.atomic():
        _update(outbound, outcome)
        if outbound.state in {OutboundState.FAILED, OutboundState.UNCERTAIN} and outbound.ticket:
            _note_on_ticket(outbound)


def _note_on_ticket(outbound: OutboundEmail) -> None:
    """A reply the customer may not have received must be visible where agents work."""
    from helpline.tickets.actions import add_system_note

    what = (
        "could not be delivered"
        if outbound.state == OutboundState.FAILED
        else ("may not have been delivered (the mail server did not confirm)")
    )
    add_system_note(
        ticket=outbound.ticket,  # type: ignore[arg-type]
        body=f"Email to {', '.join(outbound.delivered_to)} {what}: {outbound.last_error}",
    )


def _update(outbound: OutboundEmail, outcome: Outcome) -> None:
    outbound.attempts += 1
    outbound.state = outcome.state
    if outcome.state in {OutboundState.SENT, OutboundState.KEPT}:
        outbound.server_response = outcome.detail[:2000]
        outbound.sent_at = clock.now()
        outbound.last_error = ""
    else:
        outbound.last_error = outcome.detail[:2000]
    if outcome.state == OutboundState.QUEUED:
        if outbound.attempts > len(BACKOFF):
            outbound.state = OutboundState.FAILED
        else:
            outbound.next_attempt_at = clock.now() + BACKOFF[outbound.attempts - 1]
    outbound.save()
