"""Building raw test mail the way a mail client would."""

import random
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from django.utils import timezone

from helpline.tickets.models import Message


def raw_email(
    *,
    sender: str = "Dana Customer <dana@northwind.example>",
    to: str = "support@helpline.example",
    subject: str = "Printer on fire",
    body: str = "It started smoking.",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    cc: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    if cc:
        mail["Cc"] = cc
    mail["Subject"] = subject
    mail["Date"] = format_datetime(timezone.now())
    mail["Message-ID"] = (
        message_id if message_id is not None else make_msgid(domain="client.example")
    )
    if not mail["Message-ID"]:
        del mail["Message-ID"]
    if in_reply_to:
        mail["In-Reply-To"] = in_reply_to
    if references:
        mail["References"] = references
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    if html:
        mail.add_alternative(html, subtype="html")
    for filename, content, kind in attachments:
        maintype, subtype = kind.split("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(mail)


@dataclass(frozen=True)
class Conversations:
    """Conversations delivered out of order: `order` is (sender, raw message) as they
    arrive; every sender has one conversation, `threads[sender]` its messages."""

    threads: dict[str, list[bytes]]
    order: list[tuple[str, bytes]]
    replies: int
    early: int  # replies that came before the message they answer
    early_twice: int  # messages answered early by more than one reply

    def misthreaded(self) -> dict[str, list[int]]:
        """The senders whose messages are not all on one ticket of their own (or not all
        there), with the tickets their messages are on."""
        wrong = {}
        for sender, mails in self.threads.items():
            written = Message.objects.filter(author_contact__identities__value=parseaddr(sender)[1])
            on = sorted(set(written.values_list("ticket_id", flat=True)))
            if len(on) != 1 or Message.objects.filter(ticket_id=on[0]).count() != len(mails):
                wrong[sender] = on
        return wrong


def shuffled_conversations(seed: int = 278, count: int = 30) -> Conversations:
    """`count` conversations of 2-6 messages, each reply answering the one before or
    the first (so several replies answer one message and none of them names another),
    shuffled as an mbox out of order. Seed 278: 100 replies, 56 early, 10 messages
    answered early twice."""
    rng = random.Random(seed)
    threads: dict[str, list[bytes]] = {}
    answered: dict[str, list[int]] = {}
    for n in range(count):
        sender = f"Customer {n} <c{n}@client{n}.example>"
        ids = [f"<t{n}.m{k}@client{n}.example>" for k in range(rng.randint(2, 6))]
        answers = [0] + [rng.choice([k - 1, 0]) for k in range(1, len(ids))]
        answered[sender] = answers
        threads[sender] = [
            raw_email(
                sender=sender, message_id=message_id, subject=f"Re: Question {n}",
                body=f"Message {k} of conversation {n}.",
                in_reply_to=ids[answers[k]] if k else None,
                references=" ".join(_chain(ids, answers, answers[k])) if k else None,
            )
            for k, message_id in enumerate(ids)
        ]  # fmt: skip
    order = [(sender, k) for sender, mails in threads.items() for k in range(len(mails))]
    rng.shuffle(order)
    seen: set[tuple[str, int]] = set()
    early: Counter[tuple[str, int]] = Counter()
    for sender, k in order:
        if k > 0 and (sender, answered[sender][k]) not in seen:
            early[(sender, answered[sender][k])] += 1
        seen.add((sender, k))
    return Conversations(
        threads=threads,
        order=[(sender, threads[sender][k]) for sender, k in order],
        replies=sum(len(mails) - 1 for mails in threads.values()),
        early=early.total(),
        early_twice=sum(1 for n in early.values() if n > 1),
    )


def _chain(ids: list[str], answers: list[int], k: int) -> list[str]:
    """The References of a reply to message k: k's own chain back to the first, then k."""
    chain = [ids[k]]
    while k:
        k = answers[k]
        chain.insert(0, ids[k])
    return chain
