"""Input that made the contacts API answer 500, and the one text rule on stored strings.

Found by fuzzing: a 30-digit id overflowed SQLite; NUL in `q` made PostgreSQL refuse
the query. Each is now a 422 naming the parameter, or cleaned where that is the rule.
"""

import pytest

from helpline.contacts.models import Contact, Organization
from helpline.testing import error_fields as fields
from helpline.testing import row_counts as counts

HUGE = "9" * 30


@pytest.fixture
def api(api_as, carol):
    return api_as(carol)


@pytest.mark.django_db
class TestListQuery:
    def test_it_refuses_an_organization_id_too_big_for_the_database(self, api, dana):
        assert fields(api.get("/contacts", organization=HUGE)) == ["organization"]

    @pytest.mark.parametrize("value", ["0", "-1", "north", "1.5"])
    def test_it_refuses_a_malformed_organization(self, api, dana, value):
        assert fields(api.get("/contacts", organization=value)) == ["organization"]

    def test_it_refuses_an_unknown_organization(self, api, dana):
        response = api.get("/contacts", organization=10**6)
        assert fields(response) == ["organization"]
        assert response.json()["detail"][0]["loc"] == ["query", "organization"]

    def test_it_lists_an_organizations_contacts(self, api, dana, eve, northwind):
        items = api.get("/contacts", organization=northwind.pk).json()["items"]
        assert [c["id"] for c in items] == [dana.pk]

    @pytest.mark.parametrize("q", ["Dana\x00", "\x00Dana", "Dana\u202e", "\u2066Dana\u2069"])
    def test_it_searches_with_control_and_bidi_characters_removed(self, api, dana, eve, q):
        response = api.get("/contacts", q=q)
        assert response.status_code == 200
        assert [c["id"] for c in response.json()["items"]] == [dana.pk]

    def test_it_refuses_an_over_long_search(self, api, dana):
        assert fields(api.get("/contacts", q="x" * 201)) == ["q"]

    def test_it_refuses_an_over_long_cursor(self, api, dana):
        assert fields(api.get("/contacts", cursor="x" * 201)) == ["cursor"]


@pytest.mark.django_db
class TestIds:
    @pytest.mark.parametrize(
        "path", ["/contacts/{big}", "/organizations/{big}", "/contacts/0", "/organizations/0"]
    )
    def test_it_refuses_an_id_outside_the_databases_range(self, api, path):
        response = api.get(path.format(big=HUGE))
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][0] == "path"

    @pytest.mark.parametrize("method", ["patch", "delete"])
    def test_it_refuses_it_on_writes_too(self, api, dana, method):
        before = counts()
        call = getattr(api, method)
        response = (
            call(f"/contacts/{HUGE}", {"name": "x"})
            if method == "patch"
            else call(f"/contacts/{HUGE}")
        )
        assert response.status_code == 422
        assert counts() == before

    def test_it_refuses_a_body_organization_id_too_big(self, api, dana):
        response = api.patch(f"/contacts/{dana.pk}", {"organization_id": int(HUGE)})
        assert fields(response) == ["organization_id"]
        assert Contact.objects.get(pk=dana.pk).organization is not None

    def test_it_still_reads_a_contact_by_id(self, api, dana):
        assert api.get(f"/contacts/{dana.pk}").json()["email"] == "dana@northwind.example"


@pytest.mark.django_db
class TestStoredText:
    def test_it_cleans_a_contacts_name_and_notes(self, api):
        response = api.post(
            "/contacts",
            {"emails": ["lee@globex.example"], "name": "Lee\x00 \u202ePark",
             "notes": "line one\x00\nline\ttwo\u2066\x1b"},
        )  # fmt: skip
        assert response.status_code == 201
        contact = Contact.objects.get(pk=response.json()["id"])
        assert (contact.name, contact.notes) == ("Lee Park", "line one\nline\ttwo")

    def test_it_cleans_a_changed_name(self, api, dana):
        response = api.patch(f"/contacts/{dana.pk}", {"name": "Dana\u202e Admin"})
        assert response.json()["name"] == "Dana Admin"

    def test_it_cleans_an_organizations_notes_and_name(self, api):
        response = api.post("/organizations", {"name": "Hoo\u202eli", "notes": "a\x00b\nc"})
        assert response.status_code == 201
        organization = Organization.objects.get(pk=response.json()["id"])
        assert (organization.name, organization.notes) == ("Hooli", "ab\nc")

    @pytest.mark.parametrize("email", ["lee\x00@globex.example", "lee@globex\u202e.example"])
    def test_it_refuses_an_email_address_with_such_characters(self, api, email):
        before = counts()
        assert fields(api.post("/contacts", {"emails": [email]})) == ["emails"]
        assert counts() == before

    @pytest.mark.parametrize("domain", ["hooli\x00.example", "\u202ehooli.example"])
    def test_it_refuses_a_domain_with_such_characters(self, api, domain):
        response = api.post("/organizations", {"name": "Hooli", "domains": [domain]})
        assert fields(response) == ["domains"]
        assert not Organization.objects.filter(name="Hooli").exists()
