"""Shared pieces of the benchmarks: a throw-away database, a real server, figures.

Not a test module: the scripts next to it import this and print numbers.
"""

import os
import re
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.encode())


@contextmanager
def bench_env(db: str, pg_name: str, keep: Path | None = None) -> Iterator[dict[str, str]]:
    """Environment for the helpline processes: a temp var dir, and a fresh database.

    With `keep` (a folder), the var dir is that folder and the PostgreSQL database
    `pg_name` is neither dropped before nor after, so a filled data set can be reused."""
    with tempfile.TemporaryDirectory(prefix="helpline-bench-") as temp_dir:
        var_dir = str(keep) if keep else temp_dir
        if keep:
            keep.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        # The machine's Redis as the shared cache: `helpline serve` runs several web
        # processes on PostgreSQL only with one (their sign-in counts must be shared).
        env.setdefault("CACHE_URL", "redis://127.0.0.1:6379/14")
        env.update(HELPLINE_VAR_DIR=var_dir, LOG_LEVEL="WARNING")
        if db == "postgres":
            if not keep:
                _pg_admin(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
            if not keep or not _pg_exists(pg_name):
                _pg_admin(f"CREATE DATABASE {pg_name}")
            env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{pg_name}"
        try:
            yield env
        finally:
            if db == "postgres" and not keep:
                _pg_admin(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")


def _pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return found is not None


def setup_django(env: dict[str, str]) -> None:
    """Django in this process, on the same database and var dir as the server."""
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpline.settings"
    import django

    django.setup()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def helpline(env: dict[str, str], *args: str) -> str:
    """Run `uv run helpline ARGS` and return its stdout."""
    done = subprocess.run(
        ["uv", "run", "helpline", *args], cwd=REPO, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"helpline {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def create_admin_token(env: dict[str, str], email: str = "bench@example.com") -> str:
    helpline(env, "createadmin", "--email", email, "--password", "bench-password-123")
    return helpline(env, "token", "create", email).strip().splitlines()[0]


@contextmanager
def running_server(env: dict[str, str]) -> Iterator[Server]:
    """`helpline serve --no-worker` on a free loopback port; always stopped on exit."""
    port = free_port()
    log = Path(env["HELPLINE_VAR_DIR"]) / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["uv", "run", "helpline", "serve", "--no-worker", "--host", HOST, "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    server = Server(process, f"http://{HOST}:{port}", log)
    try:
        _wait_ready(server)
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.base_url}/api/v1/openapi.json", timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not ready after {timeout}s:\n{server.log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT the server's process group (uv and the Python under it), then SIGKILL."""
    for sig, wait in ((signal.SIGINT, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    return pids


def peak_rss_mib(server: Server) -> tuple[float, float]:
    """(largest VmHWM of one process, sum of VmHWM) over the server's process tree, in MiB."""
    return tree_peak_rss_mib(server.process.pid)


def tree_peak_rss_mib(root: int) -> tuple[float, float]:
    """(largest VmHWM of one process, sum of VmHWM) over a process tree, in MiB."""
    peaks = []
    for pid in _tree(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peaks += [int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmHWM:"]
    return max(peaks, default=0) / 1024, sum(peaks) / 1024


def percentiles(seconds: list[float]) -> str:
    """'p50 … p95 … p99 …' in milliseconds."""
    cuts = statistics.quantiles([s * 1000 for s in seconds], n=100, method="inclusive")
    return f"p50 {cuts[49]:7.1f} ms  p95 {cuts[94]:7.1f} ms  p99 {cuts[98]:7.1f} ms"


def describe_queries(queries: list[dict[str, str]]) -> str:
    """'N (table x, …)': SQL statements by the first table they read, so N+1 patterns stand out."""
    tables = Counter(
        found.group(1) if (found := re.search(r'FROM "(\w+)"', q["sql"])) else q["sql"].split()[0]
        for q in queries
    )
    return f"{len(queries):3d} ({', '.join(f'{t} {n}' for t, n in tables.most_common())})"
