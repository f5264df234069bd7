"""`helpline mail import`: .eml files, mbox files and Maildir folders through the pipeline."""

import mailbox as mailbox_formats
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from helpline.mail import actions
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

    def add(self, inbound: InboundEmail) -> None:
        outcome = _outcome(inbound)
        self.counts[outcome] += 1
        number = inbound.ticket.number if inbound.ticket else None
        numbers = {"created": self.created_tickets, "appended": self.appended_tickets}
        if number is not None and outcome in numbers and number not in numbers[outcome]:
            numbers[outcome].append(number)

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


def import_path(path: Path, mailbox: Mailbox | None) -> ImportSummary:
    summary = ImportSummary()
    for raw in messages_in(path):
        # Processed here rather than by the worker, so the summary is final.
        if (inbound := actions.import_message(raw=raw, mailbox=mailbox)) is None:
            summary.counts["duplicates"] += 1
        else:
            summary.add(inbound)
    return summary


def _outcome(inbound: InboundEmail) -> str:
    if inbound.state == InboundState.QUARANTINED:
        return "quarantined"
    if inbound.state == InboundState.PENDING:
        return "retrying"
    if inbound.result in {InboundResult.CREATED, InboundResult.APPENDED}:
        return str(inbound.result)
    return "auto_replies_and_bounces"
