import pytest
from django_tasks_db.models import DBTaskResult

from helpline import demo
from helpline.accounts.models import Team, User
from helpline.contacts.models import Contact, Organization
from helpline.mail.models import InboundEmail, Mailbox, OutboundEmail
from helpline.tickets.actions import create_ticket
from helpline.tickets.models import (
    Attachment,
    Blob,
    Category,
    Channel,
    CustomField,
    Message,
    Priority,
    Tag,
    Ticket,
)

DEMO_MODELS = [
    DBTaskResult, OutboundEmail, InboundEmail, Mailbox, Ticket, Blob, Tag, Category,
    CustomField, Contact, Organization, User, Team,
]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        demo.seed()
        yield
        # Committed outside any test's transaction: remove all of it, or a later test
        # that creates the same team or category fails on a unique name.
        for model in DEMO_MODELS:
            model._default_manager.all().delete()


# Before TestDemo on purpose: its module-wide seed stays until the module ends.
@pytest.mark.django_db
def test_it_knows_a_desk_without_demo_data_is_not_seeded(alice, dana, tech_team):
    assert not demo.is_seeded()  # agents and contacts of one's own are not the demo
    demo_agent = User.objects.create_user(demo.AGENTS[0][1], "x", name="Sam")
    assert demo.is_seeded()
    demo_agent.delete()
    assert not demo.is_seeded()
    create_ticket(acting_user=None, requester=dana, subject="Mine", body="x", team=tech_team)
    assert demo.is_seeded()


@pytest.mark.django_db
class TestDemo:
    def test_it_seeds_a_realistic_desk(self, seeded):
        assert User.objects.count() == 5
        assert Contact.objects.count() == 40
        assert Organization.objects.count() == 8
        assert Ticket.objects.count() == 302  # with two that came in by email
        assert Attachment.objects.exists()
        assert Message.objects.filter(is_public=False).exists()

    def test_it_covers_every_status_priority_and_channel(self, seeded):
        categories = set(Ticket.objects.values_list("status__category", flat=True))
        assert categories == {"new", "open", "pending", "on_hold", "solved", "closed"}
        assert set(Ticket.objects.values_list("priority", flat=True)) == set(Priority.values)
        assert set(Ticket.objects.values_list("channel", flat=True)) == set(Channel.values)

    def test_most_tickets_have_a_conversation(self, seeded):
        multi = [t for t in Ticket.objects.all() if t.messages.count() >= 3]
        assert len(multi) > 100

    def test_it_knows_it_is_seeded(self, seeded):
        assert demo.is_seeded()

    def test_the_demo_logins_work(self, seeded, client):
        response = client.post(
            "/login/", {"username": "sam@demo.helpline.test", "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 302
        assert "unresolved tickets" in client.get("/").content.decode()

    def test_some_tickets_came_in_by_email_and_say_why(self, seeded):
        reply = Message.objects.get(
            body_text="It also happens with the PDF export, in case that helps."
        )
        inbound = InboundEmail.objects.get(ticket_message=reply)
        assert inbound.placement == "In-Reply-To <demo-1@mail.example>"
        assert "> When I export contacts to CSV" in inbound.full_text
        cited = Ticket.objects.get(subject__endswith=f"[#{reply.ticket.number}]")
        assert InboundEmail.objects.get(ticket_message=cited.messages.get()).placement == (
            f"new: sender not a participant of #{reply.ticket.number}"
        )
