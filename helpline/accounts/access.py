"""Who may change things: the one place that says it, for every app."""

from helpline.accounts.models import User


class NoPermission(Exception):
    """The user may see the object but not make this change (e.g. a light agent replying)."""


def check_can_edit(user: User) -> None:
    """Tickets, contacts and organisations are changed by full agents and admins only."""
    if not user.can_edit_tickets:
        raise NoPermission("Light agents can read tickets and add internal notes only.")
