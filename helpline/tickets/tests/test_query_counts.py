"""The list and the ticket page cost a fixed number of queries, however much data there is."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.tickets import actions


def make_tickets(count, requester, agent, team):
    for index in range(count):
        created = actions.create_ticket(
            acting_user=agent, requester=requester, subject=f"T{index}", body="b",
            tags=["a", "b"], assignee=agent, team=team,
        )  # fmt: skip
        actions.reply(ticket=created, acting_user=agent, body="r")


def queries(api, path) -> int:
    api.get(path)  # warm-up: the token's last-used time is written at most once a minute
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_ticket_list_does_not_grow_with_the_page(api_as, carol, dana, tech_team):
    api = api_as(carol)
    make_tickets(3, dana, carol, tech_team)
    small = queries(api, "/tickets")
    make_tickets(20, dana, carol, tech_team)
    assert queries(api, "/tickets") == small
    assert small <= 8


@pytest.mark.django_db
def test_the_ticket_page_does_not_grow_with_the_conversation(api_as, carol, dana, ticket):
    api = api_as(carol)
    actions.reply(ticket=ticket, acting_user=carol, body="first")
    small = queries(api, f"/tickets/{ticket.number}")
    for index in range(15):
        actions.reply(ticket=ticket, author_contact=dana, body=f"more {index}")
    assert queries(api, f"/tickets/{ticket.number}") == small


@pytest.mark.django_db
def test_the_ticket_web_page_does_not_grow_with_the_conversation(client, carol, dana, ticket):
    from helpline.tickets.files import Upload

    client.force_login(carol)
    url = f"/tickets/{ticket.number}/"

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    actions.reply(ticket=ticket, acting_user=carol, body="first")
    small = page_queries()
    for index in range(6):
        actions.reply(
            ticket=ticket, author_contact=dana, body=f"more {index}",
            attachments=[Upload(f"{index}.txt", b"log", "text/plain")],
        )  # fmt: skip
        actions.add_note(ticket=ticket, acting_user=carol, body="note")
    assert page_queries() == small


@pytest.mark.django_db
def test_a_counter_counts_from_its_start_in_one_statement():
    from django.db import transaction

    from helpline.tickets.models import Counter

    with transaction.atomic():
        assert [Counter.next("invoice", start=10) for _ in range(3)] == [11, 12, 13]
        assert Counter.next("other") == 1001
        with CaptureQueriesContext(connection) as captured:
            assert Counter.next("invoice", start=10) == 14
    assert len(captured) == 1


def create_statements(api, requester, **extra) -> list[str]:
    payload = {"subject": "Printer", "body": "It is on fire.", "requester_email": requester}
    api.get("/tickets")  # warm-up: the token's last-used time is written at most once a minute
    with CaptureQueriesContext(connection) as captured:
        assert api.post("/tickets", payload | extra).status_code == 201
    return [query["sql"] for query in captured]


@pytest.mark.django_db
def test_a_create_is_at_most_twelve_statements(api_as, carol, dana, ticket):
    """Once the number counter exists (`ticket`): token, contact, default status, number,
    ticket, event, message, the answer's tags and requester email. The API's own
    transaction is a savepoint here (the test's transaction is outermost); in the
    server it is BEGIN and COMMIT."""
    statements = create_statements(api_as(carol), dana.primary_email)
    assert len(statements) <= 12, "\n".join(statements)
    # The verbs inside the API's transaction take no savepoint of their own.
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) == 1
    # A new ticket has no tags or CCs to read before adding them.
    assert not [sql for sql in statements if "tickets_ticket_ccs" in sql]


@pytest.mark.django_db
def test_tags_and_ccs_of_a_new_ticket_cost_one_insert_each(api_as, carol, dana, eve, ticket):
    api = api_as(carol)
    extra = {"tags": ["billing", "vip"], "cc_emails": [eve.primary_email]}
    first = create_statements(api, dana.primary_email, **extra)  # creates both tags
    again = create_statements(api, dana.primary_email, **extra)  # finds them
    tag_writes = [sql for sql in again if sql.startswith("INSERT") and "tickets_ticket_tags" in sql]
    cc_writes = [sql for sql in again if sql.startswith("INSERT") and "tickets_ticket_ccs" in sql]
    assert len(tag_writes) == len(cc_writes) == 1
    assert len(again) == len(first) - 2  # no tag to create: no INSERT, no second read
    assert len(again) <= 17, "\n".join(again)
