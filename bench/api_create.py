"""Benchmark: POST /api/v1/tickets against a real `helpline serve`, 1 client then 8 clients.

    uv run python bench/api_create.py --db sqlite|postgres [--single 500] [--clients 8 --each 200]

Prints tickets/second, p50/p95/p99 latency and the server's peak RSS.
"""

import argparse
import json
import threading
import time
from dataclasses import dataclass, field

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

REQUESTERS = [f"customer{i:03d}@example.com" for i in range(200)]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def post_tickets(base_url: str, token: str, client_no: int, count: int, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        for i in range(count):
            payload = {
                "subject": f"Bench ticket {client_no}-{i}",
                "body": f"Client {client_no} request {i}: the printer is on fire again.\n" * 3,
                "requester_email": REQUESTERS[(client_no * 7919 + i) % len(REQUESTERS)],
            }
            started = time.perf_counter()
            response = client.post("/api/v1/tickets", json=payload)
            elapsed = time.perf_counter() - started
            with tally.lock:
                if response.status_code == 201:
                    tally.latencies.append(elapsed)
                else:
                    tally.errors[response.status_code] = (
                        tally.errors.get(response.status_code, 0) + 1
                    )


def run(base_url: str, token: str, clients: int, each: int) -> None:
    tally = Tally()
    threads = [
        threading.Thread(target=post_tickets, args=(base_url, token, n, each, tally))
        for n in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ok = len(tally.latencies)
    print(
        f"{clients} client(s) x {each}: {ok} created in {wall:5.1f} s = {ok / wall:6.1f} tickets/s  "
        f"{percentiles(tally.latencies)}  errors {tally.errors or 0}"
    )


def count_queries(env: dict[str, str], token: str) -> None:
    """SQL queries of one create, in-process (Django test Client) against the same database."""
    setup_django(env)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1", headers={"Authorization": f"Bearer {token}"})
    for who, email in (("existing", REQUESTERS[0]), ("new", "brand-new@example.com")):
        payload = {"subject": "Counted", "body": "Count my queries.", "requester_email": email}
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/api/v1/tickets", json.dumps(payload), "application/json")
        assert response.status_code == 201, response.content
        print(f"SQL per create, {who} requester: {describe_queries(captured.captured_queries)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--single", type=int, default=500, help="requests of the 1-client run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--each", type=int, default=200, help="requests per concurrent client")
    args = parser.parse_args()
    with bench_env(args.db, "helpline_bench") as env, running_server(env) as server:
        token = create_admin_token(env)
        print(f"db={args.db}  server={server.base_url}")
        run(server.base_url, token, 1, 10)  # warm-up: first contacts, imports, caches
        print(load_average())
        run(server.base_url, token, 1, args.single)
        run(server.base_url, token, args.clients, args.each)
        print(load_average())
        largest, total = peak_rss_mib(server)
        print(f"server peak RSS (VmHWM): {largest:.0f} MiB largest process, {total:.0f} MiB tree")
        count_queries(env, token)


if __name__ == "__main__":
    main()
