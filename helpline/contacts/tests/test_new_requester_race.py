"""Many requests naming one new customer at once make one contact (PostgreSQL, real threads)."""

import pytest

from helpline.conftest import ApiClient
from helpline.contacts.actions import find_or_create_contact
from helpline.contacts.models import Contact
from helpline.testing_threads import at_once, errors_in, postgres_only
from helpline.tickets.models import Ticket

PARALLEL = 20


@postgres_only
@pytest.mark.django_db(transaction=True)
class TestNewRequesterRace:
    def test_it_makes_one_contact_for_one_new_address(self, carol):
        outcomes = at_once(
            *[
                lambda: find_or_create_contact(email="New@Fresh.example", acting_user=carol)
                for _ in range(PARALLEL)
            ]
        )
        assert errors_in(outcomes) == []
        contact = Contact.objects.with_email("new@fresh.example").get()
        assert [o.pk for o in outcomes] == [contact.pk] * PARALLEL  # type: ignore[attr-defined]
        assert contact.identities.count() == 1

    def test_every_api_create_naming_a_new_requester_succeeds(self, carol):
        clients = [ApiClient(carol) for _ in range(PARALLEL)]
        for api in clients:
            # A failure answers 500 as in production (the test client's exception capture
            # is a process-wide signal, so threads would see each other's exceptions).
            api.client.raise_request_exception = False
        payload = {
            "requester_email": "first.time@fresh.example",
            "requester_name": "First Time",
            "subject": "Hello",
            "body": "My first ticket.",
        }
        responses = at_once(*[lambda c=c: c.post("/tickets", payload) for c in clients])
        assert errors_in(responses) == []
        assert [r.status_code for r in responses] == [201] * PARALLEL  # type: ignore[attr-defined]
        contact = Contact.objects.with_email("first.time@fresh.example").get()
        assert contact.name == "First Time"
        assert Ticket.objects.filter(requester=contact).count() == PARALLEL
        assert Contact.objects.count() == 1
