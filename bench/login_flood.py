"""Benchmark: API latency while 16 clients flood the sign-in page with wrong passwords.

    uv run python bench/login_flood.py [--db sqlite|postgres] [--clients 16] [--requests 200]

Against a real `helpline serve`: p50/p95 of GET /api/v1/tickets?limit=10 (bearer token)
alone, then while the clients post wrong passwords to /login/ as fast as they can (each
its own session and CSRF token, all from 127.0.0.1, each guessing a different account).
Prints how the flood's attempts were answered: 200 = password checked and wrong,
429 = refused by the sign-in throttle without checking.
"""

import argparse
import re
import threading
import time
from collections import Counter

import httpx
from harness import bench_env, create_admin_token, load_average, percentiles, running_server


def api_latencies(base_url: str, token: str, requests: int) -> list[float]:
    timings = []
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for _ in range(requests):
            started = time.perf_counter()
            client.get(f"{base_url}/api/v1/tickets?limit=10").raise_for_status()
            timings.append(time.perf_counter() - started)
    return timings


def flood(base_url: str, number: int, stop: threading.Event, answers: Counter[int]) -> None:
    with httpx.Client(timeout=60) as client:
        page = client.get(f"{base_url}/login/").text
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert csrf is not None
        form = {
            "csrfmiddlewaretoken": csrf.group(1),
            "username": f"victim{number}@example.com",
            "password": "not the password",
        }
        while not stop.is_set():
            answers[client.post(f"{base_url}/login/", data=form).status_code] += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with bench_env(args.db, "helpline_bench_flood") as env, running_server(env) as server:
        token = create_admin_token(env)
        api_latencies(server.base_url, token, 20)  # warm up
        print(
            f"API alone:        {percentiles(api_latencies(server.base_url, token, args.requests))}"
        )
        stop, answers = threading.Event(), Counter[int]()
        clients = [
            threading.Thread(target=flood, args=(server.base_url, n, stop, answers))
            for n in range(args.clients)
        ]
        for client in clients:
            client.start()
        time.sleep(2)
        during = api_latencies(server.base_url, token, args.requests)
        stop.set()
        for client in clients:
            client.join(timeout=120)
        print(f"API during flood: {percentiles(during)}")
        print(f"flood answers: {dict(sorted(answers.items()))}  ({load_average()})")


if __name__ == "__main__":
    main()
