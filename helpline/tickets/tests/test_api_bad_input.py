"""Malformed, hostile and oversized input to the ticket API.

Each is refused with a 422 naming the field (400 for a body that is not JSON)
and saves nothing; hostile content that can be made safe (HTML, file names)
is accepted and stored sanitised.
"""

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpline.accounts.models import User
from helpline.conftest import b64
from helpline.testing import error_fields as fields
from helpline.testing import row_counts as counts
from helpline.testing import ticket_state as state
from helpline.tickets import actions
from helpline.tickets.models import (
    CustomField,
    Message,
    Status,
    Ticket,
)

LIMIT = 1000  # bytes an attachment may have in these tests
NEW_TICKET = {
    "subject": "Export broken",
    "body": "It fails.",
    "requester_email": "new@initech.example",
}
HOSTILE_HTML = (
    '<p onclick="steal()">Hi</p><script>alert(1)</script>'
    '<img src="cid:logo" onerror="alert(2)"><a href="javascript:alert(3)">link</a>'
    '<iframe src="https://evil.example"></iframe><svg onload="alert(4)"></svg>'
    '<style>body{display:none}</style><p style="position:fixed">x</p>'
)


@pytest.fixture(autouse=True)
def _settings(settings) -> None:
    settings.HELPLINE_MAX_ATTACHMENT_BYTES = LIMIT


@pytest.fixture
def api(api_as, carol):
    return api_as(carol)


@pytest.fixture
def _custom_fields(db) -> None:
    for key, kind, choices in [
        ("seats", "number", []), ("plan", "choice", ["free", "pro"]),
        ("renewal", "date", []), ("vip", "checkbox", []), ("notes", "text", []),
    ]:  # fmt: skip
        CustomField.objects.create(key=key, label=key.title(), kind=kind, choices=choices)


def raw_post(api, path: str, body: str | bytes) -> Any:
    return api.client.post(
        f"/api/v1{path}", body, content_type="application/json", headers=api.headers
    )


def attachment(content: bytes = b"hello", filename: str = "notes.txt") -> dict[str, str]:
    return {"filename": filename, "content_base64": b64(content)}


def cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# (id, change to NEW_TICKET, the field the error must name)
CREATE_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("empty-subject", {"subject": ""}, "subject"),
    ("blank-subject", {"subject": " \t\n "}, "subject"),
    ("1000-char-subject", {"subject": "x" * 1000}, "subject"),
    ("1001-char-subject", {"subject": "x" * 1001}, "subject"),
    ("numeric-subject", {"subject": 42}, "subject"),
    ("null-subject", {"subject": None}, "subject"),
    ("empty-body", {"body": ""}, "body"),
    ("blank-body", {"body": "  \n\n "}, "body"),
    ("nul-only-body", {"body": "\x00\x00"}, "body"),
    ("oversized-body", {"body": "x" * 1_000_001}, "body"),
    ("list-body", {"body": ["a"]}, "body"),
    ("missing-requester", {"requester_email": None}, "requester_email"),
    ("overlong-requester-name", {"requester_name": "n" * 201}, "requester_name"),
    ("too-many-ccs", {"cc_emails": [f"c{i}@x.example" for i in range(51)]}, "cc_emails"),
    ("unknown-status", {"status": "escalated"}, "status"),
    ("unknown-priority", {"priority": "critical"}, "priority"),
    ("unknown-type", {"type": "rant"}, "type"),
    ("unknown-channel", {"channel": "fax"}, "channel"),
    ("unknown-category", {"category": "Billing"}, "category"),
    ("unknown-message-author", {"message_author": "robot"}, "message_author"),
    ("overlong-language", {"language": "x" * 17}, "language"),
    ("tag-with-punctuation", {"tags": ["ok", "bad tag!"]}, "tags"),
    ("tag-with-markup", {"tags": ["<script>"]}, "tags"),
    ("tag-with-slash", {"tags": ["a/b"]}, "tags"),
    ("tag-with-nul", {"tags": ["nul\x00"]}, "tags"),
    ("empty-tag", {"tags": [""]}, "tags"),
    ("blank-tag", {"tags": ["   "]}, "tags"),
    ("51-char-tag", {"tags": ["x" * 51]}, "tags"),
    ("tags-as-string", {"tags": "a,b"}, "tags"),
    ("101-tags", {"tags": [f"t{i}" for i in range(101)]}, "tags"),
    ("unknown-assignee", {"assignee_id": 999_999}, "assignee_id"),
    ("huge-assignee", {"assignee_id": 10**30}, "assignee_id"),
    ("text-assignee", {"assignee_id": "carol"}, "assignee_id"),
    ("unknown-team", {"team_id": 999_999}, "team_id"),
    ("huge-team", {"team_id": 2**63}, "team_id"),
    ("custom-fields-as-list", {"custom_fields": ["seats"]}, "custom_fields"),
    ("unknown-attachment-list", {"attachments": {"filename": "a"}}, "attachments"),
    ("21-attachments", {"attachments": [attachment()] * 21}, "attachments"),
    ("bad-base64", {"attachments": [{"filename": "a", "content_base64": "%%%"}]}, "attachments"),
    ("base64-with-junk", {"attachments": [{"filename": "a", "content_base64": "aGk=!"}]},
     "attachments"),
    ("empty-filename", {"attachments": [attachment(filename="")]}, "filename"),
    ("missing-content", {"attachments": [{"filename": "a.txt"}]}, "content_base64"),
    ("attachment-over-limit", {"attachments": [attachment(b"x" * (LIMIT + 1))]}, "attachments"),
    ("attachment-far-over-limit", {"attachments": [attachment(b"x" * 100 * LIMIT)]}, "attachments"),
]  # fmt: skip

CUSTOM_FIELD_CASES = [
    ("unknown-key", {"nope": 1}),
    ("number-as-text", {"seats": "many"}),
    ("number-as-bool", {"seats": True}),
    ("number-as-list", {"seats": [1]}),
    ("number-nan", {"seats": "NaN"}),
    ("number-infinite", {"seats": "Infinity"}),
    ("choice-unknown", {"plan": "enterprise"}),
    ("choice-as-list", {"plan": ["free"]}),
    ("date-wrong-format", {"renewal": "31/12/2026"}),
    ("date-impossible", {"renewal": "2026-02-30"}),
    ("checkbox-as-text", {"vip": "yes"}),
    ("text-as-object", {"notes": {"a": 1}}),
    ("text-too-long", {"notes": "x" * 10_001}),
]


@pytest.mark.django_db
class TestCreate:
    @pytest.mark.parametrize(
        ("change", "field"), [pytest.param(c, f, id=i) for i, c, f in CREATE_CASES]
    )
    def test_it_refuses_and_saves_nothing(self, api, change, field):
        before = counts()
        response = api.post("/tickets", NEW_TICKET | change)
        assert fields(response) == [field]
        assert counts() == before

    @pytest.mark.usefixtures("_custom_fields")
    @pytest.mark.parametrize("values", [pytest.param(v, id=i) for i, v in CUSTOM_FIELD_CASES])
    def test_it_refuses_bad_custom_fields(self, api, values):
        before = counts()
        response = api.post("/tickets", NEW_TICKET | {"custom_fields": values})
        assert fields(response) == ["custom_fields"]
        assert counts() == before

    @pytest.mark.usefixtures("_custom_fields")
    def test_it_names_every_bad_custom_field(self, api):
        response = api.post("/tickets", NEW_TICKET | {"custom_fields": {"nope": 1, "vip": "y"}})
        assert fields(response) == ["custom_fields", "custom_fields"]

    @pytest.mark.usefixtures("_custom_fields")
    def test_it_accepts_good_custom_fields(self, api):
        values = {"seats": 5, "plan": "pro", "renewal": "2026-12-31", "vip": True}
        response = api.post("/tickets", NEW_TICKET | {"custom_fields": values})
        assert response.status_code == 201, response.content
        assert response.json()["custom_fields"] == values | {"seats": "5"}

    @pytest.mark.parametrize(
        "email", ["not-an-email", "two@@at.example", "a b@c.example", "@x.example", "x" * 300]
    )
    def test_it_refuses_a_bad_requester_email(self, api, email):
        before = counts()
        response = api.post("/tickets", NEW_TICKET | {"requester_email": email})
        assert response.status_code == 422
        assert counts() == before

    def test_it_refuses_a_bad_cc_email_and_keeps_no_new_contact(self, api):
        before = counts()
        response = api.post("/tickets", NEW_TICKET | {"cc_emails": ["ok@x.example", "nope"]})
        assert response.status_code == 422
        assert counts() == before

    def test_it_refuses_an_inactive_assignee(self, api, bob):
        User.objects.filter(pk=bob.pk).update(is_active=False)
        before = counts()
        response = api.post("/tickets", NEW_TICKET | {"assignee_id": bob.pk})
        assert fields(response) == ["assignee_id"]
        assert counts() == before

    def test_it_refuses_a_light_agent_as_assignee(self, api, lee):
        before = counts()
        response = api.post("/tickets", NEW_TICKET | {"assignee_id": lee.pk})
        assert response.status_code == 422
        assert counts() == before


@pytest.mark.django_db
class TestNotJson:
    @pytest.mark.parametrize(
        "body", ["{nope", '{"subject": "a",}', "{'subject': 'a'}", b"\xff\xfe"]
    )
    def test_it_answers_400_to_a_body_that_is_not_json(self, api, body):
        before = counts()
        response = raw_post(api, "/tickets", body)
        assert (response.status_code, response.json()) == (
            400,
            {"detail": "Cannot parse request body"},
        )
        assert counts() == before

    @pytest.mark.parametrize("body", ["[1, 2]", "null", '"a ticket"', "42"])
    def test_it_answers_422_to_json_that_is_not_an_object(self, api, body):
        before = counts()
        response = raw_post(api, "/tickets", body)
        assert fields(response) == ["payload"]
        assert response.json()["detail"][0]["msg"] == "Send a JSON object."
        assert counts() == before

    def test_it_names_the_missing_fields_of_an_empty_object(self, api):
        before = counts()
        response = raw_post(api, "/tickets", "{}")
        assert fields(response) == ["subject", "body", "requester_email"]
        assert counts() == before

    @pytest.mark.parametrize("suffix", ["/replies", "/notes", "/merge", "/links"])
    def test_it_answers_400_on_every_write(self, api, ticket, suffix):
        before = state(ticket)
        response = raw_post(api, f"/tickets/{ticket.number}{suffix}", "{nope")
        assert response.status_code == 400
        assert state(ticket) == before

    def test_it_answers_400_to_a_patch_that_is_not_json(self, api, ticket):
        before = state(ticket)
        response = api.client.patch(
            f"/api/v1/tickets/{ticket.number}", "{nope",
            content_type="application/json", headers=api.headers,
        )  # fmt: skip
        assert response.status_code == 400
        assert state(ticket) == before


@pytest.mark.django_db
class TestHostileContent:
    @pytest.mark.parametrize(
        ("filename", "stored"),
        [
            ("../../etc/passwd", "passwd"),
            ("..\\..\\windows\\win.ini", "win.ini"),
            ("/etc/shadow", "shadow"),
            ("a\x00b\r\n.txt", "ab.txt"),
            ('"quoted".txt', "quoted.txt"),
            ("..", "attachment"),
            ("x" * 900 + ".txt", "x" * 200),
        ],
    )
    def test_it_keeps_only_a_safe_file_name(self, api, settings, filename, stored):
        payload = NEW_TICKET | {"attachments": [attachment(b"data", filename)]}
        saved = api.created(api.post("/tickets", payload))["messages"][0]["attachments"][0]
        assert saved["filename"] == stored
        download = api.get(saved["url"].removeprefix("/api/v1"))
        assert download["Content-Disposition"] == f'attachment; filename="{stored}"'
        files = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
        assert [p.relative_to(settings.MEDIA_ROOT).parts[0] for p in files] == ["blobs"]

    def test_it_serves_an_uploaded_html_file_as_a_download(self, api):
        payload = {"filename": "page.html", "content_type": "text/html",
                   "content_base64": b64(b"<script>alert(1)</script>")}  # fmt: skip
        created = api.created(api.post("/tickets", NEW_TICKET | {"attachments": [payload]}))
        url = created["messages"][0]["attachments"][0]["url"]
        download = api.get(url.removeprefix("/api/v1"))
        assert download["Content-Type"] == "application/octet-stream"
        assert download["X-Content-Type-Options"] == "nosniff"

    def test_it_drops_nul_bytes_from_the_body(self, api):
        created = api.created(api.post("/tickets", NEW_TICKET | {"body": "It\x00 fails\x00."}))
        assert created["messages"][0]["body_text"] == "It fails."

    @pytest.mark.parametrize("subject", ["Export\x00 broken", "\x00"])
    def test_it_never_stores_nul_bytes_in_a_subject(self, api, subject):
        api.post("/tickets", NEW_TICKET | {"subject": subject})
        # Checked in Python: SQLite's LIKE ends a pattern at a NUL and would match anything.
        assert all("\x00" not in s for s in Ticket.objects.values_list("subject", flat=True))

    def test_it_escapes_markup_in_a_plain_text_body(self, api):
        created = api.created(
            api.post("/tickets", NEW_TICKET | {"body": "<script>alert(1)</script>"})
        )
        html = Message.objects.get(pk=created["messages"][0]["id"]).body_html
        assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"

    @pytest.mark.parametrize("route", ["create", "reply", "note"])
    def test_it_strips_scripts_and_handlers_from_html(self, api, ticket, route):
        path, payload = {
            "create": ("/tickets", NEW_TICKET | {"body_html": HOSTILE_HTML}),
            "reply": (
                f"/tickets/{ticket.number}/replies",
                {"body": "x", "body_html": HOSTILE_HTML},
            ),
            "note": (f"/tickets/{ticket.number}/notes", {"body": "x", "body_html": HOSTILE_HTML}),
        }[route]
        response = api.post(path, payload)
        assert response.status_code == 201, response.content
        if route == "create":
            message_id = api.created(response)["messages"][0]["id"]
        else:
            message_id = response.json()["id"]
        stored = Message.objects.get(pk=message_id).body_html.lower()
        for hostile in ["<script", "onerror", "onclick", "onload", "javascript:", "<iframe",
                        "<svg", "<style", "style=", "alert"]:  # fmt: skip
            assert hostile not in stored
        assert "<p>hi</p>" in stored
        assert '<img src="cid:logo">' in stored


@pytest.mark.django_db
class TestListParameters:
    @pytest.mark.parametrize(
        "value",
        [
            "!!!",
            "bm90LWpzb24",  # "not-json"
            cursor([1, 2, 3]),
            cursor({"a": 1}),
            cursor(["yesterday", 1]),
            cursor([None, 1]),
            cursor(["2026-01-01T00:00:00+00:00", "x"]),
            cursor(["2026-01-01T00:00:00+00:00", None]),
        ],
    )
    def test_it_refuses_a_cursor_it_did_not_give_out(self, api, ticket, value):
        assert fields(api.get("/tickets", cursor=value)) == ["cursor"]

    def test_it_refuses_a_cursor_with_an_infinite_id(self, api, ticket):
        value = base64.urlsafe_b64encode(b'["2026-01-01T00:00:00+00:00", 1e400]').decode()
        assert fields(api.get("/tickets", cursor=value)) == ["cursor"]

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"limit": "many"}, "limit"),
            ({"team": "support"}, "team"),
            ({"requester": "dana"}, "requester"),
            ({"assignee": "someone"}, "assignee"),
            ({"updated_since": "yesterday"}, "updated_since"),
        ],
    )
    def test_it_refuses_malformed_filters(self, api, ticket, params, field):
        assert fields(api.get("/tickets", **params)) == [field]

    @pytest.mark.parametrize(
        "params",
        [{"team": 10**30}, {"requester": 10**30}, {"assignee": "9" * 30}],
        ids=["team", "requester", "assignee"],
    )
    def test_it_refuses_an_id_filter_too_big_for_the_database(self, api, ticket, params):
        assert fields(api.get("/tickets", **params)) == [next(iter(params))]

    @pytest.mark.parametrize(
        ("limit", "expected"), [(0, 1), (-5, 1), (100_000, 100), (10**30, 100)]
    )
    def test_it_clamps_the_limit(self, api, dana, limit, expected):
        new = Status.objects.default_for("new")
        Ticket.objects.bulk_create(
            Ticket(number=5000 + i, subject=f"T{i}", status=new, requester=dana) for i in range(101)
        )
        body = api.get("/tickets", limit=limit).json()
        assert len(body["items"]) == expected
        assert body["next_cursor"] is not None


# (id, PATCH payload, the field the error must name)
PATCH_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("empty-subject", {"subject": ""}, "subject"),
    ("blank-subject", {"subject": "   "}, "subject"),
    ("1000-char-subject", {"subject": "x" * 1000}, "subject"),
    ("numeric-subject", {"subject": 7}, "subject"),
    ("null-subject", {"subject": None}, "subject"),
    ("unknown-status", {"status": "escalated"}, "status"),
    ("null-status", {"status": None}, "status"),
    ("unknown-priority", {"priority": "critical"}, "priority"),
    ("null-priority", {"priority": None}, "priority"),
    ("null-type", {"type": None}, "type"),
    ("unknown-category", {"category": "Nope"}, "category"),
    ("null-tags", {"tags": None}, "tags"),
    ("bad-tag", {"tags": ["bad tag!"]}, "tags"),
    ("101-tags", {"tags": [f"t{i}" for i in range(101)]}, "tags"),
    ("unknown-assignee", {"assignee_id": 999_999}, "assignee_id"),
    ("unknown-team", {"team_id": 999_999}, "team_id"),
    ("unknown-custom-field", {"custom_fields": {"nope": 1}}, "custom_fields"),
    ("too-many-ccs", {"cc_emails": [f"c{i}@x.example" for i in range(51)]}, "cc_emails"),
    ("valid-subject-then-bad-tags", {"subject": "Fine", "tags": ["bad tag!"]}, "tags"),
    ("new-cc-then-bad-subject", {"cc_emails": ["new.cc@initech.example"], "subject": " "},
     "subject"),
]  # fmt: skip


@pytest.mark.django_db
class TestPatch:
    @pytest.mark.parametrize(
        ("payload", "field"), [pytest.param(p, f, id=i) for i, p, f in PATCH_CASES]
    )
    def test_it_refuses_and_changes_nothing(self, api, ticket, payload, field):
        before = state(ticket)
        response = api.patch(f"/tickets/{ticket.number}", payload)
        assert fields(response) == [field]
        assert state(ticket) == before

    def test_it_refuses_a_bad_cc_email(self, api, ticket):
        before = state(ticket)
        response = api.patch(f"/tickets/{ticket.number}", {"cc_emails": ["ok@x.example", "no"]})
        assert response.status_code == 422
        assert state(ticket) == before

    def test_it_refuses_a_light_agent_as_assignee(self, api, ticket, lee):
        before = state(ticket)
        response = api.patch(f"/tickets/{ticket.number}", {"assignee_id": lee.pk})
        assert response.status_code == 422
        assert state(ticket) == before

    def test_it_refuses_null_custom_fields(self, api, ticket):
        before = state(ticket)
        response = api.patch(f"/tickets/{ticket.number}", {"custom_fields": None})
        assert fields(response) == ["custom_fields"]
        assert state(ticket) == before


# (id, suffix, payload, the field the error must name)
MESSAGE_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("reply-empty", "/replies", {"body": ""}, "body"),
    ("reply-blank", "/replies", {"body": " \n "}, "body"),
    ("reply-nul-only", "/replies", {"body": "\x00"}, "body"),
    ("reply-missing-body", "/replies", {"body_html": "<p>x</p>"}, "body"),
    ("reply-unknown-status", "/replies", {"body": "x", "status": "escalated"}, "status"),
    ("reply-bad-base64", "/replies", {"body": "x", "attachments": [
        {"filename": "a", "content_base64": "%%%"}]}, "attachments"),
    ("reply-oversized", "/replies", {"body": "x", "attachments": [
        attachment(b"x" * (LIMIT + 1))]}, "attachments"),
    ("note-empty", "/notes", {"body": ""}, "body"),
    ("note-numeric", "/notes", {"body": 5}, "body"),
    ("note-bad-base64", "/notes", {"body": "x", "attachments": [
        {"filename": "a", "content_base64": "%%%"}]}, "attachments"),
    ("note-oversized", "/notes", {"body": "x", "attachments": [
        attachment(b"x" * (LIMIT + 1))]}, "attachments"),
]  # fmt: skip


@pytest.mark.django_db
class TestMessages:
    @pytest.mark.parametrize(
        ("suffix", "payload", "field"),
        [pytest.param(s, p, f, id=i) for i, s, p, f in MESSAGE_CASES],
    )
    def test_it_refuses_and_changes_nothing(self, api, ticket, suffix, payload, field):
        before = state(ticket)
        response = api.post(f"/tickets/{ticket.number}{suffix}", payload)
        assert fields(response) == [field]
        assert state(ticket) == before

    def test_it_refuses_to_split_a_tickets_only_message(self, api, ticket):
        before = state(ticket)
        message = ticket.messages.get()
        response = api.post(f"/tickets/{ticket.number}/messages/{message.pk}/split")
        assert fields(response) == ["message"]
        assert state(ticket) == before


@pytest.fixture
def other(eve) -> Ticket:
    return actions.create_ticket(acting_user=None, requester=eve, subject="Other", body="b")


@pytest.fixture
def third(eve) -> Ticket:
    return actions.create_ticket(acting_user=None, requester=eve, subject="Third", body="c")


def closed(ticket: Ticket, by: User) -> Ticket:
    return actions.update_ticket(
        ticket=ticket, acting_user=by, status=Status.objects.get(slug="closed")
    )


@pytest.mark.django_db
class TestMerge:
    def test_it_refuses_to_merge_a_ticket_into_itself(self, api, ticket):
        before = state(ticket)
        response = api.post(f"/tickets/{ticket.number}/merge", {"into": ticket.number})
        assert response.status_code == 422
        assert state(ticket) == before

    def test_it_refuses_to_merge_into_a_closed_ticket(self, api, carol, ticket, other):
        closed(other, carol)
        before = state(ticket, other)
        response = api.post(f"/tickets/{ticket.number}/merge", {"into": other.number})
        assert response.status_code == 422
        assert state(ticket, other) == before

    def test_it_refuses_to_merge_a_ticket_twice(self, api, carol, ticket, other, third):
        actions.merge(source=ticket, target=other, acting_user=carol)
        before = state(ticket, other, third)
        response = api.post(f"/tickets/{ticket.number}/merge", {"into": third.number})
        assert response.status_code == 422
        assert state(ticket, other, third) == before

    @pytest.mark.parametrize(("payload", "field"), [({"into": "x"}, "into"), ({}, "into")])
    def test_it_refuses_a_malformed_target(self, api, ticket, payload, field):
        before = state(ticket)
        assert fields(api.post(f"/tickets/{ticket.number}/merge", payload)) == [field]
        assert state(ticket) == before

    def test_it_answers_404_for_a_missing_target(self, api, ticket):
        before = state(ticket)
        response = api.post(f"/tickets/{ticket.number}/merge", {"into": 999_999})
        assert response.status_code == 404
        assert state(ticket) == before


def link(source: Ticket, target: Ticket, kind: str, by: User) -> None:
    actions.link(source=source, target=target, kind=kind, acting_user=by)


@pytest.mark.django_db
class TestLinks:
    def refused(self, api, source: Ticket, target: Ticket, kind: str, *tickets: Ticket) -> None:
        before = state(source, target, *tickets)
        response = api.post(
            f"/tickets/{source.number}/links", {"target": target.number, "kind": kind}
        )
        assert fields(response) == ["target"]
        assert state(source, target, *tickets) == before

    @pytest.mark.parametrize("kind", ["child", "duplicate", "related"])
    def test_it_refuses_to_link_a_ticket_to_itself(self, api, ticket, kind):
        self.refused(api, ticket, ticket, kind)

    @pytest.mark.parametrize("kind", ["child", "duplicate", "related"])
    def test_it_refuses_a_duplicate_link(self, api, carol, ticket, other, kind):
        link(ticket, other, kind, carol)
        self.refused(api, ticket, other, kind)

    def test_it_refuses_a_related_link_the_other_way_round(self, api, carol, ticket, other):
        link(ticket, other, "related", carol)
        self.refused(api, other, ticket, "related")

    def test_it_refuses_a_parent_as_its_own_childs_child(self, api, carol, ticket, other):
        link(ticket, other, "child", carol)
        self.refused(api, other, ticket, "child")

    def test_it_refuses_a_cycle_of_children(self, api, carol, ticket, other, third):
        link(ticket, other, "child", carol)
        link(other, third, "child", carol)
        self.refused(api, third, ticket, "child", other)

    def test_it_refuses_a_second_parent(self, api, carol, ticket, other, third):
        link(ticket, third, "child", carol)
        self.refused(api, other, third, "child", ticket)

    @pytest.mark.parametrize(
        ("payload", "field"),
        [({"target": 1, "kind": "sibling"}, "kind"), ({"kind": "related"}, "target"),
         ({"target": "x", "kind": "related"}, "target")],
    )  # fmt: skip
    def test_it_refuses_a_malformed_link(self, api, ticket, payload, field):
        before = state(ticket)
        assert fields(api.post(f"/tickets/{ticket.number}/links", payload)) == [field]
        assert state(ticket) == before


# Errors that name something other than the field the client sent:
# (id, method, path, payload for (ticket, light agent), the field sent).
MISNAMED: list[tuple[str, str, str, Callable[[Ticket, User], dict[str, Any]], str]] = [
    ("create-requester-email", "post", "/tickets",
     lambda t, lee: NEW_TICKET | {"requester_email": "nope"}, "requester_email"),
    ("create-cc-emails", "post", "/tickets",
     lambda t, lee: NEW_TICKET | {"cc_emails": ["nope"]}, "cc_emails"),
    ("create-light-agent-assignee", "post", "/tickets",
     lambda t, lee: NEW_TICKET | {"assignee_id": lee.pk}, "assignee_id"),
    ("patch-cc-emails", "patch", "/tickets/{n}",
     lambda t, lee: {"cc_emails": ["nope"]}, "cc_emails"),
    ("patch-light-agent-assignee", "patch", "/tickets/{n}",
     lambda t, lee: {"assignee_id": lee.pk}, "assignee_id"),
    ("merge-into-itself", "post", "/tickets/{n}/merge",
     lambda t, lee: {"into": t.number}, "into"),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path", "payload", "field"), [pytest.param(*c[1:], id=c[0]) for c in MISNAMED]
)
def test_it_names_the_field_the_client_sent(api, ticket, lee, method, path, payload, field):
    response = getattr(api, method)(path.format(n=ticket.number), payload(ticket, lee))
    assert fields(response) == [field]


@pytest.mark.django_db
def test_an_unknown_body_field_is_a_422_and_changes_nothing(api_as, carol, ticket):
    response = api_as(carol).patch(f"/tickets/{ticket.number}", {"priority": "high", "evil": 1})
    assert response.status_code == 422
    assert [error["loc"][-1] for error in response.json()["detail"]] == ["evil"]
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    assert api_as(carol).patch(f"/tickets/{ticket.number}", {"priority": "high"}).status_code == 200
