import pytest

from helpline.conftest import b64
from helpline.contacts.models import ContactIdentity
from helpline.tickets import actions
from helpline.tickets.models import Category, CustomField, FieldKind


@pytest.mark.django_db
def test_it_creates_lists_and_replies(api_as, carol):
    api = api_as(carol)
    response = api.post(
        "/tickets",
        {
            "subject": "Export broken",
            "body": "It fails",
            "requester_email": "New.Person@Initech.example",
            "tags": ["bug", "Export"],
            "attachments": [{"filename": "../../etc/passwd", "content_base64": b64(b"hello")}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["requester"]["email"] == "new.person@initech.example"
    assert body["tags"] == ["bug", "export"]
    assert response["Location"] == f"/api/v1/tickets/{body['number']}"
    assert "messages" not in body  # the conversation is the caller's own; GET it
    attachment = api.created(response)["messages"][0]["attachments"][0]
    assert attachment["filename"] == "passwd"
    download = api.get(attachment["url"].removeprefix("/api/v1"))
    assert b"".join(download.streaming_content) == b"hello"
    listing = api.get("/tickets").json()
    assert [t["number"] for t in listing["items"]] == [body["number"]]
    reply = api.post(f"/tickets/{body['number']}/replies", {"body": "Fixed", "status": "solved"})
    assert reply.status_code == 201
    assert api.get(f"/tickets/{body['number']}").json()["status"] == "solved"


@pytest.mark.django_db
def test_a_list_item_shows_what_the_ticket_shows(api_as, carol, dana, tech_team):
    """The list reads plain values (`Ticket.objects.list_rows`), the detail reads the
    model: every field they share must come out the same, relations and nulls included."""
    CustomField.objects.create(key="plan", label="Plan", kind=FieldKind.TEXT)
    # A requester whose primary email is not the first one added.
    ContactIdentity.objects.create(contact=dana, value="dana.old@northwind.example")
    ContactIdentity.objects.filter(contact=dana).update(is_primary=False)
    ContactIdentity.objects.filter(value="dana.old@northwind.example").update(is_primary=True)
    full = actions.create_ticket(
        acting_user=carol, requester=dana, subject="Everything set", body="Body.",
        category=Category.objects.create(name="Billing"), tags=["zeta", "alpha"],
        assignee=carol, team=tech_team, custom_fields={"plan": "Gold"}, language="de",
        priority="high", type="incident",
    )  # fmt: skip
    bare = actions.create_ticket(acting_user=None, requester=dana, subject="Bare", body="B.")
    merged = actions.create_ticket(acting_user=carol, requester=dana, subject="Dup", body="D.")
    actions.merge(source=merged, target=full, acting_user=carol)
    api = api_as(carol)
    items = {item["number"]: item for item in api.get("/tickets", limit=10).json()["items"]}
    for ticket in (full, bare, merged):
        detail = api.get(f"/tickets/{ticket.number}").json()
        item = items[ticket.number]
        assert item.pop("snippet") is None
        assert item == {key: detail[key] for key in item}, ticket.subject
    assert items[full.number]["requester"]["email"] == "dana.old@northwind.example"
    assert items[full.number]["tags"] == ["alpha", "zeta"]
    assert items[merged.number]["merged_into"] == full.number
    assert items[bare.number]["assignee"] is None
    assert items[bare.number]["team"] is None
