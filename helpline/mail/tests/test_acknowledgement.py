"""The acknowledgement threads under the customer's message and promises nothing it lacks."""

from pathlib import Path

import pytest

from helpline.mail import actions as mail_actions
from helpline.mail.models import Mailbox, OutboundEmail, OutboundKind
from helpline.mail.sending import build_message
from helpline.mail.tests.factories import raw_email

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "emails"


def acknowledge(language: str, tech_team) -> OutboundEmail:
    mailbox = Mailbox.objects.create(
        address="support@helpline.example", display_name="Acme", language=language,
        team=tech_team,
    )  # fmt: skip
    raw = raw_email(message_id="<first@client.example>", headers={"Auto-Submitted": "no"})
    received = mail_actions.receive(raw=raw, via="test", mailbox=mailbox)
    mail_actions.process(inbound_id=received.inbound.pk)
    return OutboundEmail.objects.get(kind=OutboundKind.ACKNOWLEDGEMENT)


def languages() -> list[str]:
    return ["en", *sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())]


@pytest.mark.django_db
@pytest.mark.parametrize("language", languages())
def test_it_answers_the_customers_message(language, tech_team):
    ack = acknowledge(language, tech_team)
    assert ack.in_reply_to == "<first@client.example>"
    assert ack.references == "<first@client.example>"
    mail = build_message(ack)
    assert mail["In-Reply-To"] == "<first@client.example>"
    assert "<first@client.example>" in mail["References"]


@pytest.mark.django_db
@pytest.mark.parametrize("language", languages())
def test_it_has_no_placeholder_text(language, tech_team):
    ack = acknowledge(language, tech_team)
    for body in (ack.body_text, ack.body_html):
        assert f"#{ack.ticket.number}" in body  # type: ignore[union-attr]
        assert "tracking" not in body.lower()
        assert "will appear here" not in body
        assert "{{" not in body
        assert "{%" not in body
    assert "reply to this email" in ack.body_text.lower() or "antworten" in ack.body_text


def test_no_email_template_in_any_language_holds_placeholder_text():
    names = sorted(TEMPLATES.rglob("*.*"))
    assert len(names) >= 12
    for path in names:
        text = path.read_text()
        assert "will appear here" not in text, path
        assert "erscheint hier" not in text, path
        # A tracking link is only ever written where one exists.
        for line in text.splitlines():
            if "tracking_link" in line:
                assert "{% if tracking_link %}" in line, f"{path}: {line}"
