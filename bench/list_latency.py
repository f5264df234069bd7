"""Benchmark: GET /api/v1/tickets?limit=50 over 100,000 tickets, against a real `helpline serve`.

    uv run python bench/list_latency.py --db sqlite|postgres [--tickets 100000] [--requests 300]

Fills a fresh database with bulk_create, counts SQL queries per list request in-process
(Django test Client + CaptureQueriesContext), then prints p50/p95/p99 over HTTP.
"""

import argparse
import random
import time
from datetime import timedelta
from typing import Any

import httpx
from harness import (
    bench_env,
    create_admin_token,
    describe_queries,
    load_average,
    peak_rss_mib,
    percentiles,
    running_server,
    setup_django,
)

VARIANTS = {
    "first page": "",
    "status_category=open": "&status_category=open",
    "assignee=me": "&assignee=me",
    "tag=billing": "&tag=billing",
}
TAGS = ["billing", "login", "bug", "refund", "vip", "mobile", "api", "outage", "feature", "spam"]
STATUS_WEIGHTS = {"new": 10, "open": 30, "pending": 15, "on-hold": 5, "solved": 25, "closed": 15}
ADMIN = "bench@example.com"


def make_people(rng: random.Random, contacts: int) -> tuple[list[Any], list[Any]]:
    from helpline.accounts.models import User
    from helpline.contacts.models import Contact, ContactIdentity

    agents = User.objects.bulk_create(
        [User(email=f"agent{i}@example.com", name=f"Agent {i}") for i in range(4)]
    )
    people = Contact.objects.bulk_create(
        [Contact(name=f"Customer {i}") for i in range(contacts)], batch_size=2000
    )
    ContactIdentity.objects.bulk_create(
        [ContactIdentity(contact=c, value=f"c{c.pk}@example.com", is_primary=True) for c in people],
        batch_size=2000,
    )
    return [User.objects.get(email=ADMIN), *agents], people


def fill(count: int, seed: int = 1) -> None:
    """count tickets with statuses, requesters, assignees, teams, categories, tags, merges."""
    from django.db import transaction

    from helpline.accounts.models import Team
    from helpline.lib import clock
    from helpline.tickets.models import Category, Counter, Status, Tag, Ticket

    rng = random.Random(seed)
    with transaction.atomic():
        (me, *agents), contacts = make_people(rng, 5000)
        teams = [*Team.objects.bulk_create([Team(name=f"Team {i}") for i in range(3)]), None]
        categories = [*Category.objects.bulk_create([Category(name=n) for n in TAGS[:5]]), None]
        tags = Tag.objects.bulk_create([Tag(name=n) for n in TAGS])
        statuses = {s.slug: s for s in Status.objects.all()}
        slugs, weights = list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values())
        now = clock.now()
        tickets = []
        for i in range(count):
            updated = now - timedelta(seconds=rng.randrange(365 * 86400))
            tickets.append(Ticket(
                number=1001 + i, subject=f"Ticket {i}: something is broken",
                status=statuses[rng.choices(slugs, weights)[0]], requester=rng.choice(contacts),
                assignee=rng.choice([me, None, None, *agents]), team=rng.choice(teams),
                category=rng.choice(categories), priority=rng.choice(["low", "normal", "high"]),
                channel=rng.choice(["email", "web", "api"]), updated_at=updated,
                created_at=updated - timedelta(seconds=rng.randrange(30 * 86400)),
            ))  # fmt: skip
        tickets = Ticket.objects.bulk_create(tickets, batch_size=2000)
        through = Ticket.tags.through
        links = [
            through(ticket_id=t.pk, tag_id=tag.pk)
            for t in tickets
            for tag in rng.sample(tags, rng.choice([0, 0, 1, 1, 2]))
        ]
        through.objects.bulk_create(links, batch_size=5000)
        merged = rng.sample(tickets, count // 100)  # 1% merged into another ticket, closed
        for t in merged:
            t.merged_into, t.status = rng.choice(tickets), statuses["closed"]
        Ticket.objects.bulk_update([t for t in merged if t.merged_into != t],
                                   ["merged_into", "status"], batch_size=500)  # fmt: skip
        Counter.objects.update_or_create(name="ticket", defaults={"value": 1000 + count})
    print(f"filled {count} tickets, {len(links)} tag links, {len(merged)} merged, 5000 contacts")


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def add_deep_cursor(depth: int) -> None:
    """A variant that starts after the `depth` newest tickets, as if following next_cursor."""
    from helpline.lib.pagination import encode_cursor
    from helpline.tickets.models import Ticket

    row = Ticket.objects.order_by("-updated_at", "-id").values("updated_at", "id")[depth - 1]
    cursor = encode_cursor(["-updated", row["updated_at"], row["id"]])
    VARIANTS[f"cursor after row {depth:,}"] = f"&cursor={cursor}"


def count_queries(token: str) -> None:
    """Queries per list request, in-process against the same database."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/tickets")  # the token's last_used_at write (once a minute) happens here
    for name, extra in VARIANTS.items():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/api/v1/tickets?limit=50{extra}").status_code == 200
        print(f"  {name:28} {describe_queries(captured.captured_queries)}")
    counts, cursor = [], ""
    for _ in range(50):
        with CaptureQueriesContext(connection) as captured:
            body = client.get(f"/api/v1/tickets?limit=50{cursor}").json()
        counts.append(len(captured))
        cursor = next_cursor(body)
    print(f"  {'pages 1-50 (cursor)':28} min {min(counts)}, max {max(counts)} queries")


def next_cursor(body: dict[str, Any]) -> str:
    """The query-string part for the next page; back to the first page at the end."""
    return f"&cursor={body['next_cursor']}" if body["next_cursor"] else ""


def timed_get(client: httpx.Client, url: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed, response.json()


def measure(base_url: str, token: str, requests: int) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for _ in range(20):  # warm-up
            timed_get(client, "/api/v1/tickets?limit=50")
        for name, extra in VARIANTS.items():
            times = [
                timed_get(client, f"/api/v1/tickets?limit=50{extra}")[0] for _ in range(requests)
            ]
            print(f"  {name:28} {percentiles(times)}")
        times, cursor = [], ""
        for _ in range(requests):
            elapsed, body = timed_get(client, f"/api/v1/tickets?limit=50{cursor}")
            times.append(elapsed)
            cursor = next_cursor(body)
        print(f"  {f'pages 1-{requests} (cursor)':28} {percentiles(times)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="requests per variant")
    args = parser.parse_args()
    with bench_env(args.db, "helpline_bench_list") as env:
        setup_django(env)
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        token = create_admin_token(env, ADMIN)
        started = time.perf_counter()
        fill(args.tickets)
        analyze()
        print(f"db={args.db}  fill + ANALYZE took {time.perf_counter() - started:.1f} s")
        print("SQL queries per list request (in-process, Django test Client):")
        add_deep_cursor(1000)
        add_deep_cursor(args.tickets * 9 // 10)
        count_queries(token)
        from django.db import connections

        connections.close_all()
        with running_server(env) as server:
            print(
                f"GET /api/v1/tickets?limit=50 x {args.requests} each, 1 client, {server.base_url}"
            )
            print(load_average())
            measure(server.base_url, token, args.requests)
            print(load_average())
            largest, total = peak_rss_mib(server)
            print(
                f"server peak RSS (VmHWM): {largest:.0f} MiB largest process, {total:.0f} MiB tree"
            )


if __name__ == "__main__":
    main()
