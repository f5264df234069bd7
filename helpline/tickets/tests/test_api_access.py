"""Who may do what through the ticket API (and the attachment download routes).

An agent without rights to a ticket gets the same 404 as for a ticket that
does not exist, and nothing changes. Without a usable token every endpoint
answers 401. A light agent may read and add internal notes, nothing else.
"""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from helpline.accounts.actions import create_api_token, revoke_api_token
from helpline.conftest import ApiClient, b64
from helpline.testing import ticket_state as state
from helpline.tickets import actions
from helpline.tickets.files import Upload
from helpline.tickets.models import Attachment, Message, Ticket

LIGHT_AGENT_DETAIL = "Light agents can read tickets and add internal notes only."
NEW_TICKET = {"subject": "S", "body": "B", "requester_email": "z@x.example"}


@pytest.fixture
def hidden(ticket, dana):
    """Dana's Technical Support ticket (Bob cannot see it), with a second message and a file."""
    actions.reply(
        ticket=ticket, author_contact=dana, body="Here is the log.",
        attachments=[Upload("printer.log", b"secret log")],
    )  # fmt: skip
    return ticket


@pytest.fixture
def attachment(hidden) -> Attachment:
    return Attachment.objects.get(message__ticket=hidden)


@pytest.fixture
def own(eve, success_team) -> Ticket:
    """A Customer Success ticket: Bob sees it and may change it."""
    return actions.create_ticket(
        acting_user=None, requester=eve, subject="Invoice wrong", body="Twice charged.",
        team=success_team,
    )  # fmt: skip


def call(api: ApiClient, method: str, path: str, payload: Any = None) -> Any:
    if method in {"get", "delete"}:
        return getattr(api, method)(path)
    return getattr(api, method)(path, payload)


def endpoints(hidden: Ticket, own: Ticket, attachment: Attachment) -> dict[str, tuple]:
    """Every ticket endpoint, aimed at `hidden` (from `own` where it takes two tickets)."""
    n, o = hidden.number, own.number
    message = hidden.messages.last()
    assert message is not None
    return {
        "list": ("get", "/tickets", None),
        "create": ("post", "/tickets", NEW_TICKET),
        "get": ("get", f"/tickets/{n}", None),
        "patch": ("patch", f"/tickets/{n}", {"subject": "Changed", "priority": "urgent"}),
        "reply": ("post", f"/tickets/{n}/replies", {"body": "Hello"}),
        "note": ("post", f"/tickets/{n}/notes", {"body": "Psst"}),
        "merge-source": ("post", f"/tickets/{n}/merge", {"into": o}),
        "merge-into": ("post", f"/tickets/{o}/merge", {"into": n}),
        "link-source": ("post", f"/tickets/{n}/links", {"target": o, "kind": "related"}),
        "link-target": ("post", f"/tickets/{o}/links", {"target": n, "kind": "related"}),
        "split": ("post", f"/tickets/{n}/messages/{message.pk}/split", {}),
        "split-via-own": ("post", f"/tickets/{o}/messages/{message.pk}/split", {}),
        "move-from": ("post", f"/tickets/{n}/messages/{message.pk}/move", {"to": o}),
        "move-to": (
            "post", f"/tickets/{o}/messages/{own.messages.last().pk}/move", {"to": n},  # type: ignore[union-attr]
        ),
        "events": ("get", f"/tickets/{n}/events", None),
        "attachment": ("get", f"/attachments/{attachment.pk}", None),
    }  # fmt: skip


ALL_ENDPOINTS = [
    "list", "create", "get", "patch", "reply", "note", "merge-source", "merge-into",
    "link-source", "link-target", "split", "split-via-own", "move-from", "move-to", "events",
    "attachment",
]  # fmt: skip
TICKET_ENDPOINTS = [e for e in ALL_ENDPOINTS if e not in {"list", "create"}]


@pytest.mark.django_db
class TestAgentWithoutRights:
    @pytest.mark.parametrize("name", TICKET_ENDPOINTS)
    def test_it_answers_404_and_changes_nothing(self, api_as, bob, hidden, own, attachment, name):
        method, path, payload = endpoints(hidden, own, attachment)[name]
        before = state(hidden, own)
        response = call(api_as(bob), method, path, payload)
        assert response.status_code == 404, response.content
        assert state(hidden, own) == before

    @pytest.mark.parametrize(
        ("method", "suffix", "payload"),
        [
            ("get", "", None),
            ("patch", "", {"subject": "Changed"}),
            ("post", "/replies", {"body": "Hello"}),
            ("post", "/notes", {"body": "Psst"}),
            ("get", "/events", None),
        ],
    )
    def test_it_cannot_tell_a_hidden_ticket_from_a_missing_one(
        self, api_as, bob, hidden, method, suffix, payload
    ):
        api = api_as(bob)
        to_hidden = call(api, method, f"/tickets/{hidden.number}{suffix}", payload)
        to_missing = call(api, method, f"/tickets/999999{suffix}", payload)
        assert (to_hidden.status_code, to_hidden.json()) == (404, {"detail": "No such ticket."})
        assert (to_missing.status_code, to_missing.json()) == (404, {"detail": "No such ticket."})

    def test_it_may_use_the_tickets_of_his_team(self, api_as, bob, own):
        response = api_as(bob).post(f"/tickets/{own.number}/replies", {"body": "Refunded."})
        assert response.status_code == 201

    def test_it_gets_404_for_a_hidden_attachment_on_the_web_route(self, bob, attachment):
        browser = Client()
        browser.force_login(bob)
        response = browser.get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 404

    def test_it_downloads_a_visible_attachment_on_the_web_route(self, carol, attachment):
        browser = Client()
        browser.force_login(carol)
        response = browser.get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 200
        assert response.getvalue() == b"secret log"

    def test_it_sends_anonymous_visitors_of_the_web_route_to_log_in(self, attachment):
        response = Client().get(f"/attachments/{attachment.pk}/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_it_does_not_show_hidden_linked_tickets(self, api_as, bob, carol, hidden, own, eve):
        team_mate = actions.create_ticket(
            acting_user=None, requester=eve, subject="Refund", body="r", team=own.team
        )
        actions.link(source=own, target=hidden, kind="related", acting_user=carol)
        actions.link(source=team_mate, target=own, kind="child", acting_user=carol)
        as_carol = api_as(carol).get(f"/tickets/{own.number}").json()["links"]
        assert {link["ticket"] for link in as_carol} == {hidden.number, team_mate.number}
        assert api_as(bob).get(f"/tickets/{own.number}").json()["links"] == [
            {"kind": "child", "direction": "in", "ticket": team_mate.number, "subject": "Refund"}
        ]

    def test_it_answers_a_saved_team_change_with_the_ticket(self, api_as, bob, own, tech_team):
        response = api_as(bob).patch(f"/tickets/{own.number}", {"team_id": tech_team.pk})
        assert response.status_code == 200, response.content
        assert response.json()["team"] == {"id": tech_team.pk, "name": "Technical Support"}
        own.refresh_from_db()
        assert own.team == tech_team

    def test_it_answers_a_ticket_created_for_another_team_with_it(self, api_as, bob, tech_team):
        response = api_as(bob).post("/tickets", NEW_TICKET | {"team_id": tech_team.pk})
        assert response.status_code == 201, response.content
        created = Ticket.objects.get(number=response.json()["number"])
        assert created.team == tech_team


@pytest.mark.django_db
class TestBobsList:
    @pytest.fixture
    def cast(self, hidden, own, eve, bob, carol, tech_team) -> dict[str, Ticket]:
        def new(subject: str, **extra: Any) -> Ticket:
            return actions.create_ticket(
                acting_user=None, requester=eve, subject=subject, body="b", **extra
            )

        return {
            "hidden": hidden,
            "own": own,
            "no-team": new("Nobody's"),
            "assigned-to-bob": new("Escalated", team=tech_team, assignee=bob),
            "assigned-to-carol": new("Carol's", team=tech_team, assignee=carol),
        }

    def numbers(self, response) -> list[int]:
        assert response.status_code == 200, response.content
        return [t["number"] for t in response.json()["items"]]

    def test_it_lists_his_team_unassigned_team_and_his_own_tickets(self, api_as, bob, cast):
        listed = self.numbers(api_as(bob).get("/tickets"))
        expected = [cast[k].number for k in ("assigned-to-bob", "no-team", "own")]
        assert sorted(listed) == sorted(expected)
        assert len(listed) == len(set(listed))

    @pytest.mark.parametrize(
        "filters",
        [
            {"team": "tech"},
            {"requester": "dana"},
            {"assignee": "carol"},
            {"status": "new"},
            {"status_category": "new"},
        ],
    )
    def test_it_cannot_widen_his_list_with_filters(
        self, api_as, bob, carol, dana, tech_team, cast, filters
    ):
        ids = {"tech": tech_team.pk, "dana": dana.pk, "carol": carol.pk}
        params = {k: ids.get(v, v) for k, v in filters.items()}
        listed = self.numbers(api_as(bob).get("/tickets", **params))
        hidden = {cast["hidden"].number, cast["assigned-to-carol"].number}
        assert hidden.isdisjoint(listed)
        # What he does get is exactly what the filter finds among the tickets he may see.
        his = {cast[k].number for k in ("own", "no-team", "assigned-to-bob")}
        everyone_matching = self.numbers(api_as(carol).get("/tickets", **params))
        assert sorted(listed) == sorted(his.intersection(everyone_matching))

    def test_a_filter_still_finds_his_own_tickets(self, api_as, bob, tech_team, cast):
        listed = self.numbers(api_as(bob).get("/tickets", team=tech_team.pk))
        assert listed == [cast["assigned-to-bob"].number]

    def test_it_pages_through_the_same_tickets(self, api_as, bob, cast):
        api, seen, cursor = api_as(bob), [], None
        while True:
            params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
            body = api.get("/tickets", **params).json()
            seen += [t["number"] for t in body["items"]]
            if not (cursor := body["next_cursor"]):
                break
        assert sorted(seen) == sorted(self.numbers(api.get("/tickets")))

    def test_it_shows_carol_every_ticket(self, api_as, carol, cast):
        listed = self.numbers(api_as(carol).get("/tickets"))
        assert sorted(listed) == sorted(t.number for t in cast.values())


@pytest.mark.django_db
class TestLightAgent:
    @pytest.mark.parametrize("name", ["list", "get", "events", "attachment"])
    def test_it_may_read(self, api_as, lee, hidden, own, attachment, name):
        method, path, payload = endpoints(hidden, own, attachment)[name]
        response = call(api_as(lee), method, path, payload)
        assert response.status_code == 200

    def test_it_may_add_a_note(self, api_as, lee, hidden):
        response = api_as(lee).post(
            f"/tickets/{hidden.number}/notes",
            {"body": "FYI", "attachments": [{"filename": "a.txt", "content_base64": b64(b"a")}]},
        )
        assert response.status_code == 201, response.content
        note = Message.objects.get(pk=response.json()["id"])
        assert (note.ticket, note.is_public, note.author_user) == (hidden, False, lee)

    @pytest.mark.parametrize(
        "name",
        [
            "create",
            "patch",
            "reply",
            "merge-source",
            "merge-into",
            "link-source",
            "link-target",
            "split",
            "move-from",
            "move-to",
        ],
    )
    def test_it_may_not_change_tickets(self, api_as, lee, hidden, own, attachment, name):
        method, path, payload = endpoints(hidden, own, attachment)[name]
        before = state(hidden, own)
        response = call(api_as(lee), method, path, payload)
        assert (response.status_code, response.json()) == (403, {"detail": LIGHT_AGENT_DETAIL})
        assert state(hidden, own) == before

    def test_it_downloads_on_the_web_route(self, lee, attachment):
        browser = Client()
        browser.force_login(lee)
        assert browser.get(f"/attachments/{attachment.pk}/").status_code == 200


def _revoked(user) -> str:
    token, raw = create_api_token(user=user, name="old", acting_user=None)
    revoke_api_token(token=token, acting_user=None)
    return f"Bearer {raw}"


def _deactivated(user) -> str:
    _token, raw = create_api_token(user=user, name="leaver", acting_user=None)
    user.is_active = False
    user.save()
    return f"Bearer {raw}"


BAD_CREDENTIALS = {
    "none": lambda user: None,
    "garbage": lambda user: "Bearer not-a-token",
    "oversized": lambda user: "Bearer hl_" + "x" * 5000,
    "wrong-scheme": lambda user: "Basic Y2Fyb2w6cGFzc3dvcmQ=",
    "revoked": _revoked,
    "deactivated": _deactivated,
}


@pytest.mark.django_db
class TestAuthentication:
    @pytest.mark.parametrize("credentials", BAD_CREDENTIALS)
    @pytest.mark.parametrize("name", ALL_ENDPOINTS)
    def test_it_answers_401_and_changes_nothing(
        self, carol, hidden, own, attachment, name, credentials
    ):
        method, path, payload = endpoints(hidden, own, attachment)[name]
        api = ApiClient(None)
        if header := BAD_CREDENTIALS[credentials](carol):
            api.headers["Authorization"] = header
        before = state(hidden, own)
        response = call(api, method, path, payload)
        assert (response.status_code, response.json()) == (401, {"detail": "Unauthorized"})
        assert state(hidden, own) == before

    @pytest.mark.parametrize("name", ALL_ENDPOINTS)
    def test_it_refuses_an_expired_token(self, api_as, carol, hidden, own, attachment, name):
        method, path, payload = endpoints(hidden, own, attachment)[name]
        api = api_as(carol)
        before = state(hidden, own)
        later = timezone.now() + timedelta(days=settings.HELPLINE_API_TOKEN_DAYS, seconds=1)
        with time_machine.travel(later, tick=False):
            response = call(api, method, path, payload)
        assert response.status_code == 401
        assert state(hidden, own) == before

    def test_it_accepts_a_token_on_its_last_day(self, api_as, carol):
        api = api_as(carol)
        later = timezone.now() + timedelta(days=settings.HELPLINE_API_TOKEN_DAYS, seconds=-60)
        with time_machine.travel(later, tick=False):
            assert api.get("/tickets").status_code == 200
