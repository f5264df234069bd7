"""Assertion helpers shared by the test suites ("nothing changed", "which field failed")."""

from typing import Any

from django.db.models import Q

from helpline.contacts.models import Contact
from helpline.tickets.models import Attachment, Blob, Message, Tag, Ticket, TicketEvent, TicketLink


def error_fields(response: Any) -> list[Any]:
    """The field each 422 error names (the last part of its `loc`)."""
    assert response.status_code == 422, response.content
    return [error["loc"][-1] for error in response.json()["detail"]]


def row_counts() -> dict[str, int]:
    models = [Ticket, Contact, Message, TicketEvent, Attachment, Blob, Tag, TicketLink]
    return {model.__name__: model._default_manager.count() for model in models}


def ticket_state(*tickets: Ticket) -> dict[str, Any]:
    """Everything an endpoint could change about these tickets, read fresh from the database."""
    rows = {}
    for ticket in tickets:
        fresh = Ticket.objects.get(pk=ticket.pk)
        rows[fresh.number] = {
            "fields": Ticket.objects.filter(pk=ticket.pk).values().get(),
            "tags": sorted(fresh.tags.values_list("name", flat=True)),
            "ccs": sorted(fresh.ccs.values_list("pk", flat=True)),
            "messages": sorted(fresh.messages.values_list("pk", flat=True)),
            "events": fresh.events.count(),
            "links": TicketLink.objects.filter(Q(source=fresh) | Q(target=fresh)).count(),
        }
    return {"tickets": rows, "counts": row_counts()}
