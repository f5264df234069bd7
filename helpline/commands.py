"""What each `helpline` sub-command does, once Django is set up."""

import argparse
import errno
import getpass
import json
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command, execute_from_command_line
from django.db import OperationalError, connection
from django.utils import timezone

from helpline.accounts.models import User
from helpline.lib.errors import CliError

if TYPE_CHECKING:
    import uvicorn

logger = logging.getLogger("helpline")


def _probe_postgresql() -> None:
    """One plain connection with a short timeout: the pool would retry for 10 s and log each try."""
    import psycopg

    params = connection.get_connection_params()
    params.pop("context", None)
    params.pop("cursor_factory", None)
    try:
        psycopg.connect(**params, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        raise OperationalError(str(error)) from None


def check_database() -> None:
    try:
        if connection.vendor == "postgresql":
            _probe_postgresql()
        connection.ensure_connection()
    except OperationalError as error:
        where = connection.settings_dict.get("HOST") or connection.settings_dict.get("NAME")
        reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise CliError(f"cannot reach the database ({where}): {reason}") from None


def check_port_free(host: str, port: int) -> None:
    if not 0 < port < 65536:
        raise CliError(f"--port must be between 1 and 65535, not {port}")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CliError(
                    f"port {port} on {host} is in use; choose another with --port"
                ) from None
            raise CliError(f"cannot listen on {host}:{port}: {error.strerror}") from None


def check_migrated() -> None:
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CliError("the database is not up to date; run `helpline manage migrate` first")


def migrate() -> None:
    check_database()
    call_command("migrate", interactive=False, verbosity=0)


def web_processes(requested: int | None) -> int:
    """How many web server processes: as asked, else one per core on PostgreSQL with a
    shared cache, and one otherwise (SQLite writes one transaction at a time, so more
    processes only queue).

    Several processes need a cache they all share (CACHE_URL): sign-in failures are
    counted in the cache, and in each process's own memory every process would allow
    its own 5 wrong passwords, so an attacker would get 5 per process."""
    shared_cache = "redis" in settings.CACHES["default"]["BACKEND"].lower()
    if requested is not None:
        if not 1 <= requested <= MAX_WEB_PROCESSES:
            raise CliError(f"--workers must be between 1 and {MAX_WEB_PROCESSES}, not {requested}")
        if requested > 1 and not shared_cache:
            raise CliError(
                f"--workers {requested} needs a cache every process shares: set CACHE_URL "
                "to a Redis server (redis://…). Without it each process counts failed "
                "sign-ins on its own, and allows that many more password guesses."
            )
        return requested
    if connection.vendor != "postgresql" or not shared_cache:
        return 1
    return len(os.sched_getaffinity(0))


MAX_WEB_PROCESSES = 64


def import_processes(requested: int | None) -> int:
    """How many processes import mail at once: as asked, else one per core on
    PostgreSQL; one on SQLite, which writes one transaction at a time."""
    if requested is None:
        return len(os.sched_getaffinity(0)) if connection.vendor == "postgresql" else 1
    if not 1 <= requested <= MAX_WEB_PROCESSES:
        raise CliError(f"--jobs must be between 1 and {MAX_WEB_PROCESSES}, not {requested}")
    if requested > 1 and connection.vendor != "postgresql":
        raise CliError(
            f"--jobs {requested} needs PostgreSQL: SQLite writes one message at a time, "
            "so more processes would only wait for each other"
        )
    return requested


def _run_web(host: str, port: int, *, with_worker: bool, processes: int = 1) -> int:
    import uvicorn

    from helpline.jobs.schedule import run_scheduler
    from helpline.jobs.worker import make_worker, run_in_thread

    stop = threading.Event()
    worker = make_worker() if with_worker else None
    threads = []
    if worker is not None:
        threads.append(run_in_thread(worker))
        scheduler = threading.Thread(
            target=run_scheduler, args=(stop, settings.HELPLINE_SCHEDULER_TICK_SECONDS),
            name="helpline-scheduler", daemon=True,
        )  # fmt: skip
        scheduler.start()
        threads.append(scheduler)
    config = uvicorn.Config(
        "helpline.asgi:application", host=host, port=port, lifespan="off", log_level="warning",
        workers=processes,
    )  # fmt: skip
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the
    # signal; turning SIGTERM into KeyboardInterrupt lets both end up here.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _serve_http(config)
    except KeyboardInterrupt:
        pass
    finally:
        # Ctrl-C reached uvicorn first; now let the worker finish its job and stop.
        stop.set()
        if worker is not None:
            worker.running = False
        for thread in threads:
            thread.join(timeout=10)
    print("Helpline stopped.")
    return 0


def _serve_http(config: "uvicorn.Config") -> None:
    """One server in this process, or `config.workers` processes sharing one socket.
    The background worker and scheduler stay in this process either way."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    if config.workers == 1:
        uvicorn.Server(config).run()
    else:
        # The supervisor stops its processes on SIGINT and SIGTERM, then returns.
        Multiprocess(config, sockets=[listening_socket(config.host, config.port)]).run()


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the server processes share, made as a TCP socket by name.

    uvicorn's own (`Config.bind_socket`) leaves the protocol number 0, and asyncio
    turns Nagle's algorithm off (TCP_NODELAY) only on connections whose protocol says
    TCP. With Nagle on, a response's body waited for the client to acknowledge its
    headers, which Linux delays by 40 ms: every keep-alive request took 40 ms longer."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise CliError(f"Cannot listen on {host}:{port}: {error.strerror}.") from None
    sock.set_inheritable(True)
    return sock


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    check_port_free(args.host, args.port)
    if not args.no_migrate:
        migrate()
    else:
        check_database()
        check_migrated()
    processes = web_processes(args.workers)
    print(
        f"Helpline is running at http://{args.host}:{args.port}/ with {processes} web"
        f" process{'es' if processes > 1 else ''}  (Ctrl-C stops it)"
    )
    return _run_web(args.host, args.port, with_worker=not args.no_worker, processes=processes)


def demo(args: argparse.Namespace) -> int:
    from helpline import demo as demo_data

    check_port_free(args.host, args.port)
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    migrate()
    if args.reset:
        if not demo_data.holds_only_demo_data():
            raise CliError("--reset deletes everything, and this database holds more than the demo")
        print("Removing the previous demo data…")
        call_command("flush", interactive=False, verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
    if demo_data.is_seeded():
        print("Demo data is already there (use --reset to start over).")
    else:
        print("Seeding the demo: agents, customers and ~300 tickets over 90 days…")
        summary = demo_data.seed()
        print(f"Seeded {summary}.")
    url = f"http://{args.host}:{args.port}/"
    print(f"\nHelpline demo: {url}\n")
    print(demo_data.logins_text())
    print(f"API docs: {url}api/v1/docs   Admin: {url}admin/\nCtrl-C stops it.\n")
    return _run_web(args.host, args.port, with_worker=True)


def worker(args: argparse.Namespace) -> int:
    from helpline.jobs.schedule import run_scheduler
    from helpline.jobs.worker import make_worker

    check_database()
    check_migrated()
    job_runner = make_worker(batch=args.batch)
    stop = threading.Event()
    if args.scheduler:
        threading.Thread(
            target=run_scheduler, args=(stop, settings.HELPLINE_SCHEDULER_TICK_SECONDS), daemon=True
        ).start()
    if not args.batch:
        job_runner.configure_signals()
        print("Helpline worker running (Ctrl-C stops it after the current job).")
    try:
        job_runner.run()
    finally:
        stop.set()
    return 0


def manage(args: argparse.Namespace) -> int:
    execute_from_command_line(["helpline manage", *args.args])
    return 0


def createadmin(args: argparse.Namespace) -> int:
    from helpline.accounts.actions import create_agent
    from helpline.accounts.models import Role

    check_database()
    email = args.email or input("Email: ").strip()
    password = args.password or getpass.getpass("Password: ")
    try:
        user = create_agent(
            email=email, name=args.name, password=password, role=Role.ADMIN, acting_user=None
        )
    except ValidationError as error:
        raise CliError(_one_line(error)) from None
    print(f"Administrator {user.email} created.")
    return 0


def token(args: argparse.Namespace) -> int:
    check_database()
    handler = {"create": _token_create, "list": _token_list, "revoke": _token_revoke}
    return handler[args.token_command](args)


def _agent(email: str) -> "User":
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise CliError(f"no agent has the email {email!r}")
    return user


def _token_create(args: argparse.Namespace) -> int:
    from helpline.accounts.actions import create_api_token

    user = _agent(args.email)
    try:
        api_token, raw = create_api_token(
            user=user, name=args.name, days=args.days, acting_user=None
        )
    except ValidationError as error:
        raise CliError(_one_line(error)) from None
    print(raw)
    expires = api_token.expires_at.date().isoformat()
    print(
        f"(for {user.email}, expires {expires}; shown once, keep it secret)",
        file=sys.stderr,
    )
    return 0


def _token_list(args: argparse.Namespace) -> int:
    user = _agent(args.email)
    now = timezone.now()
    for api_token in user.api_tokens.all():
        if api_token.revoked_at:
            state = f"revoked {api_token.revoked_at:%Y-%m-%d}"
        else:
            verb = "expired" if api_token.expires_at <= now else "expires"
            state = f"{verb} {api_token.expires_at:%Y-%m-%d}"
        print(f"{api_token.hint}  {api_token.name}  {state}")
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from helpline.accounts.actions import revoke_api_token
    from helpline.accounts.models import ApiToken

    matches = list(ApiToken.objects.filter(hint=args.hint, revoked_at__isnull=True))
    if len(matches) != 1:
        raise CliError(
            f"{len(matches)} active tokens have the hint {args.hint!r}; see `helpline token list`"
        )
    revoke_api_token(token=matches[0], acting_user=None)
    print(f"Token {args.hint} revoked.")
    return 0


def mail(args: argparse.Namespace) -> int:
    check_database()
    check_migrated()
    return {"import": _mail_import, "smtpd": _mail_smtpd}[args.mail_command](args)


def _mail_smtpd(args: argparse.Namespace) -> int:
    from helpline.mail.smtpd import serve_forever

    check_port_free(args.host, args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"Helpline SMTP listener on {args.host}:{args.port} (Ctrl-C stops it)")
    try:
        serve_forever(args.host, args.port, stop)
    except KeyboardInterrupt:
        stop.set()
    print("SMTP listener stopped.")
    return 0


def _mail_import(args: argparse.Namespace) -> int:
    from helpline.mail.importer import ImportSourceError, import_path
    from helpline.mail.models import Mailbox

    mailbox = None
    if args.mailbox:
        mailbox = Mailbox.objects.filter(address__iexact=args.mailbox.strip()).first()
        if mailbox is None:
            raise CliError(f"no mailbox has the address {args.mailbox!r}")
    try:
        summary = import_path(Path(args.path), mailbox, jobs=import_processes(args.jobs))
    except (ImportSourceError, OSError) as error:
        raise CliError(str(error)) from None
    print(json.dumps(summary.as_dict()) if args.json else summary.as_text())
    return 0


def _one_line(error: ValidationError) -> str:
    return " ".join(error.messages)
