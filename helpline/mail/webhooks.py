"""Inbound mail from email providers (Mailgun, Postmark, SendGrid, SES, …) via django-anymail.

Anymail verifies each provider's signature and turns its payload into a MIME
message; from there it is the same pipeline as every other way in.
"""

from typing import Any

from anymail.signals import AnymailInboundEvent

from helpline.mail import actions
from helpline.mail.models import mailbox_for_address


def store_inbound(sender: object, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    message = event.message
    if message is None:
        return
    recipients = [message.envelope_recipient or ""] + [str(a.addr_spec) for a in message.to]
    mailbox = next((m for m in map(mailbox_for_address, filter(None, recipients)) if m), None)
    actions.receive(raw=message.as_bytes(), via=f"anymail:{esp_name.lower()}"[:20], mailbox=mailbox)
