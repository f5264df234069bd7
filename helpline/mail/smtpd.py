"""`helpline mail smtpd`: a built-in SMTP listener (aiosmtpd) for the embedded default.

It answers 250 only after the raw message is committed, like the inbound HTTP
endpoint, so the sending server keeps the message until it is safe here.
"""

import logging
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from helpline.mail import actions
from helpline.mail.models import mailbox_for_address

logger = logging.getLogger(__name__)


def _store(raw: bytes, address: str) -> None:
    close_old_connections()
    actions.receive(raw=raw, via="smtp", mailbox=mailbox_for_address(address))


class InboundHandler:
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if await sync_to_async(mailbox_for_address)(address) is None:
            return "550 5.1.1 No mailbox here by that name"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            await sync_to_async(_store)(raw, envelope.rcpt_tos[0])
        except Exception:
            logger.exception("could not store a message from %s", envelope.mail_from)
            return "451 4.3.0 Could not store the message; try again later"
        return "250 2.0.0 Stored"


def make_controller(host: str, port: int) -> Controller:
    return Controller(
        InboundHandler(), hostname=host, port=port,
        # Twice the limit is accepted (and quarantined as too large, so an admin
        # sees it); more is refused by the protocol before it is read.
        data_size_limit=settings.HELPLINE_MAX_EMAIL_BYTES * 2, decode_data=False,
    )  # fmt: skip


def serve_forever(host: str, port: int, stop: threading.Event) -> None:
    controller = make_controller(host, port)
    controller.start()
    try:
        stop.wait()
    finally:
        controller.stop()
