import pytest
from django.core.exceptions import ValidationError

from helpline.tickets import actions
from helpline.tickets.models import CustomField, EventKind, FieldKind, ImmutableError, Status


@pytest.fixture
def fields(db):
    CustomField.objects.create(key="plan", label="Plan", kind=FieldKind.CHOICE, choices=["Team"])
    CustomField.objects.create(key="seats", label="Seats", kind=FieldKind.NUMBER)
    CustomField.objects.create(key="renewal", label="Renewal", kind=FieldKind.DATE)
    CustomField.objects.create(key="vip", label="VIP", kind=FieldKind.CHECKBOX)
    CustomField.objects.create(key="note", label="Note", kind=FieldKind.TEXT)


@pytest.mark.django_db
class TestCustomFields:
    def test_it_stores_typed_values_and_records_the_change(self, ticket, carol, fields):
        values = {"plan": "Team", "seats": 12, "renewal": "2027-01-31", "vip": True, "note": "hi"}
        actions.update_ticket(ticket=ticket, acting_user=carol, custom_fields=values)
        ticket.refresh_from_db()
        assert ticket.custom_fields == {
            "plan": "Team", "seats": "12", "renewal": "2027-01-31", "vip": True, "note": "hi",
        }  # fmt: skip
        assert ticket.events.get(kind=EventKind.FIELDS).data["changed"]["seats"] == [None, "12"]

    def test_null_clears_a_field(self, ticket, carol, fields):
        actions.update_ticket(ticket=ticket, acting_user=carol, custom_fields={"plan": "Team"})
        actions.update_ticket(ticket=ticket, acting_user=carol, custom_fields={"plan": None})
        ticket.refresh_from_db()
        assert ticket.custom_fields == {}

    @pytest.mark.parametrize(
        ("values", "message"),
        [
            ({"plan": "Gold"}, "'Gold' is not one of: Team"),
            ({"seats": "many"}, "expected a number"),
            ({"seats": "NaN"}, "finite"),
            ({"renewal": "31/01/2027"}, "YYYY-MM-DD"),
            ({"vip": "yes"}, "true or false"),
            ({"colour": "red"}, "'colour' is not a custom field"),
        ],
    )
    def test_it_rejects_wrong_values_and_changes_nothing(
        self, ticket, carol, fields, values, message
    ):
        with pytest.raises(ValidationError) as error:
            actions.update_ticket(ticket=ticket, acting_user=carol, custom_fields=values)
        assert message in str(error.value)
        ticket.refresh_from_db()
        assert ticket.custom_fields == {}
        assert not ticket.events.filter(kind=EventKind.FIELDS).exists()


@pytest.mark.django_db
class TestUpdates:
    def test_it_records_one_event_per_real_change(self, ticket, carol, tech_team):
        actions.update_ticket(
            ticket=ticket, acting_user=carol, priority="high", assignee=carol, team=tech_team
        )
        kinds = list(ticket.events.values_list("kind", flat=True))
        assert kinds == [
            EventKind.CREATED,
            EventKind.PRIORITY,
            EventKind.ASSIGNEE,
            EventKind.STATUS,
        ]

    def test_a_light_agent_cannot_be_assigned(self, ticket, carol, lee):
        with pytest.raises(ValidationError, match="cannot be assigned"):
            actions.update_ticket(ticket=ticket, acting_user=carol, assignee=lee)

    def test_solving_and_reopening_sets_and_clears_solved_at(self, ticket, carol):
        actions.update_ticket(
            ticket=ticket, acting_user=carol, status=Status.objects.get(slug="solved")
        )
        ticket.refresh_from_db()
        assert ticket.solved_at is not None
        actions.update_ticket(
            ticket=ticket, acting_user=carol, status=Status.objects.get(slug="open")
        )
        ticket.refresh_from_db()
        assert ticket.solved_at is None

    def test_timeline_events_cannot_be_changed(self, ticket):
        event = ticket.events.get()
        event.data = {"forged": True}
        with pytest.raises(ImmutableError):
            event.save()

    def test_a_custom_status_maps_to_its_category(self, ticket, carol):
        waiting = Status.objects.create(
            name="Waiting on vendor", slug="vendor", category="on_hold", pauses_sla=True
        )
        actions.update_ticket(ticket=ticket, acting_user=carol, status=waiting)
        ticket.refresh_from_db()
        assert ticket.status.category == "on_hold"
        assert ticket.status.pauses_sla
