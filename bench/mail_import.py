"""Benchmark: `helpline mail import` of a 10,000-message Maildir, then the same per message.

    uv run python bench/mail_import.py --db sqlite|postgres [--messages 10000]

Generates a Maildir (new requests, replies threading by In-Reply-To, Cc, HTML, small
attachments, several charsets, a few automatic replies and messages without Message-ID),
then on a fresh, migrated database:

1. times `uv run helpline mail import MAILDIR --json` (wall clock, start-up included),
   then the same command again (every message a duplicate);
2. on a second fresh database, in this process: times `actions.receive` and
   `actions.process` for each message, as the import does, for p50/p95/p99 per message,
   and counts the SQL statements of one new request and one reply.
"""

import argparse
import json
import random
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from harness import (
    REPO,
    bench_env,
    describe_queries,
    load_average,
    percentiles,
    setup_django,
    tree_peak_rss_mib,
)

SUPPORT = "support@helpline.example"
FIRST = ["Dana", "Eve", "Ravi", "Zoë", "José", "Łukasz", "Søren", "Aoife", "Mei", "Olu", "Kenji"]
LAST = ["Customer", "Muñoz", "Okafor", "Schäfer", "Nakamura", "O'Brien", "Dubois", "Lindqvist"]
DOMAINS = ["northwind.example", "globex.example", "initech.example", "umbrella.example"]
PROBLEMS = [
    ("Invoice {n} shows the wrong VAT rate", "Our invoice {n} charges 21% VAT instead of 19%."),
    ("Cannot log in after password reset", "Since the reset this morning the login page reloads."),
    ("Export to CSV hangs at 99%", "The export of report {n} stops at 99% and never finishes."),
    ("Shipment {n} arrived damaged", "Two of the five boxes were crushed; photos attached."),
    ("API returns 502 since this morning", "Every call to /v2/orders returns 502. Request {n}."),
    ("Question about contract {n}", "Is the renewal automatic, and can we pay yearly instead?"),
]
REPLIES = [
    "Thanks, that worked. One more thing: the report still shows last month.",
    "Any news on this? We are still blocked and the customer is asking every hour.",
    "I tried that, but the error is the same. Screenshot attached.",
    "Sorry, I forgot to say: this only happens on the mobile app.",
]
LEGACY = {
    "iso-8859-1": "Merci beaucoup, à bientôt. Grüße aus Köln.",
    "windows-1252": "The “quick” fix cost €40 — again.",
    "koi8-r": "Здравствуйте, у нас не работает печать.",  # noqa: RUF001
    "shift_jis": "お世話になっております。請求書について質問があります。",
    "gb2312": "您好，我们的打印机坏了。",  # noqa: RUF001
}


class Corpus:
    """Messages in delivery order; threads remember their requester, Cc and Message-IDs."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.people = [self._person(i) for i in range(2000)]
        self.threads: list[dict] = []
        self.kinds: Counter[str] = Counter()

    def _person(self, i: int) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        local = f"{first.lower().encode('ascii', 'ignore').decode()}.{i}"
        return f"{first} {last}", f"{local}@{self.rng.choice(DOMAINS)}"

    def message(self, i: int) -> bytes:
        rng, mail = self.rng, EmailMessage()
        roll = rng.random()
        # Replies come within weeks of their request, not years: the latest 3,000 threads.
        thread = rng.choice(self.threads[-3000:]) if self.threads else None
        if thread is not None and roll < 0.25:
            text = self._reply(mail, thread)
        elif thread is not None and roll < 0.27:
            text, thread = self._auto_reply(mail, thread), None
        else:
            text, thread = self._request(mail)
        mail["To"] = formataddr(("Helpline Support", SUPPORT))
        mail["Date"] = format_datetime(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i))
        if rng.random() < 0.01:
            self.kinds["without Message-ID"] += 1
        else:
            mail["Message-ID"] = f"<{i:06d}.{rng.getrandbits(48):x}@mail.client.example>"
            if thread is not None:
                if not thread["ids"]:
                    self.threads.append(thread)
                thread["ids"].append(str(mail["Message-ID"]))
        self._body(mail, f"{text}\n\nMessage {i}.\n")
        return bytes(mail)

    def _request(self, mail: EmailMessage) -> tuple[str, dict]:
        rng = self.rng
        (name, address), number = rng.choice(self.people), rng.randint(10_000, 99_999)
        subject, text = rng.choice(PROBLEMS)
        mail["From"] = formataddr((name, address))
        mail["Subject"] = subject.format(n=number)
        thread: dict = {"from": (name, address), "subject": mail["Subject"], "cc": [], "ids": []}
        if rng.random() < 0.1:
            thread["cc"] = [rng.choice(self.people)]
            mail["Cc"] = formataddr(thread["cc"][0])
        self.kinds["new request"] += 1
        return (
            f"{text.format(n=number)}\n\nIt affects {rng.randint(2, 40)} users.\n\n{name}",
            thread,
        )

    def _reply(self, mail: EmailMessage, thread: dict) -> str:
        sender = self.rng.choice([thread["from"]] * 4 + thread["cc"])
        mail["From"] = formataddr(sender)
        mail["Subject"] = f"Re: {thread['subject']}"
        mail["In-Reply-To"] = thread["ids"][-1]
        mail["References"] = " ".join(thread["ids"][-10:])
        self.kinds["reply"] += 1
        quoted = "\n".join(f"> {line}" for line in self.rng.choice(PROBLEMS)[1].split(". "))
        return f"{self.rng.choice(REPLIES)}\n\n{sender[0]}\n\nOn Monday, Support wrote:\n{quoted}"

    def _auto_reply(self, mail: EmailMessage, thread: dict) -> str:
        mail["From"] = formataddr(thread["from"])
        mail["Subject"] = f"Automatic reply: {thread['subject']}"
        mail["In-Reply-To"] = thread["ids"][-1]
        mail["Auto-Submitted"] = "auto-replied"
        self.kinds["automatic reply"] += 1
        return "I am out of the office until Monday and will read your message then."

    def _body(self, mail: EmailMessage, text: str) -> None:
        rng = self.rng
        charset = "utf-8"
        if rng.random() < 0.08:
            legacy = rng.choice(list(LEGACY))
            text += f"\n{LEGACY[legacy]}\n"
            try:
                text.encode(legacy)
                charset = legacy
            except UnicodeEncodeError:
                pass
        self.kinds[f"charset {charset}"] += 1
        mail.set_content(text, charset=charset)
        if rng.random() < 0.3:
            paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
            mail.add_alternative(f"<html><body>{paragraphs}</body></html>", subtype="html")
            self.kinds["with HTML"] += 1
        if rng.random() < 0.08:
            size = rng.randint(1_000, 30_000)
            name, kind = rng.choice(
                [("screenshot.png", "image/png"), ("Rapport März.pdf", "application/pdf")]
            )
            maintype, subtype = kind.split("/")
            content = rng.randbytes(size)
            mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
            self.kinds["with an attachment"] += 1


def write_maildir(path: Path, count: int, seed: int = 7) -> Counter[str]:
    corpus = Corpus(seed)
    for folder in ("cur", "new", "tmp"):
        (path / folder).mkdir(parents=True)
    for i in range(count):
        name = f"{1_767_225_600 + i * 60}.M{i:06d}P1Q{i}.bench"
        (path / "new" / name).write_bytes(corpus.message(i))
    return corpus.kinds


def timed_cli(env: dict[str, str], *args: str) -> tuple[float, str, float]:
    """Run `uv run helpline ARGS`: (seconds, stdout, peak RSS in MiB of its largest process)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            ["uv", "run", "helpline", *args], cwd=REPO, env=env, stdout=out, stderr=err
        )
        rss = 0.0
        while process.poll() is None:  # VmHWM is a peak: the last reading is (nearly) the top
            rss = max(rss, tree_peak_rss_mib(process.pid)[0])
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"helpline {' '.join(args)} failed: {err.read().decode()[-2000:]}")
        return elapsed, out.read().decode().strip(), rss


def run_cli(env: dict[str, str], maildir: Path, count: int) -> None:
    timed_cli(env, "manage", "migrate", "--verbosity", "0")
    for label in ("CLI import:", "CLI import again:"):
        elapsed, summary, rss = timed_cli(env, "mail", "import", str(maildir), "--json")
        # The counts only: the lists of ticket numbers run to thousands of entries.
        counts = {k: v for k, v in json.loads(summary).items() if isinstance(v, int)}
        print(
            f"{label:18} {count} messages in {elapsed:6.1f} s = {count / elapsed:6.1f} msg/s"
            f"  peak RSS {rss:.0f} MiB\n  {counts}"
        )


def run_in_process(env: dict[str, str], maildir: Path) -> None:
    """receive + process of every message, timed one by one, as import_path does them."""
    timed_cli(env, "manage", "migrate", "--verbosity", "0")
    setup_django(env)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from helpline.mail import actions
    from helpline.mail.importer import messages_in

    times: dict[str, list[float]] = {"receive": [], "process": [], "total": []}
    by_result: dict[str, list[float]] = {}
    started = time.perf_counter()
    for raw in messages_in(maildir):
        t0 = time.perf_counter()
        received = actions.receive(raw=raw, via="import", mailbox=None, queue_processing=False)
        t1 = time.perf_counter()
        inbound = actions.process(inbound_id=received.inbound.pk)
        t2 = time.perf_counter()
        times["receive"].append(t1 - t0)
        times["process"].append(t2 - t1)
        times["total"].append(t2 - t0)
        by_result.setdefault(inbound.result or inbound.state, []).append(t2 - t0)
    wall = time.perf_counter() - started
    count = len(times["total"])
    print(f"in-process:        {count} messages in {wall:6.1f} s = {count / wall:6.1f} msg/s")
    for name, values in times.items():
        print(f"  {name:18} {percentiles(values)}  mean {statistics.fmean(values) * 1000:5.1f} ms")
    for name, values in sorted(by_result.items()):
        print(f"  {name + f' ({len(values)})':18} {percentiles(values)}")
    tenth = max(count // 10, 1)  # does a message cost more as the tables grow?
    early, late = times["total"][:tenth], times["total"][-tenth:]
    print(
        f"  first {tenth} messages: mean {statistics.fmean(early) * 1000:5.1f} ms;"
        f" last {tenth}: mean {statistics.fmean(late) * 1000:5.1f} ms"
    )
    for kind, raw in sample_messages().items():
        with CaptureQueriesContext(connection) as captured:
            received = actions.receive(raw=raw, via="import", mailbox=None, queue_processing=False)
            actions.process(inbound_id=received.inbound.pk)
        print(f"  SQL for one {kind}: {describe_queries(captured.captured_queries)}")


def sample_messages() -> dict[str, bytes]:
    """A new request from a requester already known, then a reply to it."""
    from helpline.tickets.models import Ticket

    ticket = Ticket.objects.order_by("id").first()
    assert ticket is not None
    new, reply = EmailMessage(), EmailMessage()
    for mail, subject in ((new, "Counted request"), (reply, "Re: Counted request")):
        mail["From"], mail["To"], mail["Subject"] = ticket.requester.primary_email, SUPPORT, subject
        mail.set_content(f"{subject}: please count my statements.\n")
    new["Message-ID"] = "<counted-new@mail.client.example>"
    reply["Message-ID"] = "<counted-reply@mail.client.example>"
    reply["In-Reply-To"] = "<counted-new@mail.client.example>"
    return {"new request": bytes(new), "reply": bytes(reply)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="helpline-maildir-") as folder:
        maildir = Path(folder) / "Maildir"
        started = time.perf_counter()
        kinds = write_maildir(maildir, args.messages)
        size = sum(f.stat().st_size for f in (maildir / "new").iterdir()) / 2**20
        print(f"db={args.db}  Maildir: {args.messages} messages, {size:.1f} MiB, written in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        print("  " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items())))
        print(load_average())
        with bench_env(args.db, "helpline_bench_mail") as env:
            run_cli(env, maildir, args.messages)
        print(load_average())
        with bench_env(args.db, "helpline_bench_mail_inproc") as env:
            run_in_process(env, maildir)
        print(load_average())


if __name__ == "__main__":
    main()
