"""The agent's ticket page: the conversation with its threading reasons, and re-threading."""

import pytest
from django.test import Client

from helpline.testing import ticket_state
from helpline.tickets import actions
from helpline.tickets.models import EventKind, Ticket


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def thread(ticket, dana):
    """Dana's ticket with a second message of hers."""
    reply = actions.reply(
        ticket=ticket, author_contact=dana, body="Still smoking.", channel="email"
    )
    return ticket, reply


@pytest.fixture
def other(dana, tech_team) -> Ticket:
    return actions.create_ticket(
        acting_user=None, requester=dana, subject="Invoice copy", body="Please resend it.",
        team=tech_team,
    )  # fmt: skip


def move(client, ticket, message, to):
    url = f"/tickets/{ticket.number}/messages/{message.pk}/move"
    return client.post(url, {"to": to}, follow=True)


@pytest.mark.django_db
class TestTicketPage:
    def test_it_shows_the_conversation(self, carol, thread):
        ticket, _reply = thread
        page = signed_in(carol).get(f"/tickets/{ticket.number}/").content.decode()
        assert "Printer on fire" in page
        assert "Still smoking." in page
        # No channel told why these messages are here: nothing pretends to know.
        assert "Placed by" not in page
        assert "Show the full original" not in page

    def test_it_shows_only_links_to_tickets_the_agent_may_see(
        self, bob, carol, dana, success_team, ticket
    ):
        mine = actions.create_ticket(
            acting_user=None, requester=dana, subject="Visible to Bob", body="x", team=success_team
        )
        also_mine = actions.create_ticket(
            acting_user=None, requester=dana, subject="Also Bob's", body="y", team=success_team
        )
        actions.link_system(source=mine, target=ticket, kind="related")
        actions.link_system(source=mine, target=also_mine, kind="related")
        visible = f'Related to <a href="/tickets/{also_mine.number}/">#{also_mine.number} Also Bob'
        hidden = f'Related to <a href="/tickets/{ticket.number}/">#{ticket.number} Printer on fire'
        bobs_page = signed_in(bob).get(f"/tickets/{mine.number}/").content.decode()
        assert visible in bobs_page
        assert "Printer on fire" not in bobs_page
        carols_page = signed_in(carol).get(f"/tickets/{mine.number}/").content.decode()
        assert visible in carols_page
        assert hidden in carols_page

    def test_remote_html_cannot_run_script(self, carol, ticket, dana):
        actions.reply(
            ticket=ticket, author_contact=dana, body="x",
            body_html='<p onclick="alert(1)">hi</p><script>alert(2)</script>',
        )  # fmt: skip
        page = signed_in(carol).get(f"/tickets/{ticket.number}/").content.decode()
        assert "<p>hi</p>" in page
        assert "<script>alert" not in page
        assert "onclick" not in page
        assert "onerror" not in page

    def test_the_home_page_lists_recent_tickets_the_agent_may_see(
        self, bob, carol, ticket, dana, success_team
    ):
        bobs = actions.create_ticket(
            acting_user=None, requester=dana, subject="Bob's", body="x", team=success_team
        )
        carols_home = signed_in(carol).get("/").content.decode()
        assert f'href="/tickets/{ticket.number}/"' in carols_home
        assert f'href="/tickets/{bobs.number}/"' in carols_home
        bobs_home = signed_in(bob).get("/").content.decode()
        assert f'href="/tickets/{bobs.number}/"' in bobs_home
        assert f'href="/tickets/{ticket.number}/"' not in bobs_home


@pytest.mark.django_db
class TestRethreading:
    def test_an_agent_moves_a_message_to_the_ticket_it_belongs_to(self, carol, thread, other):
        ticket, reply = thread
        response = move(signed_in(carol), ticket, reply, other.number)
        assert f"The message was moved to #{other.number}." in response.content.decode()
        reply.refresh_from_db()
        assert reply.ticket == other
        assert ticket.events.filter(kind=EventKind.MESSAGE_MOVED_OUT).exists()
        assert other.events.filter(kind=EventKind.MESSAGE_MOVED_IN).exists()

    def test_an_agent_splits_a_message_into_a_new_ticket(self, carol, thread):
        ticket, reply = thread
        response = signed_in(carol).post(
            f"/tickets/{ticket.number}/messages/{reply.pk}/split", follow=True
        )
        new = Ticket.objects.exclude(pk=ticket.pk).get()
        assert response.redirect_chain[-1][0] == f"/tickets/{new.number}/"
        assert "split out of" in response.content.decode()
        assert list(new.messages.all()) == [reply]

    @pytest.mark.parametrize(
        ("to", "error"),
        [
            ("", "This field is required."),
            ("abc", "Enter a whole number."),
            ("-1", "Ensure this value is greater than or equal to 1."),
            ("99999999999999999999999", "Ensure this value is less than or equal to"),
            ("424242", "There is no ticket #424242 that you can see."),
        ],
    )
    def test_a_bad_target_is_a_clear_message_and_nothing_changes(self, carol, thread, to, error):
        ticket, reply = thread
        before = ticket_state(ticket)
        response = move(signed_in(carol), ticket, reply, to)
        assert response.status_code == 200
        assert error in response.content.decode()
        assert ticket_state(ticket) == before

    def test_the_only_message_cannot_be_moved(self, carol, ticket, other):
        message = ticket.messages.get()
        response = move(signed_in(carol), ticket, message, other.number)
        assert "A ticket&#x27;s only message cannot be moved" in response.content.decode()
        assert message.ticket_id == ticket.pk

    def test_a_message_cannot_move_to_a_ticket_the_agent_cannot_see(
        self, bob, carol, dana, success_team, thread
    ):
        ticket, _reply = thread
        mine = actions.create_ticket(
            acting_user=None, requester=dana, subject="Bob's", body="x", team=success_team
        )
        actions.reply(ticket=mine, author_contact=dana, body="second")
        before = ticket_state(ticket, mine)
        message = mine.messages.last()
        response = move(signed_in(bob), mine, message, ticket.number)
        assert f"There is no ticket #{ticket.number} that you can see." in response.content.decode()
        assert ticket_state(ticket, mine) == before


@pytest.mark.django_db
class TestAccess:
    """Another agent without rights gets 404 and nothing changes; nobody signed out gets in."""

    def test_an_agent_without_access_gets_404_everywhere(self, bob, thread, other):
        ticket, reply = thread
        client = signed_in(bob)
        before = ticket_state(ticket, other)
        assert client.get(f"/tickets/{ticket.number}/").status_code == 404
        assert move(client, ticket, reply, other.number).status_code == 404
        split = client.post(f"/tickets/{ticket.number}/messages/{reply.pk}/split")
        assert split.status_code == 404
        assert ticket_state(ticket, other) == before

    def test_a_message_of_another_ticket_is_404(self, carol, thread, other):
        ticket, reply = thread
        before = ticket_state(ticket, other)
        response = signed_in(carol).post(f"/tickets/{other.number}/messages/{reply.pk}/split")
        assert response.status_code == 404
        assert ticket_state(ticket, other) == before

    def test_a_light_agent_reads_but_cannot_rethread(self, lee, thread, other):
        ticket, reply = thread
        client = signed_in(lee)
        before = ticket_state(ticket, other)
        page = client.get(f"/tickets/{ticket.number}/").content.decode()
        assert "Still smoking." in page
        assert "Move or split" not in page
        assert move(client, ticket, reply, other.number).status_code == 403
        assert client.post(f"/tickets/{ticket.number}/messages/{reply.pk}/split").status_code == 403
        assert ticket_state(ticket, other) == before

    def test_signed_out_visitors_are_sent_to_sign_in(self, thread):
        ticket, _ = thread
        response = Client().get(f"/tickets/{ticket.number}/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_a_huge_ticket_number_is_404(self, carol):
        assert signed_in(carol).get(f"/tickets/{'9' * 30}/").status_code == 404

    def test_an_inactive_agent_sees_nothing(self, carol, thread):
        ticket, _ = thread
        client = signed_in(carol)
        carol.is_active = False
        carol.save()
        assert client.get(f"/tickets/{ticket.number}/").status_code in {302, 404}

    def test_pages_only_change_through_post(self, carol, thread, other):
        ticket, reply = thread
        response = signed_in(carol).get(f"/tickets/{ticket.number}/messages/{reply.pk}/split")
        assert response.status_code == 405
        assert Ticket.objects.count() == 2


@pytest.mark.django_db
def test_each_emailed_reply_says_whether_it_was_delivered(carol, ticket, tech_team):
    from helpline.mail.models import Mailbox, OutboundEmail, OutboundState

    Mailbox.objects.create(address="support@helpline.example", display_name="S", team=tech_team)
    actions.reply(ticket=ticket, acting_user=carol, body="Try the other tray.")
    page = signed_in(carol).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Emailed to dana@northwind.example: Queued" in page
    OutboundEmail.objects.update(state=OutboundState.FAILED, last_error="550 <b>no such user</b>")
    page = signed_in(carol).get(f"/tickets/{ticket.number}/").content.decode()
    assert (
        "Emailed to dana@northwind.example: Failed permanently: 550 &lt;b&gt;no such user&lt;/b&gt;"
        in page
    )


@pytest.mark.django_db
def test_a_forged_cross_site_post_changes_nothing(carol, thread, other):
    ticket, reply = thread
    client = Client(enforce_csrf_checks=True)
    client.force_login(carol)
    before = ticket_state(ticket, other)
    assert move(client, ticket, reply, other.number).status_code == 403
    split = client.post(f"/tickets/{ticket.number}/messages/{reply.pk}/split")
    assert split.status_code == 403
    assert ticket_state(ticket, other) == before


@pytest.mark.django_db
def test_a_closed_tickets_messages_stay_where_they_are(carol, thread, other):
    from helpline.tickets.models import Status

    ticket, reply = thread
    closed = Status.objects.filter(category="closed").earliest("position")
    actions.update_ticket(ticket=ticket, acting_user=carol, status=closed)
    client = signed_in(carol)
    assert "Move or split" not in client.get(f"/tickets/{ticket.number}/").content.decode()
    before = ticket_state(ticket, other)
    moved = move(client, ticket, reply, other.number).content.decode()
    assert f"#{ticket.number} is closed and cannot be changed" in moved
    split = client.post(f"/tickets/{ticket.number}/messages/{reply.pk}/split", follow=True)
    assert f"#{ticket.number} is closed and cannot be changed" in split.content.decode()
    assert ticket_state(ticket, other) == before


@pytest.mark.django_db
def test_a_merge_target_the_agent_cannot_see_is_not_named(bob, carol, dana, success_team, ticket):
    mine = actions.create_ticket(
        acting_user=None, requester=dana, subject="Bob's", body="x", team=success_team
    )
    actions.merge(source=mine, target=ticket, acting_user=carol)
    assert (
        f"#{ticket.number}" not in signed_in(bob).get(f"/tickets/{mine.number}/").content.decode()
    )
    assert "Merged into" in signed_in(carol).get(f"/tickets/{mine.number}/").content.decode()
