"""`helpline`: the one front door (demo, serve, worker, manage, createadmin, token)."""

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from helpline.lib.errors import UserError

# The demo's configuration: its customers' addresses are made up, so its outgoing mail
# is kept inside Helpline (the Outgoing mail page) instead of going to a mail server.
# An explicitly set variable still wins.
DEMO_ENVIRONMENT = {"HELPLINE_MAIL_DELIVERY": "keep"}


def apply_command_environment(command: str) -> None:
    """Before Django reads its settings: the demo's defaults, for the demo only."""
    if command == "demo":
        for name, value in DEMO_ENVIRONMENT.items():
            os.environ.setdefault(name, value)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpline.settings")
    import django

    django.setup()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpline", description="Helpline customer-support desk.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="run the whole product with a seeded demo")
    demo.add_argument("--port", type=int, default=8000)
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--reset", action="store_true", help="delete the demo data and seed afresh")

    serve = commands.add_parser("serve", help="run the web app (with worker and scheduler)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument(
        "--no-worker", action="store_true", help="web only; run `helpline worker` apart"
    )
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations at start")
    serve.add_argument(
        "--workers", type=int, metavar="N",
        help="web server processes; more than 1 needs CACHE_URL (default: one per core on "
        "PostgreSQL with CACHE_URL set, else 1)",
    )  # fmt: skip

    worker = commands.add_parser("worker", help="run background jobs only (for scale-out)")
    worker.add_argument("--scheduler", action="store_true", help="also run the periodic scheduler")
    worker.add_argument("--batch", action="store_true", help="run the jobs due now, then exit")

    manage = commands.add_parser("manage", help="any Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)

    admin = commands.add_parser("createadmin", help="create an administrator")
    admin.add_argument("--email")
    admin.add_argument("--password")
    admin.add_argument("--name", default="")

    mail = commands.add_parser("mail", help="the email channel")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True, metavar="ACTION")
    mail_import = mail_commands.add_parser(
        "import", help="ingest a .eml file, an mbox file, a Maildir or a folder of .eml files"
    )
    mail_import.add_argument("path")
    mail_import.add_argument("--mailbox", help="the support address the mail was sent to")
    mail_import.add_argument("--json", action="store_true", help="print the summary as JSON")
    mail_import.add_argument(
        "--jobs", type=int, default=None,
        help="processes importing at once (PostgreSQL; default one per core there, 1 on SQLite)",
    )  # fmt: skip

    smtpd = mail_commands.add_parser("smtpd", help="run the built-in SMTP listener")
    smtpd.add_argument("--host", default="127.0.0.1")
    smtpd.add_argument("--port", type=int, default=2525)

    token = commands.add_parser("token", help="API tokens for agents")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="print a new API token for an agent")
    create.add_argument("email")
    create.add_argument("--name", default="CLI token")
    create.add_argument(
        "--days", type=int, default=None, help="lifetime (default HELPLINE_API_TOKEN_DAYS, 365)"
    )
    token_commands.add_parser("list", help="list tokens").add_argument("email")
    revoke = token_commands.add_parser("revoke", help="revoke a token by its hint")
    revoke.add_argument("hint")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    apply_command_environment(args.command)
    try:
        _setup_django()
        handler = _handlers()[args.command]
        return handler(args)
    except UserError as error:
        print(f"helpline: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _handlers() -> dict[str, Callable[[argparse.Namespace], int]]:
    from helpline import commands

    return {
        "demo": commands.demo,
        "serve": commands.serve,
        "worker": commands.worker,
        "manage": commands.manage,
        "createadmin": commands.createadmin,
        "token": commands.token,
        "mail": commands.mail,
    }


if __name__ == "__main__":
    sys.exit(main())
