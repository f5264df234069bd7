"""Crash test: SIGKILL the mail import and the worker at random points while 500 messages
come in, restart them, and check that nothing was lost and nothing was done twice.

The processes are the real `python -m helpline.cli` commands, on the test's own database
(hence `transaction=True`: they must see the test's commits, and it theirs):

1. Worker under fire. The first 100 messages (all new requests) are stored the way IMAP
   polling and inbound HTTP store them: `actions.receive()`, which queues a job. A
   `helpline worker --batch` is killed three times after a random number of them has been
   processed. A job killed mid-way stays "running" and its message pending until the
   scheduler's sweep (`requeue_stuck_inbound`, after 5 minutes; here the clock is moved)
   queues it again; a last worker finishes. A reply whose original is still pending
   processes that original first, so the share holds replies too.
2. Import under fire. `helpline mail import MAILDIR --mailbox … --json` over all 500
   messages, raced every other round by a second import of the same Maildir. Killed in
   one round in five after a random delay (0.2-2.0 s, often still starting up or
   re-reading the messages stored before), otherwise just after a random number (10-60)
   of new messages was stored. After 8 kills part-way through (or 3 minutes), one
   import runs to the end.
3. An import runs once more: every message is a duplicate, and no job is left queued.

Then: exactly one stored message per message, all processed on their first attempt, one
ticket message each, replies on their thread's ticket, one acknowledgement per ticket that came in live (not imported)
within the rate limit, and no mail delivered twice. Set HELPLINE_CRASH_SEED to vary the
messages and the kill points (the seed is printed).
"""

import email
import json
import logging
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from helpline.lib import clock
from helpline.mail import actions
from helpline.mail.models import (
    InboundEmail,
    InboundResult,
    InboundState,
    Mailbox,
    MessageReference,
    OutboundEmail,
    OutboundKind,
    OutboundState,
)
from helpline.mail.tasks import requeue_stuck_inbound
from helpline.mail.tests.smtp_server import SmtpServer
from helpline.tickets.models import Blob, Channel, Message, Ticket

SEED = int(os.environ.get("HELPLINE_CRASH_SEED", "20261123"))
MESSAGES = 500
WORKER_SHARE = 100  # phase 1
SUPPORT = "support@helpline.example"
MAX_IMPORT_ROUNDS = 30
KILL_DELAY = (0.2, 2.0)  # seconds after the start; a run needs ~1.1 s before its first message
# Kills stop after this many mid-import kills, or this long (a slow machine must not
# end the phase before the kills the test asserts): then one import runs to the end.
ENOUGH_MID_IMPORT_KILLS = 8
PHASE_SECONDS = 180
FORBIDDEN = ("database is locked", "Traceback", " ERROR ")


# The corpus --------------------------------------------------------------------------


FIRST_NAMES = [
    "Dana", "Eve", "Ravi", "Zoë", "José", "Łukasz", "Søren", "Aoife", "Mei", "Olu",
    "Hannah", "Tomás", "Ingrid", "Kenji", "Fatima", "Pierre", "Anja", "Chidi", "Lars", "Noor",
]  # fmt: skip
LAST_NAMES = [
    "Customer",
    "Muñoz",
    "Okafor",
    "Schäfer",
    "Nakamura",
    "O'Brien",
    "Dubois",
    "Lindqvist",
]
DOMAINS = ["northwind.example", "globex.example", "initech.example", "umbrella.example"]
PROBLEMS = [
    ("Invoice {n} shows the wrong VAT rate", "Our invoice {n} charges 21% VAT, but we are registered in a country with 19%. Could you reissue it?"),
    ("Cannot log in after password reset", "I reset my password this morning and now the login page just reloads. I tried two browsers."),
    ("Export to CSV hangs at 99%", "The export of report {n} stops at 99% and never finishes. It worked last week."),
    ("Printer on fire", "It started smoking after the firmware update. Serial number {n}."),
    ("Question about our contract", "Is the renewal of contract {n} automatic, and can we switch to yearly billing?"),
    ("Shipment {n} arrived damaged", "Two of the five boxes were crushed. Photos are attached where I could."),
    ("API returns 502 since this morning", "Every call to /v2/orders returns 502 Bad Gateway. Request id {n}."),
    ("Please add a colleague to our account", "Could you give my colleague access to workspace {n}? She needs the reports."),
]  # fmt: skip
CHARSET_TEXT = {
    "iso-8859-1": "Merci beaucoup, à bientôt. Grüße aus Köln, señor Muñoz.",
    "windows-1252": "The “quick” fix cost €40 — again.",
    "koi8-r": "Здравствуйте, у нас не работает печать.",  # noqa: RUF001
    "shift_jis": "お世話になっております。請求書について質問があります。",
}
ATTACHMENTS = [
    ("screenshot.png", "image/png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    ("Rapport März.pdf", "application/pdf", b"%PDF-1.4\n" + b"0123456789abcdef" * 120),
    ("orders.csv", "text/csv", b"order,qty\n" + b"".join(b"%d,%d\n" % (i, i % 7) for i in range(300))),
]  # fmt: skip


@dataclass(frozen=True)
class Person:
    name: str
    address: str


@dataclass
class Mail:
    index: int
    token: str  # the first words of the body: how a ticket message is traced to its mail
    sender: Person
    subject: str
    message_id: str  # "" for the few sent without one
    root: int  # the thread's first message (itself for a new request)
    body: str
    raw: bytes = b""
    ccs: list[Person] = field(default_factory=list)


def _people(rng: random.Random) -> list[Person]:
    people = []
    for i in range(120):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first.lower().encode('ascii', 'ignore').decode()}.{i}"
        people.append(Person(f"{first} {last}", f"{local}@{rng.choice(DOMAINS)}"))
    return people


def build_corpus(seed: int) -> list[Mail]:
    """500 messages in delivery order: ~1 in 5 a reply (In-Reply-To an earlier message of
    the thread, from its requester or a CC), a few without Message-ID, some with HTML,
    attachments or another charset than UTF-8."""
    rng = random.Random(seed)
    people = _people(rng)
    mails: list[Mail] = []
    for i in range(MESSAGES):
        token = f"CR-{i:04d}"
        threads = [m for m in mails if m.message_id]
        if threads and rng.random() < 0.25:
            mail = _reply(rng, i, token, rng.choice(threads), mails)
        else:
            mail = _request(rng, i, token, people)
        mail.raw = _render(rng, mail, mails)
        mails.append(mail)
    return mails


def _request(rng: random.Random, i: int, token: str, people: list[Person]) -> Mail:
    subject, text = rng.choice(PROBLEMS)
    number = rng.randint(10_000, 99_999)
    sender = rng.choice(people)
    message_id = (
        "" if rng.random() < 0.02 else f"{i:04d}.{rng.getrandbits(40):x}@mail.client.example"
    )
    body = (
        f"{token}: {text.format(n=number)}\n\n"
        f"We noticed it on {rng.choice(['Monday', 'Tuesday', 'Friday'])}; it affects "
        f"{rng.randint(2, 40)} of our users.\n\nKind regards,\n{sender.name}\n"
    )
    mail = Mail(i, token, sender, subject.format(n=number), message_id, i, body)
    if rng.random() < 0.12:
        mail.ccs = [p for p in rng.sample(people, 2) if p != sender][:1]
    return mail


def _reply(rng: random.Random, i: int, token: str, parent: Mail, mails: list[Mail]) -> Mail:
    root = mails[parent.root]
    sender = rng.choice([root.sender, root.sender, root.sender, *root.ccs])
    body = rng.choice(
        [
            "Thanks, that worked. One more thing: the report still shows last month.",
            "Any news on this? We are still blocked.",
            "I tried that, but the error is the same. Screenshot attached where I could.",
            "Sorry, I forgot to say: this happens only on the mobile app.",
        ]
    )
    quoted = "".join(f"> {line}\n" for line in parent.body.splitlines())
    text = f"{token}: {body}\n\n{sender.name}\n\nOn Monday, {parent.sender.name} wrote:\n{quoted}"
    subject = root.subject if root.subject.startswith("Re: ") else f"Re: {root.subject}"
    message_id = f"{i:04d}.{rng.getrandbits(40):x}@mail.client.example"
    return Mail(i, token, sender, subject, message_id, root.index, text)


def _references(mail: Mail, mails: list[Mail]) -> list[str]:
    return [f"<{m.message_id}>" for m in mails if m.root == mail.root and m.message_id]


def _render(rng: random.Random, mail: Mail, mails: list[Mail]) -> bytes:
    message = EmailMessage()
    message["From"] = formataddr((mail.sender.name, mail.sender.address))
    message["To"] = formataddr(("Helpline Support", SUPPORT))
    if mail.ccs:
        message["Cc"] = ", ".join(formataddr((p.name, p.address)) for p in mail.ccs)
    message["Subject"] = mail.subject
    sent = datetime(2026, 11, 2, 8, 0, tzinfo=UTC) + timedelta(minutes=7 * mail.index)
    message["Date"] = format_datetime(sent)
    if mail.message_id:
        message["Message-ID"] = f"<{mail.message_id}>"
    if mail.root != mail.index:
        chain = _references(mail, mails)
        message["In-Reply-To"] = chain[-1]
        message["References"] = " ".join(chain)
    charset, body = "utf-8", mail.body
    if rng.random() < 0.12:  # a legacy charset, when the text fits in it (as clients choose)
        legacy = rng.choice(list(CHARSET_TEXT))
        body = f"{mail.body}\n{CHARSET_TEXT[legacy]}\n"
        charset = legacy if _fits(body, legacy) else "utf-8"
    message.set_content(body, charset=charset)
    if rng.random() < 0.15:
        paragraphs = "".join(f"<p>{line}</p>" for line in body.split("\n\n"))
        message.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
    if rng.random() < 0.05:
        name, kind, content = rng.choice(ATTACHMENTS)
        maintype, subtype = kind.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return bytes(message)


def describe(mails: list[Mail]) -> str:
    parts = [email.message_from_bytes(m.raw).walk() for m in mails]
    kinds = Counter(
        p.get_content_charset() or p.get_content_type()
        for ps in parts
        for p in ps
        if not p.is_multipart()
    )
    replies = sum(1 for m in mails if m.root != m.index)
    return (
        f"{len(mails)} messages: {replies} replies, {sum(not m.message_id for m in mails)} "
        f"without Message-ID, {sum(bool(m.ccs) for m in mails)} with Cc; parts {dict(kinds)}"
    )


def _fits(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def write_maildir(path: Path, mails: list[Mail]) -> Path:
    """Delivery order is the order of the names (seconds, then microseconds), as the importer reads it."""
    for folder in ("cur", "new", "tmp"):
        (path / folder).mkdir(parents=True)
    for mail in mails:
        name = f"{1_795_400_000 + mail.index * 60}.M{mail.index:06d}P4242Q{mail.index}.crashtest"
        (path / "new" / name).write_bytes(mail.raw)
    return path


# Running and killing the real processes ------------------------------------------------


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    pytest.skip(f"the crash test runs on SQLite and PostgreSQL, not {connection.vendor}")


@dataclass
class Run:
    """One `python -m helpline.cli …` process, its output in files (a pipe could fill up)."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    killed: bool = False

    def wait_or_kill(self, seconds: float) -> None:
        """Wait up to `seconds`; if it is still running then, SIGKILL it."""
        try:
            self.process.wait(timeout=max(seconds, 0))
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.killed = True
        self.process.wait(timeout=30)

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")


class Cli:
    def __init__(self, tmp_path: Path, smtp_port: int) -> None:
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        self.env.update(
            DATABASE_URL=database_url(), HELPLINE_VAR_DIR=str(tmp_path),
            SECRET_KEY=settings.SECRET_KEY, LOG_LEVEL="WARNING",
            EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port), EMAIL_TIMEOUT="10",
        )  # fmt: skip
        self.runs: list[Run] = []

    def start(self, *args: str) -> Run:
        number = len(self.runs)
        out, err = self.logs / f"{number:03d}.out", self.logs / f"{number:03d}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "helpline.cli", *args],
                stdout=stdout, stderr=stderr, env=self.env, cwd=settings.BASE_DIR.parent,
            )  # fmt: skip
        run = Run(process, out, err)
        self.runs.append(run)
        return run

    def stop_all(self) -> None:
        """After a failure: no process outlives the test (and holds its database)."""
        for run in self.runs:
            if run.process.poll() is None:
                run.kill()

    def check_outputs(self) -> None:
        """Killed or not, no process may have hit a lock timeout or an error."""
        for number, run in enumerate(self.runs):
            text = run.output()
            assert not any(bad in text for bad in FORBIDDEN), f"run {number}:\n{text[-3000:]}"
            if not run.killed:
                assert run.returncode == 0, f"run {number} exited {run.returncode}:\n{text[-3000:]}"


def kill_when(
    run: Run, reached: Callable[[], bool], jitter: float = 0, seconds: float = 120
) -> bool:
    """SIGKILL `run` `jitter` seconds after `reached()` turns true; False if it ended before."""
    deadline = time.monotonic() + seconds
    while run.process.poll() is None and time.monotonic() < deadline:
        if reached():
            time.sleep(jitter)
            run.kill()
            return run.killed
        time.sleep(0.005)
    run.kill()
    return run.killed


def reaches(count: Callable[[], int], target: int) -> Callable[[], bool]:
    return lambda: count() >= target


def stored() -> int:
    return InboundEmail.objects.count()


def processed() -> int:
    return InboundEmail.objects.filter(state=InboundState.PROCESSED).count()


def pending() -> int:
    return InboundEmail.objects.filter(state=InboundState.PENDING).count()


def ready_jobs() -> int:
    return DBTaskResult.objects.ready().count()


# Phases -------------------------------------------------------------------------------


@dataclass
class Journal:
    """What happened, printed as it happens and shown with any failure."""

    lines: list[str] = field(default_factory=list)
    mid_import_kills: int = 0
    worker_kills: int = 0

    def add(self, line: str) -> None:
        self.lines.append(line)
        print(line)

    def __str__(self) -> str:
        return "\n".join(self.lines)


def worker_under_fire(cli: Cli, rng: random.Random, mails: list[Mail], mailbox, journal) -> None:
    """Stored and queued as IMAP polling does; a worker killed three times while it processes."""
    for mail in mails[:WORKER_SHARE]:
        actions.receive(raw=mail.raw, via="imap", mailbox=mailbox)
    for _ in range(3):
        target = processed() + rng.randint(5, 25)
        run = cli.start("worker", "--batch")
        if kill_when(run, reaches(processed, target), rng.uniform(0, 0.01)):
            journal.worker_kills += 1
        journal.add(f"worker: killed={run.killed} at processed {processed()}, pending {pending()}")
    running = DBTaskResult.objects.filter(status="RUNNING").count()
    # A killed job stays "running" for ever; the scheduler's sweep (messages pending for
    # more than 5 minutes) queues its message again. Here the clock is moved instead.
    with clock.frozen(timezone.now() + timedelta(minutes=6)):
        requeued = requeue_stuck_inbound.call()
    journal.add(f"worker: {running} jobs left running; requeue_stuck_inbound queued {requeued}")
    cli.start("worker", "--batch").wait_or_kill(120)
    assert processed() == WORKER_SHARE, journal


def import_under_fire(cli: Cli, rng: random.Random, maildir: Path, journal) -> dict[str, int]:
    """Import rounds, every other one raced by a second import, killed until one finishes."""
    started = time.monotonic()
    command = ("mail", "import", str(maildir), "--mailbox", SUPPORT, "--json")
    for round_no in range(1, MAX_IMPORT_ROUNDS + 1):
        before = stored()
        importer = cli.start(*command)
        racer = cli.start(*command) if round_no % 2 else None
        if (
            round_no == MAX_IMPORT_ROUNDS
            or journal.mid_import_kills >= ENOUGH_MID_IMPORT_KILLS
            or time.monotonic() - started > PHASE_SECONDS
        ):
            how = "no kill"
            importer.wait_or_kill(300)
            assert not importer.killed, f"the import did not end in 300 s\n{journal}"
        elif rng.random() < 0.2:  # a moment, often during start-up or the re-read of the Maildir
            delay = rng.uniform(*KILL_DELAY)
            how = f"kill after {delay:.2f} s"
            importer.wait_or_kill(delay)
        else:  # a message: just after the n-th new one was stored
            target = before + rng.randint(10, 60)
            how = f"kill at message {target}"
            kill_when(importer, reaches(stored, target), rng.uniform(0, 0.01))
        if racer is not None:
            racer.wait_or_kill(rng.uniform(0, 0.3) if importer.killed else 5)
        after = stored()
        journal.mid_import_kills += importer.killed and before < after < MESSAGES
        journal.add(
            f"import {round_no:2d}: {how:22} killed={importer.killed!s:5} stored +{after - before}"
            f" = {after}, processed {processed()}, pending {pending()}"
            + (f"; racing import killed={racer.killed}" if racer else "")
        )
        if not importer.killed:
            assert importer.returncode == 0, importer.output()
            return json.loads(importer.out.read_text())
    raise AssertionError(f"no import finished\n{journal}")


# The test ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_killed_import_and_worker_lose_nothing_and_do_nothing_twice(tmp_path, caplog):
    database_url()  # skips on other databases
    caplog.set_level(logging.WARNING, logger="mail.log")  # the SMTP server's chatter
    rng = random.Random(SEED)
    journal = Journal()
    journal.add(f"HELPLINE_CRASH_SEED={SEED} on {connection.vendor}")
    mails = build_corpus(SEED)
    journal.add(describe(mails))
    maildir = write_maildir(tmp_path / "Maildir", mails)
    mailbox = Mailbox.objects.create(address=SUPPORT, display_name="Helpline Support")
    began = time.monotonic()
    with SmtpServer() as smtp:
        cli = Cli(tmp_path, smtp.port)
        try:
            worker_under_fire(cli, rng, mails, mailbox, journal)
            summary = import_under_fire(cli, rng, maildir, journal)
            # An import that exits 0 has finished every message it read, however many
            # runs before it were killed between storing a message and processing it.
            assert pending() == 0, journal
            again = cli.start("mail", "import", str(maildir), "--mailbox", SUPPORT, "--json")
            again.wait_or_kill(120)
        finally:
            cli.stop_all()
        delivered = [str(m["Message-ID"]).strip("<>") for m in smtp.received]
    journal.add(f"final import: {summary}; once more: {again.out.read_text().strip()}")
    killed = sum(1 for r in cli.runs if r.killed)
    journal.add(f"{len(cli.runs)} processes, {killed} killed, {time.monotonic() - began:.1f} s")
    cli.check_outputs()

    assert journal.worker_kills >= 3, journal  # killed while it processed messages
    assert journal.mid_import_kills >= 5, journal  # killed with the import part-way through
    assert json.loads(again.out.read_text())["duplicates"] == MESSAGES
    assert summary["quarantined"] == summary["retrying"] == 0
    assert ready_jobs() == 0  # imports process what they store themselves
    check_inbound(mails)
    check_tickets(mails)
    check_outbox(mails, delivered)
    check_files()


def check_inbound(mails: list[Mail]) -> None:
    """0 lost, 0 duplicated: one stored row per message, each processed on its first try."""
    expected = {actions.dedupe_key(m.raw)[0] for m in mails}
    rows = list(InboundEmail.objects.values_list("dedupe_key", "state", "attempts", "error"))
    assert len(rows) == MESSAGES
    assert {key for key, *_ in rows} == expected
    assert Counter(state for _, state, _, _ in rows) == {InboundState.PROCESSED: MESSAGES}
    # A second attempt would mean a failed one (a lock timeout, say) before it.
    assert [row for row in rows if row[2] != 1 or row[3]] == []


def check_tickets(mails: list[Mail]) -> None:
    inbound = {i.dedupe_key: i for i in InboundEmail.objects.select_related("ticket_message")}
    by_mail = {m.index: inbound[actions.dedupe_key(m.raw)[0]] for m in mails}
    requests = [m for m in mails if m.root == m.index]
    assert Ticket.objects.count() == len(requests)
    assert Message.objects.count() == MESSAGES
    assert (
        Message.objects.filter(channel=Channel.EMAIL, author_contact__isnull=False).count()
        == MESSAGES
    )
    message_ids = [row.ticket_message_id for row in by_mail.values()]
    assert None not in message_ids
    assert len(set(message_ids)) == MESSAGES  # no two stored messages share a ticket message
    for mail in mails:
        row = by_mail[mail.index]
        wanted = InboundResult.CREATED if mail.root == mail.index else InboundResult.APPENDED
        assert (row.result, row.ticket_id) == (wanted, by_mail[mail.root].ticket_id), mail.token
        message = row.ticket_message
        assert message is not None
        assert message.ticket_id == row.ticket_id
        assert message.body_text.startswith(f"{mail.token}: "), mail.token
    tokens = Counter(m.body_text.split(":", 1)[0] for m in Message.objects.all())
    assert tokens == Counter(m.token for m in mails)  # each mail's text once, none twice
    same_body = (
        Message.objects.values("ticket", "body_text").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert list(same_body) == []
    with_id = sum(1 for m in mails if m.message_id)
    assert MessageReference.objects.filter(outgoing=False).count() == with_id


def check_outbox(mails: list[Mail], delivered: list[str]) -> None:
    """One acknowledgement per new ticket that came in live (imported mail is history and is
    not acknowledged), within 5 per address and hour; none sent twice."""
    live = mails[:WORKER_SHARE]
    per_requester = Counter(m.sender.address for m in live if m.root == m.index)
    limit = settings.HELPLINE_AUTO_REPLY_LIMIT
    acks = OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT)
    assert acks.count() == sum(min(limit, n) for n in per_requester.values())
    assert not acks.values("ticket").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert [mid for mid, n in Counter(delivered).items() if n > 1] == []
    sent = set(acks.filter(state=OutboundState.SENT).values_list("rfc_message_id", flat=True))
    assert sent <= set(delivered)
    assert set(delivered) <= set(acks.values_list("rfc_message_id", flat=True))


def check_files() -> None:
    """Attachments were written before their rows: no row without its file."""
    assert Blob.objects.exists()
    missing = [b.sha256 for b in Blob.objects.all() if not default_storage.exists(b.storage_name)]
    assert missing == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            assert cursor.fetchone()[0] == "ok"
