"""The `helpline` command: in-process for the database commands, as a real process for serve."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from helpline.accounts.actions import authenticate_token
from helpline.accounts.models import User
from helpline.cli import main
from helpline.commands import check_port_free, listening_socket, web_processes
from helpline.lib.errors import CliError


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: int = 60):
    return subprocess.run(
        [sys.executable, "-m", "helpline.cli", *args],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})},
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
class TestTokenCommand:
    def test_it_prints_a_working_token_once(self, carol, capsys):
        assert main(["token", "create", "CAROL@helpline.test", "--name", "script"]) == 0
        raw = capsys.readouterr().out.strip()
        assert authenticate_token(raw) == carol

    def test_it_revokes_by_hint(self, carol, capsys):
        main(["token", "create", carol.email])
        raw = capsys.readouterr().out.strip()
        assert main(["token", "revoke", raw[:12]]) == 0
        assert authenticate_token(raw) is None

    def test_an_unknown_agent_is_one_clear_line(self, capsys):
        assert main(["token", "create", "nobody@example.com"]) == 2
        assert capsys.readouterr().err == "helpline: no agent has the email 'nobody@example.com'\n"


@pytest.mark.django_db
class TestCreateAdmin:
    def test_it_creates_an_administrator(self, capsys):
        code = main(
            ["createadmin", "--email", "Boss@Example.com", "--password", "long-enough-pw-1"]
        )
        assert code == 0
        boss = User.objects.get(email="boss@example.com")
        assert boss.is_admin
        assert boss.is_staff
        assert boss.check_password("long-enough-pw-1")

    @pytest.mark.parametrize(
        ("email", "password", "message"),
        [
            ("not-an-email", "long-enough-pw-1", "is not a valid email address"),
            ("a@example.com", "short", "too short"),
        ],
    )
    def test_it_rejects_bad_input_in_one_line(self, capsys, email, password, message):
        assert main(["createadmin", "--email", email, "--password", password]) == 2
        err = capsys.readouterr().err
        assert message in err
        assert err.count("\n") == 1
        assert not User.objects.exists()


@pytest.mark.parametrize(
    ("open_port", "message"),
    [
        # checked before migrating, so the usual case says so at once
        (check_port_free, "port {port} on 127.0.0.1 is in use"),
        # the several-process server's own bind, should the port be taken meanwhile
        (listening_socket, "Cannot listen on 127.0.0.1:{port}: Address already"),
    ],
)
def test_a_port_in_use_is_one_clear_line(open_port, message):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CliError, match=message.format(port=port)):
            open_port("127.0.0.1", port)


@pytest.mark.parametrize(
    ("database_url", "message"),
    [
        ("nonsense://x", "DATABASE_URL is not a database URL Helpline understands"),
        ("postgres://postgres@127.0.0.1:1/nothing", "cannot reach the database (127.0.0.1)"),
    ],
)
def test_database_problems_are_one_clear_line(tmp_path, database_url, message):
    result = run_cli(
        "serve",
        "--port",
        str(free_port()),
        env={"DATABASE_URL": database_url, "HELPLINE_VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1


def wait_for(url: str, seconds: float) -> bytes:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                return response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def start_serve(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """`helpline serve` on SQLite in `tmp_path`, answering; the process and its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "HELPLINE_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        **(env or {}),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "helpline.cli", "serve", "--port", str(port), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    return server, f"http://127.0.0.1:{port}"


def stop_cleanly(server: subprocess.Popen[str]) -> str:
    """Ctrl-C, then what the server printed: it must have stopped without a traceback."""
    server.send_signal(signal.SIGINT)
    output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "Helpline stopped." in output
    assert "Traceback" not in output
    return output


def test_serve_answers_and_stops_cleanly_on_ctrl_c(tmp_path: Path):
    server, url = start_serve(tmp_path)
    try:
        assert wait_for(f"{url}/healthz", 60) == b'{"status": "ok"}'
        assert b"Helpline" in wait_for(f"{url}/", 5)
    finally:
        stop_cleanly(server)


def web_children(pid: int) -> list[int]:
    """The server processes started by `pid` (multiprocessing's own helper aside)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(child) for child in (task / "children").read_text().split()]
    return [child for child in found
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]  # fmt: skip


def test_serve_runs_several_web_processes_and_stops_them_all(tmp_path: Path, redis_url):
    server, url = start_serve(tmp_path, "--workers", "2", env={"CACHE_URL": redis_url})
    try:
        assert wait_for(f"{url}/healthz", 60) == b'{"status": "ok"}'
        web = web_children(server.pid)
        assert len(web) == 2, web
        for _ in range(10):  # either process may take each connection
            assert wait_for(f"{url}/healthz", 5) == b'{"status": "ok"}'
    finally:
        output = stop_cleanly(server)
    assert "with 2 web processes" in output
    assert not [pid for pid in web if Path(f"/proc/{pid}").exists()]


def test_the_shared_socket_sends_each_write_at_once():
    """The several-process server listens on `listening_socket`: a connection that
    asyncio accepts there must have Nagle's algorithm off, or each keep-alive response's
    body waits 40 ms for the client's delayed acknowledgement of its headers."""

    async def accepted_has_nodelay() -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connection, sock=shared)
        async with server:
            _, writer = await asyncio.open_connection(*shared.getsockname())
            try:
                return await asyncio.wait_for(accepted, 5)
            finally:
                writer.close()

    with listening_socket("127.0.0.1", free_port()) as shared:
        assert shared.get_inheritable()  # the server processes are handed this very socket
        assert asyncio.run(accepted_has_nodelay()) == 1


@pytest.mark.django_db
def test_serve_runs_one_web_process_per_core_on_postgresql_and_one_on_sqlite(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    expected = len(os.sched_getaffinity(0)) if connection.vendor == "postgresql" else 1
    assert web_processes(None) == expected
    assert web_processes(3) == 3
    with pytest.raises(CliError, match="--workers must be between 1 and 64, not 0"):
        web_processes(0)


@pytest.mark.django_db
def test_several_web_processes_need_a_shared_cache_for_the_sign_in_limits(settings):
    """Probe finding: on PostgreSQL the default ran one process per core with each
    process's own memory as the cache, so 2 processes checked 10 wrong passwords of 30
    sent at once where the limit is 5."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert web_processes(None) == 1
    assert web_processes(1) == 1
    with pytest.raises(CliError, match="--workers 2 needs a cache every process shares"):
        web_processes(2)


def test_worker_refuses_an_unmigrated_database(tmp_path):
    result = run_cli(
        "worker", "--batch",
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "HELPLINE_VAR_DIR": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 2
    assert "run `helpline manage migrate` first" in result.stderr


@pytest.mark.django_db
def test_demo_reset_refuses_a_database_with_real_agents(carol, capsys):
    assert main(["demo", "--reset", "--port", str(free_port())]) == 2
    assert "holds more than the demo" in capsys.readouterr().err
    assert User.objects.filter(pk=carol.pk).exists()
