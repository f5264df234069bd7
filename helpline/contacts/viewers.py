"""Who is looking: an agent, a customer, or the holder of one ticket's tracking link.

Every `access.*_for(viewer, …)` takes any of the three and answers for each, so
the portal, tracking links and chat load objects through the same functions as
the agent's pages and the API.
"""

from dataclasses import dataclass
from typing import TypeIs

from helpline.accounts.models import User
from helpline.contacts.models import Contact


@dataclass(frozen=True)
class LinkHolder:
    """Whoever opened a ticket's tracking link: the link proves nothing about who
    they are, so they see that one ticket's public side and nothing else."""

    ticket_id: int


Viewer = User | Contact | LinkHolder


def is_agent(viewer: Viewer) -> TypeIs[User]:
    """An active agent (light agents and admins included)."""
    return isinstance(viewer, User) and viewer.is_active


def is_customer(viewer: Viewer) -> TypeIs[Contact]:
    return isinstance(viewer, Contact)
