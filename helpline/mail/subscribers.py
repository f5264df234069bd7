"""How the email channel plugs into the tickets core: it listens, the core never calls."""

from collections.abc import Mapping, Sequence

from helpline.mail.models import InboundEmail
from helpline.mail.outbox import queue_reply
from helpline.tickets.models import Message, MessageSource, TicketEvent


def mail_agent_reply(event: TicketEvent) -> None:
    """An agent's public reply goes out by email, written to the outbox in the reply's
    own transaction: no reply without its mail, no mail for a reply that rolled back."""
    if event.actor_user_id is None:
        return
    message = Message.objects.get(pk=event.data["message"])
    message.ticket = event.ticket  # the verb's locked, up-to-date ticket
    queue_reply(message)


def email_sources(messages: Sequence[Message]) -> Mapping[int, MessageSource]:
    """Why each emailed message is on its ticket, and its full original when cut."""
    rows = InboundEmail.objects.filter(ticket_message__in=[m.pk for m in messages]).values_list(
        "ticket_message_id", "placement", "full_text", "full_html"
    )
    return {
        message_id: MessageSource(placement=placement, full_text=text, full_html=html)
        for message_id, placement, text, html in rows
    }
