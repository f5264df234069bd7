"""`helpline mail import`: .eml files, mbox files and Maildir folders through the pipeline."""

import mailbox as mailbox_formats
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

from helpline.mail import actions
from helpline.mail.import_jobs import import_in_processes
from helpline.mail.models import InboundEmail, InboundResult, InboundState, Mailbox

SUMMARY_KEYS = [
    "created", "appended", "duplicates", "quarantined", "auto_replies_and_bounces", "retrying",
]  # fmt: skip


class ImportSourceError(Exception):
    pass


MAILDIR_NAME = re.compile(r"^(\d+)\.(?:M(\d+))?")


def delivery_order(key: str) -> tuple[int, int, str]:
    """Maildir names start with the delivery time (seconds, then microseconds):
    replies are imported after the messages they answer."""
    match = MAILDIR_NAME.match(key)
    if match is None:
        return (2**63, 0, key)
    return (int(match.group(1)), int(match.group(2) or 0), key)


def messages_in(path: Path) -> Iterator[bytes]:
    if path.is_dir():
        if (path / "cur").is_dir() or (path / "new").is_dir():
            maildir = mailbox_formats.Maildir(path, create=False)
            for key in sorted(maildir.iterkeys(), key=delivery_order):
                yield maildir.get_bytes(key)
            return
        for file in sorted(path.glob("*.eml")):
            yield file.read_bytes()
        return
    if not path.is_file():
        raise ImportSourceError(f"{path} is neither a file nor a folder")
    with path.open("rb") as handle:
        is_mbox = handle.read(5) == b"From "
    if not is_mbox:
        yield path.read_bytes()
        return
    box = mailbox_formats.mbox(path, create=False)
    for key in box.iterkeys():
        yield box.get_bytes(key)


@dataclass
class ImportSummary:
    """How many messages ended where, and the numbers of the tickets they made or joined."""

    counts: Counter[str] = field(default_factory=lambda: Counter(dict.fromkeys(SUMMARY_KEYS, 0)))
    created_tickets: list[int] = field(default_factory=list)
    appended_tickets: list[int] = field(default_factory=list)

    def add(self, what: tuple[str, int | None]) -> None:
        outcome, number = what
        self.counts[outcome] += 1
        numbers = {"created": self.created_tickets, "appended": self.appended_tickets}
        if number is not None and outcome in numbers and number not in numbers[outcome]:
            numbers[outcome].append(number)

    def sort(self) -> None:
        """Ticket numbers in order: processes at once finish them in any order."""
        self.created_tickets.sort()
        self.appended_tickets.sort()

    def as_dict(self) -> dict[str, int | list[int]]:
        return {
            **self.counts,
            "created_tickets": self.created_tickets,
            "appended_tickets": self.appended_tickets,
        }

    def as_text(self) -> str:
        """`created: 2 (#7, #8), appended: 1 (#3), duplicates: 0, …`"""
        numbers = {"created": self.created_tickets, "appended": self.appended_tickets}
        parts = []
        for key, value in self.counts.items():
            listed = ", ".join(f"#{n}" for n in numbers.get(key, []))
            parts.append(f"{key.replace('_', ' ')}: {value}" + (f" ({listed})" if listed else ""))
        return ", ".join(parts)


def import_path(path: Path, mailbox: Mailbox | None, jobs: int = 1) -> ImportSummary:
    """Import every message, in delivery order; with `jobs` > 1 in that many processes
    at once (PostgreSQL only: import_jobs.py), unless called inside a transaction."""
    summary = ImportSummary()

    def handle(raw: bytes) -> tuple[str, int | None]:
        # Processed here rather than by the worker, so the summary is final.
        return outcome_of(actions.import_message(raw=raw, mailbox=mailbox))

    # Inside a transaction (a test's) other processes would not see its rows.
    if jobs > 1 and not connection.in_atomic_block:
        ours = Mailbox.objects.addresses()
        import_in_processes(messages_in(path), jobs, ours=ours, handle=handle, record=summary.add)
        summary.sort()
        return summary
    for raw in messages_in(path):
        summary.add(handle(raw))
    return summary


def outcome_of(inbound: InboundEmail | None) -> tuple[str, int | None]:
    """Where the message ended, and its ticket's number; None was a duplicate."""
    if inbound is None:
        return "duplicates", None
    return _outcome(inbound), inbound.ticket.number if inbound.ticket else None


def _outcome(inbound: InboundEmail) -> str:
    if inbound.state == InboundState.QUARANTINED:
        return "quarantined"
    if inbound.state == InboundState.PENDING:
        return "retrying"
    if inbound.result in {InboundResult.CREATED, InboundResult.APPENDED}:
        return str(inbound.result)
    return "auto_replies_and_bounces"
