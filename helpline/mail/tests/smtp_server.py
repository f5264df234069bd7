"""A real SMTP server (aiosmtpd) on loopback, with switchable bad behaviour."""

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class RecordingHandler:
    """Keeps what it accepts; `mode` makes it fail the way real servers do."""

    mode: str = "ok"  # ok | tempfail | reject | hang_after_data
    hang_seconds: float = 3.0
    received: list[Message] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)  # RCPT TO of each message
    on_message: Callable[[Message], None] | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.mode == "reject":
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.mode == "tempfail":
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=default)
        self.received.append(message)
        self.envelopes.append(list(envelope.rcpt_tos))
        if self.mode == "hang_after_data":
            await asyncio.sleep(self.hang_seconds)
        if self.on_message is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.on_message, message)
        return "250 2.0.0 Queued as TEST1"


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Message]:
        return self.handler.received

    @property
    def envelopes(self) -> list[list[str]]:
        return self.handler.envelopes
