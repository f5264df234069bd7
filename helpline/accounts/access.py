"""Who may change things: the one place that says it, for every app."""

from helpline.accounts.models import User


class NoPermission(Exception):
    """The viewer may see the object but not make this change (e.g. a light agent replying)."""


def check_can_edit(viewer: object) -> None:
    """Tickets, contacts and organisations are changed by active full agents and admins
    only; customers and link holders change their tickets through their own verbs."""
    if not (isinstance(viewer, User) and viewer.is_active):
        raise NoPermission("Only agents can change this.")
    if not viewer.can_edit_tickets:
        raise NoPermission("Light agents can read tickets and add internal notes only.")
