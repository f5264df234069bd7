"""Changes to agents, tokens, contacts and organisations name who made them."""

import pytest
from django.core.exceptions import ValidationError

from helpline.accounts.actions import create_agent, create_api_token, revoke_api_token
from helpline.accounts.models import AuditEvent
from helpline.contacts import actions as contacts


def trail() -> list[tuple[str | None, str, str]]:
    return [
        (event.actor.email if event.actor else None, event.action, event.object_repr)
        for event in AuditEvent.objects.order_by("id")
    ]


@pytest.mark.django_db
class TestAuditTrail:
    def test_agent_and_token_changes_name_the_admin(self, alice):
        AuditEvent.objects.all().delete()
        agent = create_agent(
            email="new@helpline.test", name="New", password=None, acting_user=alice
        )
        token, _raw = create_api_token(user=agent, name="ci", acting_user=alice)
        revoke_api_token(token=token, acting_user=alice)
        revoke_api_token(token=token, acting_user=alice)  # already revoked: nothing happens
        assert [(actor, action) for actor, action, _ in trail()] == [
            ("alice@helpline.test", "agent.created"),
            ("alice@helpline.test", "token.created"),
            ("alice@helpline.test", "token.revoked"),
        ]

    def test_contact_and_organisation_changes_name_the_agent(self, carol, northwind):
        AuditEvent.objects.all().delete()
        frank = contacts.create_contact(emails=["frank@example.net"], acting_user=carol)
        contacts.update_contact(
            contact=frank, acting_user=carol, name="Frank", organization=northwind
        )
        contacts.update_organization(organization=northwind, acting_user=carol, shares_tickets=True)
        contacts.delete_contact(contact=frank, acting_user=carol)
        contacts.delete_organization(organization=northwind, acting_user=carol)
        assert [(actor, action) for actor, action, _ in trail()] == [
            ("carol@helpline.test", "contact.created"),
            ("carol@helpline.test", "contact.updated"),
            ("carol@helpline.test", "organization.updated"),
            ("carol@helpline.test", "contact.deleted"),
            ("carol@helpline.test", "organization.deleted"),
        ]
        updated = AuditEvent.objects.get(action="contact.updated")
        assert updated.data == {"fields": ["name", "organization"]}
        assert AuditEvent.objects.get(action="contact.deleted").data == {
            "emails": ["frank@example.net"]
        }

    def test_helpline_acting_itself_is_recorded_without_an_actor(self, db):
        contact = contacts.find_or_create_contact(email="Mail@Example.net", acting_user=None)
        assert contacts.mark_undeliverable(addresses=["MAIL@example.net"], acting_user=None) == 1
        assert [(a, action) for a, action, _ in trail()][-2:] == [
            (None, "contact.created"),
            (None, "contact.undeliverable"),
        ]
        assert contact.identities.get().undeliverable_since is not None

    def test_a_rolled_back_change_leaves_no_trail(self, carol):
        contacts.create_contact(emails=["a@x.example", "b@x.example"], acting_user=carol)
        before = AuditEvent.objects.count()
        with pytest.raises(ValidationError, match="already belongs"):
            contacts.create_contact(emails=["c@x.example", "b@x.example"], acting_user=carol)
        assert AuditEvent.objects.count() == before
        assert not contacts.Contact.objects.filter(identities__value="c@x.example").exists()

    def test_events_cannot_be_edited(self, carol):
        contacts.create_contact(emails=["z@x.example"], acting_user=carol)
        event = AuditEvent.objects.latest("id")
        event.action = "forged"
        with pytest.raises(ValueError, match="cannot be changed"):
            event.save()
