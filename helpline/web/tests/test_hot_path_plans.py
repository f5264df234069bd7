"""Every statement of the hot paths uses an index at 100,000 tickets and contacts.

One realistically sized database (100,000 tickets, contacts, email identities, messages,
timeline events and mail references, then ANALYZE), the real operations run on it
through the API and the mail pipeline, and each statement they sent explained by the
database itself: a full scan of a large table fails the test. An index walked in order
(a list page read from `updated_at` down until it is full) is not a full scan.
"""

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.contacts.models import Contact, ContactIdentity
from helpline.lib import clock
from helpline.mail import actions as mail
from helpline.mail.models import InboundEmail, Mailbox, MessageReference
from helpline.mail.tests.factories import raw_email
from helpline.tickets.models import Counter, EventKind, Message, Status, Ticket, TicketEvent

ROWS = 100_000
LARGE_TABLES = {
    "tickets_ticket", "tickets_message", "tickets_ticketevent", "contacts_contact",
    "contacts_contactidentity", "mail_messagereference",
}  # fmt: skip


def fill(rows: int, dana: Contact) -> list[Ticket]:
    status = Status.objects.default_for("new")
    now = clock.now()
    contacts = Contact.objects.bulk_create(
        [Contact(name=f"Customer {n}") for n in range(rows)], batch_size=5000
    )
    ContactIdentity.objects.bulk_create(
        [ContactIdentity(contact=c, value=f"customer{n}@example.com", is_primary=True)
         for n, c in enumerate(contacts)],
        batch_size=5000,
    )  # fmt: skip
    tickets = Ticket.objects.bulk_create(
        [Ticket(number=10_000 + n, subject=f"Request {n}", status=status, requester=contacts[n],
                created_at=now - timedelta(minutes=n), updated_at=now - timedelta(minutes=n))
         for n in range(rows)],
        batch_size=5000,
    )  # fmt: skip
    Counter.set("ticket", 10_000 + rows)
    messages = Message.objects.bulk_create(
        [Message(ticket=t, author_kind="contact", author_contact_id=t.requester_id,
                 body_text=f"Message {n} about an invoice", created_at=t.created_at)
         for n, t in enumerate(tickets)],
        batch_size=5000,
    )  # fmt: skip
    TicketEvent.objects.bulk_create(
        [TicketEvent(ticket=t, kind=EventKind.CREATED, data={}, created_at=t.created_at)
         for t in tickets],
        batch_size=5000,
    )  # fmt: skip
    MessageReference.objects.bulk_create(
        [MessageReference(message_id=f"m{n}@client.example", ticket=m.ticket, ticket_message=m)
         for n, m in enumerate(messages)],
        batch_size=5000,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return tickets


def full_scans(sql: str) -> list[str]:
    """The large tables this statement would read whole, as the database plans it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
            (plan,) = cursor.fetchone()
            plan = plan if isinstance(plan, list) else json.loads(plan)
            return sorted(
                node["Relation Name"]
                for node in _nodes(plan[0]["Plan"])
                if node["Node Type"] == "Seq Scan" and node["Relation Name"] in LARGE_TABLES
            )
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        details = [str(row[-1]) for row in cursor.fetchall()]
    scanned = (re.fullmatch(r"SCAN (\w+)(?: AS \w+)?", d) for d in details)
    return sorted(m.group(1) for m in scanned if m and m.group(1) in LARGE_TABLES)


def mail_results() -> list[tuple[str, str, str]]:
    return list(InboundEmail.objects.values_list("state", "result", "placement"))


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("Plans", []) for n in _nodes(child))]


def statements_of(action: Callable[[], object]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        action()
    return [
        q["sql"] for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "WITH"))
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_hot_paths_use_an_index_at_100000_tickets(api_as, carol, dana, tech_team):
    tickets = fill(ROWS, dana)
    api = api_as(carol)
    carol.sees_all_tickets = True
    carol.save()
    mailbox = Mailbox.objects.create(address="support@helpline.example", team=tech_team)
    middle = tickets[ROWS // 2]
    new = {"subject": "Printer", "body": "On fire.", "requester_email": "customer77@example.com"}

    def deliver(raw: bytes) -> None:
        received = mail.receive(raw=raw, via="test", mailbox=mailbox, queue_processing=False)
        mail.process(inbound_id=received.inbound.pk)

    paths: dict[str, Callable[[], object]] = {
        "create, existing requester": lambda: api.post("/tickets", new),
        "create, new requester": lambda: api.post("/tickets", new | {"requester_email": "n@x.example"}),
        "reply": lambda: api.post(f"/tickets/{middle.number}/replies", {"body": "On it."}),
        "ticket page (API)": lambda: api.get(f"/tickets/{middle.number}"),
        "list, first page": lambda: api.get("/tickets"),
        "list, open, by requester": lambda: api.get("/tickets", status_category="new",
                                                    requester=middle.requester_id),
        "search, a number": lambda: api.get("/tickets", q=str(middle.number)),
        "search, an email": lambda: api.get("/tickets", q="customer4242@example.com"),
        "search, a rare word": lambda: api.get("/tickets", q="smoking"),
        "mail, a reply by In-Reply-To": lambda: deliver(raw_email(
            sender="customer123@example.com", in_reply_to="<m123@client.example>")),
        "mail, a new ticket": lambda: deliver(raw_email(sender="customer9@example.com")),
    }  # fmt: skip
    api.get("/tickets")  # warm-up: the token's last-used time
    found = {}
    for name, action in paths.items():
        statements = statements_of(action)
        assert statements, f"{name}: no statement captured"
        scans = {sql: tables for sql in statements if (tables := full_scans(sql))}
        if scans:
            found[name] = scans
    assert found == {}, "\n".join(
        f"{name}: {tables} in {sql[:300]}" for name, s in found.items() for sql, tables in s.items()
    )
    # The check sees a full scan where there is one (no index on the body's text) ...
    unindexed = "SELECT id FROM tickets_message WHERE body_text = 'x'"
    assert full_scans(unindexed) == ["tickets_message"]
    # ... and the operations did what they say (a failing one could not scan anything).
    assert Ticket.objects.filter(subject="Printer").count() == 2
    assert middle.messages.count() == 2
    assert tickets[123].messages.count() == 2, mail_results()
