"""`helpline manage unlock_sign_in EMAIL… [--address IP…]`: lift sign-in locks."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpline.accounts.actions import unlock_sign_in


class Command(BaseCommand):
    help = "Lift the sign-in lock of accounts (by email) or client addresses."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("emails", nargs="*", help="the locked account's email")
        parser.add_argument(
            "--address", action="append", default=[], help="a locked client address"
        )

    def handle(self, *args: Any, emails: list[str], address: list[str], **options: Any) -> None:
        if not emails and not address:
            raise CommandError("Name at least one email or --address.")
        if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
            # The locks live in the server process's memory, out of this command's reach.
            raise CommandError(
                "Sign-in locks are kept in the web server's memory (no CACHE_URL is set), "
                "so this command cannot reach them. Use the admin (Users → select → "
                "'Unlock sign-in'), restart the server, or set CACHE_URL to a Redis server."
            )
        cleared = unlock_sign_in(emails=emails, addresses=address, acting_user=None)
        for subject in cleared:
            self.stdout.write(f"Unlocked {subject}.")
        for subject in sorted({*emails, *address} - set(cleared)):
            self.stdout.write(f"{subject} had no failed sign-ins.")
