"""Benchmark: free-text search (`q`) over 100,000 tickets, in-process and over HTTP.

    uv run python bench/search.py --db sqlite|postgres [--tickets 100000] [--requests 100]
        [--keep DIR [--pg-name NAME]]

Fills a fresh database by bulk_create (tickets with realistic subjects, 1-4 messages
each of English support prose, 3% in Japanese; the search indexes are maintained by
the migration's triggers / expression indexes while it fills), then times, for each
kind of query, the filter function (TicketFilter.from_params({"q": …}).apply(…): the
first 51 ids, their rows, the 50 snippets, as the API does) and `GET /api/v1/tickets?q=…&limit=50`.

`--keep DIR` keeps the data set for the next run (SQLite in DIR, PostgreSQL in the
database `--pg-name`, default helpline_bench_search): a run that finds it already filled
only migrates (new indexes) and measures. Filling takes about 10 minutes.
"""

import argparse
import random
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
from harness import (
    bench_env,
    create_admin_token,
    load_average,
    percentiles,
    running_server,
    setup_django,
)
from list_latency import ADMIN, STATUS_WEIGHTS, make_people

COMMON = "printer"  # in about a third of the tickets
RARE = [
    f"zeta{w}" for w in ("quark", "flume", "brine", "gusto", "hatch", "ivory", "joust", "knack")
]
WORDS = [
    "the",
    "a",
    "to",
    "and",
    "of",
    "is",
    "it",
    "we",
    "you",
    "i",
    "for",
    "on",
    "in",
    "that",
    "this",
    "with",
    "not",
    "after",
    "can",
    "be",
    "have",
    "my",
    "our",
    "your",
    "please",
    "when",
    "from",
    "but",
    "are",
    "was",
    "error",
    "still",
    "again",
    "now",
    "there",
    "any",
    "since",
    "update",
    "account",
    "login",
    "password",
    "email",
    "invoice",
    "order",
    "payment",
    "refund",
    "page",
    "screen",
    "app",
    "version",
    "browser",
    "phone",
    "customer",
    "support",
    "team",
    "issue",
    "problem",
    "help",
    "working",
    "broken",
    "slow",
    "crash",
    "sync",
    "export",
    "import",
    "report",
    "file",
    "upload",
    "download",
    "settings",
    "access",
    "user",
    "admin",
    "license",
    "plan",
    "billing",
    "charge",
    "card",
    "bank",
    "server",
    "network",
    "connection",
    "timeout",
    "message",
    "notification",
    "calendar",
    "meeting",
    "link",
    "button",
    "click",
    "open",
    "close",
    "save",
    "delete",
    "restore",
    "backup",
    "data",
    "missing",
    "wrong",
    "shows",
    "displays",
    "tried",
    "restarted",
    "cleared",
    "cache",
    "cookies",
    "reinstalled",
    "yesterday",
    "today",
    "morning",
    "week",
    "month",
    "urgent",
    "soon",
    "thanks",
    "regards",
    "hello",
    "hi",
    "team",
    "colleague",
    "office",
    "laptop",
    "windows",
    "mac",
    "android",
    "iphone",
    "update",
    "install",
    "configure",
    "reset",
    "unlock",
    "verify",
    "confirm",
]
SUBJECTS = [
    "Cannot log in", "Invoice is wrong", "Refund request", "App crashes on start",
    "Export to CSV fails", "Password reset email never arrives", "Charged twice",
    "Sync stopped working", "Slow dashboard", "Question about my plan", "Upload fails",
    "Notification settings", "Account locked", "Calendar link broken", "Missing data",
]  # fmt: skip
JAPANESE = [
    "プリンターが動きません。至急対応をお願いします。",
    "請求書の金額が間違っています。確認してください。",
    "ログインできません。パスワードを再設定しました。",
    "データのエクスポートが失敗します。",
]


def prose(rng: random.Random, words: int) -> str:
    text = rng.choices(WORDS, weights=[1 / (i + 1) for i in range(len(WORDS))], k=words)
    return " ".join(text).capitalize() + "."


def fill(count: int, seed: int = 7) -> None:
    from django.db import transaction

    from helpline.accounts.models import User
    from helpline.lib import clock
    from helpline.tickets.models import Counter, Message, Status, Ticket

    rng = random.Random(seed)
    with transaction.atomic():
        (me, *agents), contacts = make_people(rng, 20_000)
        statuses = {s.slug: s for s in Status.objects.all()}
        slugs, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        now = clock.now()
        tickets = []
        for i in range(count):
            updated = now - timedelta(seconds=rng.randrange(365 * 86400))
            tickets.append(Ticket(
                number=1001 + i, subject=rng.choice(SUBJECTS), requester=rng.choice(contacts),
                status=statuses[rng.choices(slugs, weights)[0]], updated_at=updated,
                assignee=rng.choice([me, None, *agents]), created_at=updated - timedelta(days=1),
            ))  # fmt: skip
        tickets = Ticket.objects.bulk_create(tickets, batch_size=2000)
        messages = []
        for index, ticket in enumerate(tickets):
            for position in range(rng.choice([1, 2, 2, 3, 4])):
                if index % 33 == 0:
                    body = rng.choice(JAPANESE)
                else:
                    body = prose(rng, rng.randrange(15, 60))
                    if rng.random() < 0.15:
                        body += f" My printer {rng.choice(['jams', 'is offline', 'prints blank'])}."
                if position == 0:  # each rare word in 1% of the tickets, each in other ones
                    body += "".join(
                        f" Reference {word}." for j, word in enumerate(RARE)
                        if (index + j * 13) % 100 == 0
                    )  # fmt: skip
                messages.append(Message(
                    ticket=ticket, body_text=body, body_html="", author_kind="contact",
                    author_contact_id=ticket.requester_id, is_public=position != 3,
                    created_at=ticket.created_at + timedelta(minutes=position),
                ))  # fmt: skip
            if len(messages) > 20_000:
                Message.objects.bulk_create(messages, batch_size=5000)
                messages = []
        Message.objects.bulk_create(messages, batch_size=5000)
        Counter.objects.update_or_create(name="ticket", defaults={"value": 1000 + count})
        User.objects.filter(pk=me.pk).update(sees_all_tickets=True)
    print(f"filled {count} tickets, {Message.objects.count()} messages, 20,000 contacts")


def queries(rng: random.Random, count: int) -> dict[str, Callable[[], str]]:
    from helpline.contacts.models import ContactIdentity

    emails = list(ContactIdentity.objects.order_by("?").values_list("value", flat=True)[:500])
    return {
        "a word in 1% of tickets": lambda: rng.choice(RARE),
        f"a common word ({COMMON})": lambda: COMMON,
        "a ticket number": lambda: str(rng.randrange(1001, 1001 + count)),
        "an email address": lambda: rng.choice(emails),
        "Japanese (至急対応)": lambda: "至急対応",
    }


def matches(text: str) -> int:
    from helpline.accounts.models import User
    from helpline.tickets import access, search

    return search.matching(access.tickets_for(User.objects.get(email=ADMIN)), text).count()


def through_filter(kinds: dict[str, Callable[[], str]], requests: int) -> None:
    from helpline.accounts.models import User
    from helpline.tickets import access, search
    from helpline.tickets.filters import TicketFilter
    from helpline.tickets.models import Ticket

    viewer = User.objects.get(email=ADMIN)
    for name, text in kinds.items():
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            filters = TicketFilter.from_params({"q": text()})
            tickets = filters.apply(access.tickets_for(viewer), viewer=viewer)
            ids = list(tickets.values_list("pk", flat=True)[:51])  # as the API: ids, then rows
            rows = filters.sort.annotate(Ticket.objects.all()).list_rows(ids)[:50]
            search.snippets({t["pk"]: [t["subject"]] for t in rows}, filters.text)
            times.append(time.perf_counter() - started)
        print(f"  {name:30} {percentiles(times)}")


def over_http(base_url: str, token: str, kinds: dict[str, Callable[[], str]], n: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for _ in range(10):  # warm-up
            client.get("/api/v1/tickets", params={"q": COMMON, "limit": 50}).raise_for_status()
        for name, text in kinds.items():
            times = []
            for _ in range(n):
                started = time.perf_counter()
                client.get("/api/v1/tickets", params={"q": text(), "limit": 50}).raise_for_status()
                times.append(time.perf_counter() - started)
            print(f"  {name:30} {percentiles(times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="requests per kind")
    parser.add_argument("--keep", type=Path, help="folder to keep (and reuse) the data set in")
    parser.add_argument("--pg-name", default="helpline_bench_search", help="PostgreSQL database")
    parser.add_argument("--skip-http", action="store_true", help="in-process figures only")
    args = parser.parse_args()
    with bench_env(args.db, args.pg_name, args.keep) as env:
        setup_django(env)
        from django.core.management import call_command
        from django.db import connection, connections

        from helpline.tickets.models import Ticket

        call_command("migrate", interactive=False, verbosity=0)
        token_file = Path(env["HELPLINE_VAR_DIR"]) / f"bench-token-{args.pg_name}-{args.db}"
        if Ticket.objects.exists() and token_file.exists():
            token = token_file.read_text()
            print(f"db={args.db}  reusing {Ticket.objects.count()} tickets")
        else:
            token = create_admin_token(env, ADMIN)
            started = time.perf_counter()
            fill(args.tickets)
            print(f"db={args.db}  fill took {time.perf_counter() - started:.1f} s")
            if args.keep:
                token_file.write_text(token)
        with connection.cursor() as cursor:
            # As autovacuum would have by now after 340,000 inserts: statistics, the
            # visibility map, and GIN's pending list merged into the index (a scan
            # reads that list from start to end, a few ms for a freshly filled one).
            cursor.execute("VACUUM ANALYZE" if args.db == "postgres" else "ANALYZE")
        kinds = queries(random.Random(3), args.tickets)
        print("tickets matched: " + ", ".join(
            f"{text} {matches(text)}" for text in [RARE[0], COMMON, "至急対応"]
        ))  # fmt: skip
        print(
            f"through the filter function (in-process, first 51 rows + snippets) x {args.requests}"
        )
        print(load_average())
        through_filter(kinds, args.requests)
        connections.close_all()
        if args.skip_http:
            return
        with running_server(env) as server:
            print(f"GET /api/v1/tickets?q=…&limit=50 x {args.requests}, 1 client")
            over_http(server.base_url, token, kinds, args.requests)
            print(load_average())


if __name__ == "__main__":
    main()
