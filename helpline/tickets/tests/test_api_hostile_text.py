"""The one text rule on tickets (lib/text.py), and ids the databases cannot hold.

Found by fuzzing: NUL in `language` (and in a status, a category or an attachment's
content type) made PostgreSQL answer 500; ids past 2**63 - 1 overflowed SQLite.
"""

import mimetypes

import pytest

from helpline.conftest import b64
from helpline.testing import error_fields as fields
from helpline.testing import row_counts as counts
from helpline.testing import ticket_state as state
from helpline.tickets.models import Attachment, CustomField, Message, Ticket

HUGE = 10**30
NEW_TICKET = {
    "subject": "Export broken",
    "body": "It fails.",
    "requester_email": "new@initech.example",
}


@pytest.fixture
def api(api_as, carol):
    return api_as(carol)


@pytest.mark.django_db
class TestCodesAreRefused:
    @pytest.mark.parametrize(
        "language", ["en\x00", "e\x00n", "pt\u202e-BR", "english please", "x" * 17]
    )
    def test_it_refuses_a_bad_language_and_creates_nothing(self, api, language):
        before = counts()
        assert fields(api.post("/tickets", NEW_TICKET | {"language": language})) == ["language"]
        assert counts() == before

    @pytest.mark.parametrize("language", ["", "en", "pt-BR", "zh-Hant-TW", "en_US"])
    def test_it_stores_a_language_tag(self, api, language):
        response = api.post("/tickets", NEW_TICKET | {"language": language})
        assert response.status_code == 201
        assert Ticket.objects.get(number=response.json()["number"]).language == language

    @pytest.mark.parametrize("field", ["status", "category"])
    def test_it_refuses_a_status_or_category_with_a_nul(self, api, ticket, field):
        before = state(ticket)
        assert fields(api.patch(f"/tickets/{ticket.number}", {field: "op\x00en"})) == [field]
        assert state(ticket) == before

    def test_it_refuses_a_reply_status_with_a_nul(self, api, ticket):
        before = state(ticket)
        response = api.post(f"/tickets/{ticket.number}/replies", {"body": "x", "status": "\x00"})
        assert fields(response) == ["status"]
        assert state(ticket) == before

    def test_a_clean_status_still_applies(self, api, ticket):
        assert (
            api.patch(f"/tickets/{ticket.number}", {"status": "pending"}).json()["status"]
            == "pending"
        )


@pytest.mark.django_db
class TestFreeTextIsCleaned:
    def test_it_removes_bidi_and_control_characters_from_a_subject(self, api):
        response = api.post("/tickets", NEW_TICKET | {"subject": "invoice\u202egnp.exe\x00"})
        assert response.json()["subject"] == "invoicegnp.exe"

    def test_it_keeps_line_breaks_and_tabs_in_a_body(self, api, ticket):
        body = "Hi\u202e,\r\n\tline two\x07\x00\nthree \u2067x\u2069"
        response = api.post(f"/tickets/{ticket.number}/notes", {"body": body})
        assert response.status_code == 201
        message = Message.objects.get(pk=response.json()["id"])
        assert message.body_text == "Hi,\n\tline two\nthree x"
        assert "\u202e" not in message.body_html
        assert "<br>" in message.body_html

    def test_it_cleans_html_bodies_too(self, api, ticket):
        response = api.post(
            f"/tickets/{ticket.number}/replies",
            {"body": "x", "body_html": "<p>pay\u202e\x00 here</p>"},
        )
        assert response.json()["body_html"] == "<p>pay here</p>"

    def test_it_cleans_a_custom_text_field(self, api, ticket):
        CustomField.objects.create(key="notes", label="Notes", kind="text")
        response = api.patch(
            f"/tickets/{ticket.number}", {"custom_fields": {"notes": "a\x00b\u202ec\nd"}}
        )
        assert response.json()["custom_fields"] == {"notes": "abc\nd"}

    def test_it_removes_bidi_from_a_file_name_and_ignores_a_bad_content_type(self, api, ticket):
        upload = {
            "filename": "invoice\u202efdp.exe",
            "content_type": "text/plain\x00",
            "content_base64": b64(b"hello"),
        }
        response = api.post(
            f"/tickets/{ticket.number}/notes", {"body": "x", "attachments": [upload]}
        )
        assert response.status_code == 201
        attachment = Attachment.objects.get(pk=response.json()["attachments"][0]["id"])
        guessed = mimetypes.guess_type("invoicefdp.exe")[0] or "application/octet-stream"
        assert (attachment.filename, attachment.content_type) == ("invoicefdp.exe", guessed)

    def test_it_keeps_a_good_content_type(self, api, ticket):
        upload = {
            "filename": "notes",
            "content_type": "text/plain; charset=utf-8",
            "content_base64": b64(b"hello"),
        }
        response = api.post(
            f"/tickets/{ticket.number}/notes", {"body": "x", "attachments": [upload]}
        )
        attachment = Attachment.objects.get(pk=response.json()["attachments"][0]["id"])
        assert attachment.content_type == "text/plain; charset=utf-8"


@pytest.mark.django_db
class TestIdsTheDatabaseCannotHold:
    @pytest.mark.parametrize(
        "path",
        ["/tickets/{huge}", "/tickets/{huge}/events", "/attachments/{huge}",
         "/tickets/{n}/messages/{huge}/split", "/tickets/0"],
    )  # fmt: skip
    def test_it_refuses_an_id_in_a_path(self, api, ticket, path):
        path = path.format(huge=HUGE, n=ticket.number)
        call = api.post if path.endswith("split") else api.get
        response = call(path)
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"][0] == "path"

    @pytest.mark.parametrize(
        ("method", "suffix", "payload", "field"),
        [
            ("patch", "", {"assignee_id": HUGE}, "assignee_id"),
            ("patch", "", {"team_id": HUGE}, "team_id"),
            ("post", "/merge", {"into": HUGE}, "into"),
            ("post", "/links", {"target": HUGE, "kind": "related"}, "target"),
            ("post", "/links", {"target": 0, "kind": "related"}, "target"),
        ],
    )
    def test_it_refuses_an_id_in_a_body(self, api, ticket, method, suffix, payload, field):
        before = state(ticket)
        response = getattr(api, method)(f"/tickets/{ticket.number}{suffix}", payload)
        assert fields(response) == [field]
        assert state(ticket) == before

    def test_it_refuses_a_new_tickets_assignee_id_too_big(self, api):
        before = counts()
        assert fields(api.post("/tickets", NEW_TICKET | {"team_id": HUGE})) == ["team_id"]
        assert counts() == before

    def test_it_still_assigns_a_real_agent(self, api, ticket, carol):
        response = api.patch(f"/tickets/{ticket.number}", {"assignee_id": carol.pk})
        assert response.json()["assignee"]["id"] == carol.pk
