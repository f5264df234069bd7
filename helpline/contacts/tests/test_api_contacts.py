"""Contacts and organisations through the API: CRUD, bad input, light agents, authentication."""

from typing import Any

import pytest

from helpline.conftest import ApiClient
from helpline.contacts.actions import create_contact
from helpline.contacts.models import Contact, ContactIdentity, Organization, OrganizationDomain
from helpline.testing import error_fields as fields

LIGHT_AGENT_DETAIL = "Light agents can read tickets and add internal notes only."


@pytest.fixture
def api(api_as, carol):
    return api_as(carol)


@pytest.fixture
def loner(db) -> Contact:
    """A contact without tickets or organisation."""
    return create_contact(emails=["sam@gmail.example"], name="Sam Loner", acting_user=None)


def snapshot() -> dict[str, Any]:
    """Every contact and organisation row, with identities and domains."""
    return {
        "contacts": list(Contact.objects.order_by("pk").values()),
        "identities": list(ContactIdentity.objects.order_by("pk").values()),
        "organizations": list(Organization.objects.order_by("pk").values()),
        "domains": list(OrganizationDomain.objects.order_by("pk").values()),
    }


@pytest.mark.django_db
class TestContacts:
    def test_it_creates_a_contact(self, api, northwind):
        response = api.post(
            "/contacts",
            {"emails": [" Kim@Initech.Example ", "kim@home.example"], "name": " Kim ",
             "phones": ["+44 20 7946 0000"], "notes": "VIP", "organization_id": northwind.pk},
        )  # fmt: skip
        assert response.status_code == 201, response.content
        body = response.json()
        assert body == {
            "id": body["id"], "name": "Kim", "email": "kim@initech.example",
            "emails": ["kim@initech.example", "kim@home.example"],
            "phones": ["+44 20 7946 0000"], "organization_id": northwind.pk, "notes": "VIP",
        }  # fmt: skip

    def test_it_puts_a_new_contact_in_the_organisation_of_its_domain(self, api, northwind):
        response = api.post("/contacts", {"emails": ["ops@NORTHWIND.example"]})
        assert response.status_code == 201
        assert response.json()["organization_id"] == northwind.pk

    def test_it_puts_a_new_ticket_requester_in_the_organisation_of_its_domain(self, api, globex):
        payload = {"subject": "Hi", "body": "Hello", "requester_email": "new@globex.example"}
        requester = api.post("/tickets", payload).json()["requester"]
        assert Contact.objects.get(pk=requester["id"]).organization == globex

    def test_it_leaves_a_contact_of_an_unknown_domain_without_organisation(self, api, northwind):
        response = api.post("/contacts", {"emails": ["a@elsewhere.example"]})
        assert response.json()["organization_id"] is None

    def test_it_gets_a_contact(self, api, dana, northwind):
        response = api.get(f"/contacts/{dana.pk}")
        assert response.status_code == 200
        assert response.json()["email"] == "dana@northwind.example"
        assert response.json()["organization_id"] == northwind.pk

    def test_it_answers_404_for_a_missing_contact(self, api):
        assert api.get("/contacts/999999").status_code == 404

    def test_it_lists_and_searches_contacts(self, api, dana, eve, loner):
        everyone = api.get("/contacts").json()
        assert [c["id"] for c in everyone["items"]] == [dana.pk, eve.pk, loner.pk]
        found = api.get("/contacts", q="GLOBEX").json()["items"]
        assert [c["id"] for c in found] == [eve.pk]
        by_org = api.get("/contacts", organization=dana.organization_id).json()["items"]
        assert [c["id"] for c in by_org] == [dana.pk]

    def test_it_pages_through_contacts(self, api, dana, eve, loner):
        first = api.get("/contacts", limit=2).json()
        second = api.get("/contacts", limit=2, cursor=first["next_cursor"]).json()
        assert [c["id"] for c in first["items"] + second["items"]] == [dana.pk, eve.pk, loner.pk]
        assert second["next_cursor"] is None

    @pytest.mark.parametrize("cursor", ["!!!", "bm90LWpzb24", "WyJ4IiwgMV0"])  # ["x", 1]
    def test_it_refuses_a_cursor_it_did_not_give_out(self, api, dana, cursor):
        assert fields(api.get("/contacts", cursor=cursor)) == ["cursor"]

    def test_it_changes_a_contact(self, api, dana, globex):
        response = api.patch(
            f"/contacts/{dana.pk}",
            {"name": "Dana C.", "emails": ["dana@new.example", "dana@northwind.example"],
             "organization_id": globex.pk, "notes": "Moved"},
        )  # fmt: skip
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["name"], body["email"], body["organization_id"], body["notes"]) == (
            "Dana C.", "dana@new.example", globex.pk, "Moved",
        )  # fmt: skip
        assert body["emails"] == ["dana@new.example", "dana@northwind.example"]

    def test_it_takes_a_contact_out_of_its_organisation(self, api, dana):
        response = api.patch(f"/contacts/{dana.pk}", {"organization_id": None})
        assert response.json()["organization_id"] is None

    def test_it_deletes_a_contact_without_tickets(self, api, loner):
        response = api.delete(f"/contacts/{loner.pk}")
        assert response.status_code == 204
        assert not Contact.objects.filter(pk=loner.pk).exists()
        assert not ContactIdentity.objects.filter(value="sam@gmail.example").exists()

    def test_it_refuses_to_delete_a_contact_with_tickets(self, api, ticket, dana):
        before = snapshot()
        response = api.delete(f"/contacts/{dana.pk}")
        assert fields(response) == ["contact"]
        assert snapshot() == before


@pytest.mark.django_db
class TestContactBadInput:
    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"emails": ["DANA@northwind.example"]}, "emails"),
            ({"emails": ["new@x.example", "dana@northwind.example"]}, "emails"),
            ({"emails": []}, "emails"),
            ({"emails": "kim@x.example"}, "emails"),
            ({"emails": [f"e{i}@x.example" for i in range(21)]}, "emails"),
            ({}, "emails"),
            ({"emails": ["kim@x.example"], "name": "n" * 201}, "name"),
            ({"emails": ["kim@x.example"], "phones": ["1"] * 21}, "phones"),
            ({"emails": ["kim@x.example"], "organization_id": "northwind"}, "organization_id"),
        ],
    )
    def test_it_refuses_a_bad_new_contact(self, api, dana, payload, field):
        before = snapshot()
        assert fields(api.post("/contacts", payload)) == [field]
        assert snapshot() == before

    @pytest.mark.parametrize("email", ["not-an-email", "a@b@c.example", "kim@", "x" * 300])
    def test_it_refuses_an_invalid_email(self, api, dana, email):
        before = snapshot()
        response = api.post("/contacts", {"emails": ["ok@x.example", email]})
        assert response.status_code == 422
        assert snapshot() == before

    def test_it_names_the_emails_field_for_an_invalid_address(self, api):
        assert fields(api.post("/contacts", {"emails": ["not-an-email"]})) == ["emails"]

    @pytest.mark.parametrize("method", ["post", "patch"])
    def test_it_refuses_an_unknown_organisation(self, api, dana, method):
        before = snapshot()
        if method == "post":
            response = api.post("/contacts", {"emails": ["kim@x.example"], "organization_id": 999})
        else:
            response = api.patch(f"/contacts/{dana.pk}", {"organization_id": 999})
        assert fields(response) == ["organization_id"]
        assert snapshot() == before

    def test_it_refuses_a_phone_number_already_taken(self, api):
        create_contact(emails=["a@x.example"], phones=["+1 555 0100"], acting_user=None)
        before = snapshot()
        response = api.post("/contacts", {"emails": ["b@x.example"], "phones": ["+1 555 0100"]})
        assert fields(response) == ["phones"]
        assert snapshot() == before

    def test_it_keeps_a_phone_number_given_twice_once(self, api):
        response = api.post(
            "/contacts", {"emails": ["b@x.example"], "phones": ["+1 555 0199", "+1 555 0199"]}
        )
        assert response.status_code == 201
        assert response.json()["phones"] == ["+1 555 0199"]

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"emails": ["eve@globex.example"]}, "emails"),
            ({"name": "Renamed", "emails": ["eve@globex.example"]}, "emails"),
            ({"emails": []}, "emails"),
            ({"name": "n" * 201}, "name"),
        ],
    )
    def test_it_refuses_a_bad_change(self, api, dana, eve, payload, field):
        before = snapshot()
        assert fields(api.patch(f"/contacts/{dana.pk}", payload)) == [field]
        assert snapshot() == before

    def test_it_refuses_an_invalid_email_in_a_change(self, api, dana):
        before = snapshot()
        response = api.patch(f"/contacts/{dana.pk}", {"name": "X", "emails": ["nope"]})
        assert response.status_code == 422
        assert snapshot() == before


@pytest.mark.django_db
class TestOrganizations:
    def test_it_creates_an_organisation(self, api):
        response = api.post(
            "/organizations",
            {"name": " Initech ", "domains": ["@Initech.Example", "initech.example", "ini.example"],
             "notes": "Big", "shares_tickets": True},
        )  # fmt: skip
        assert response.status_code == 201, response.content
        body = response.json()
        assert body == {
            "id": body["id"], "name": "Initech", "domains": ["ini.example", "initech.example"],
            "notes": "Big", "shares_tickets": True,
        }  # fmt: skip

    def test_it_lists_and_gets_organisations(self, api, northwind, globex):
        listed = api.get("/organizations").json()
        assert [(o["name"], o["domains"]) for o in listed] == [
            ("Globex", ["globex.example"]), ("Northwind", ["northwind.example"]),
        ]  # fmt: skip
        assert api.get(f"/organizations/{northwind.pk}").json()["name"] == "Northwind"
        assert api.get("/organizations/999999").status_code == 404

    def test_it_changes_an_organisation(self, api, northwind):
        response = api.patch(
            f"/organizations/{northwind.pk}",
            {"name": "Northwind Traders", "domains": ["northwind.example", "nwt.example"]},
        )
        assert response.status_code == 200, response.content
        assert response.json()["name"] == "Northwind Traders"
        assert response.json()["domains"] == ["northwind.example", "nwt.example"]

    def test_it_deletes_an_organisation_and_keeps_its_contacts(self, api, northwind, dana):
        assert api.delete(f"/organizations/{northwind.pk}").status_code == 204
        dana.refresh_from_db()
        assert dana.organization is None
        assert not OrganizationDomain.objects.exists()

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"name": "Northwind"}, "name"),
            ({"name": "NORTHWIND"}, "name"),
            ({"name": "   "}, "name"),
            ({"name": "n" * 201}, "name"),
            ({}, "name"),
            ({"name": "Initech", "domains": ["not a domain"]}, "domains"),
            ({"name": "Initech", "domains": ["ok.example", "bad_domain..example"]}, "domains"),
            ({"name": "Initech", "domains": ["@"]}, "domains"),
            ({"name": "Initech", "domains": ["NorthWind.example"]}, "domains"),
            ({"name": "Initech", "domains": "initech.example"}, "domains"),
            ({"name": "Initech", "domains": [f"d{i}.example" for i in range(51)]}, "domains"),
            ({"name": "Initech", "shares_tickets": "maybe"}, "shares_tickets"),
        ],
    )
    def test_it_refuses_a_bad_new_organisation(self, api, northwind, payload, field):
        before = snapshot()
        assert fields(api.post("/organizations", payload)) == [field]
        assert snapshot() == before

    @pytest.mark.parametrize(
        ("payload", "field"),
        [
            ({"name": "  "}, "name"),
            ({"domains": ["globex.example"]}, "domains"),
            ({"name": "Renamed", "domains": ["not a domain"]}, "domains"),
        ],
    )
    def test_it_refuses_a_bad_change(self, api, northwind, globex, payload, field):
        before = snapshot()
        assert fields(api.patch(f"/organizations/{northwind.pk}", payload)) == [field]
        assert snapshot() == before

    @pytest.mark.parametrize("name", ["Globex", "globex"])
    def test_it_refuses_to_rename_to_a_taken_name(self, api, northwind, globex, name):
        before = snapshot()
        assert fields(api.patch(f"/organizations/{northwind.pk}", {"name": name})) == ["name"]
        assert snapshot() == before


def writes(dana, northwind) -> dict[str, tuple[str, str, Any]]:
    return {
        "create-contact": ("post", "/contacts", {"emails": ["kim@x.example"]}),
        "change-contact": ("patch", f"/contacts/{dana.pk}", {"name": "Changed"}),
        "delete-contact": ("delete", f"/contacts/{dana.pk}", None),
        "create-organization": ("post", "/organizations", {"name": "Initech"}),
        "change-organization": ("patch", f"/organizations/{northwind.pk}", {"name": "Changed"}),
        "delete-organization": ("delete", f"/organizations/{northwind.pk}", None),
    }


def reads(dana, northwind) -> dict[str, tuple[str, str, Any]]:
    return {
        "list-contacts": ("get", "/contacts", None),
        "get-contact": ("get", f"/contacts/{dana.pk}", None),
        "list-organizations": ("get", "/organizations", None),
        "get-organization": ("get", f"/organizations/{northwind.pk}", None),
    }


WRITES = [
    "create-contact", "change-contact", "delete-contact",
    "create-organization", "change-organization", "delete-organization",
]  # fmt: skip
READS = ["list-contacts", "get-contact", "list-organizations", "get-organization"]


def call(api: ApiClient, method: str, path: str, payload: Any) -> Any:
    if method in {"get", "delete"}:
        return getattr(api, method)(path)
    return getattr(api, method)(path, payload)


@pytest.mark.django_db
class TestLightAgent:
    @pytest.mark.parametrize("name", READS)
    def test_it_may_read(self, api_as, lee, dana, northwind, name):
        assert call(api_as(lee), *reads(dana, northwind)[name]).status_code == 200

    @pytest.mark.parametrize("name", WRITES)
    def test_it_may_not_write(self, api_as, lee, dana, northwind, name):
        before = snapshot()
        response = call(api_as(lee), *writes(dana, northwind)[name])
        assert (response.status_code, response.json()) == (403, {"detail": LIGHT_AGENT_DETAIL})
        assert snapshot() == before


@pytest.mark.django_db
class TestAuthentication:
    @pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic Y2Fyb2w6eA=="])
    @pytest.mark.parametrize("name", READS + WRITES)
    def test_it_answers_401_and_changes_nothing(self, dana, northwind, name, header):
        api = ApiClient(None)
        if header:
            api.headers["Authorization"] = header
        before = snapshot()
        response = call(api, *(reads(dana, northwind) | writes(dana, northwind))[name])
        assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})
        assert snapshot() == before
