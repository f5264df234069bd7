"""The demo's mail works as shipped: mail to its address is accepted, answered and kept."""

import os
import smtplib

import pytest
from django.test import Client

from helpline import cli, demo
from helpline.accounts.models import User
from helpline.mail import actions as mail_actions
from helpline.mail.models import InboundEmail, Mailbox, OutboundEmail, OutboundKind, OutboundState
from helpline.mail.sending import send
from helpline.mail.smtpd import make_controller
from helpline.mail.tests.factories import raw_email
from helpline.mail.tests.smtp_server import free_port


@pytest.fixture
def small_demo(transactional_db, settings):
    settings.HELPLINE_MAIL_DELIVERY = "keep"
    demo.seed(ticket_count=12)


@pytest.fixture
def listener(small_demo):
    controller = make_controller("127.0.0.1", free_port())
    controller.start()
    yield controller
    controller.stop()


def send_due() -> list[str | None]:
    return [send(pk) for pk in OutboundEmail.objects.due().values_list("pk", flat=True)]


def test_the_demo_mailbox_is_active_and_the_default(small_demo):
    mailbox = Mailbox.objects.get()
    assert (mailbox.address, mailbox.is_active, mailbox.is_default) == (
        demo.DEMO_MAILBOX, True, True,
    )  # fmt: skip


def test_every_seeded_reply_has_a_route(small_demo):
    replies = OutboundEmail.objects.filter(kind=OutboundKind.REPLY)
    assert replies.exists()
    assert not replies.filter(state=OutboundState.NOT_EMAILED).exists()
    assert set(replies.values_list("mailbox__address", flat=True)) == {demo.DEMO_MAILBOX}


def test_mail_to_the_demo_is_accepted_answered_and_kept(listener, api_as):
    raw = raw_email(
        sender="Kim Example <kim@customer.example>", to=demo.DEMO_MAILBOX,
        subject="Where is my invoice?", body="Could you send me March's invoice?",
        message_id="<walkthrough-1@customer.example>",
    )  # fmt: skip
    with smtplib.SMTP(listener.hostname, listener.port, timeout=10) as smtp:
        assert smtp.sendmail("kim@customer.example", [demo.DEMO_MAILBOX], raw) == {}
    inbound = InboundEmail.objects.get(message_id="walkthrough-1@customer.example")
    ticket = mail_actions.process(inbound_id=inbound.pk).ticket
    assert ticket is not None
    assert ticket.subject == "Where is my invoice?"

    sam = User.objects.get(email="sam@demo.helpline.test")
    response = api_as(sam).post(f"/tickets/{ticket.number}/replies", {"body": "Attached it."})
    assert response.status_code == 201
    assert [e["state"] for e in response.json()["emails"]] == ["queued"]

    assert set(send_due()) == {OutboundState.KEPT}
    ack, answer = OutboundEmail.objects.filter(ticket=ticket).order_by("created_at", "id")
    assert (ack.kind, answer.kind) == (OutboundKind.ACKNOWLEDGEMENT, OutboundKind.REPLY)
    assert answer.recipients == ["kim@customer.example"]
    assert answer.in_reply_to == "<walkthrough-1@customer.example>"
    assert {ack.state, answer.state} == {OutboundState.KEPT}

    admin = Client()
    admin.force_login(User.objects.get(email="admin@demo.helpline.test"))
    listing = admin.get("/mail/outgoing/").content.decode()
    assert f"Re: Where is my invoice? [#{ticket.number}]" in listing
    detail = admin.get(f"/mail/outgoing/{answer.pk}/").content.decode()
    assert "Attached it." in detail
    assert "<th>To</th><td>kim@customer.example</td>" in detail


def test_the_demo_command_keeps_mail_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("HELPLINE_MAIL_DELIVERY", raising=False)
    cli.apply_command_environment("serve")
    assert "HELPLINE_MAIL_DELIVERY" not in os.environ
    cli.apply_command_environment("demo")
    assert os.environ["HELPLINE_MAIL_DELIVERY"] == "keep"
    monkeypatch.setenv("HELPLINE_MAIL_DELIVERY", "smtp")
    cli.apply_command_environment("demo")
    assert os.environ["HELPLINE_MAIL_DELIVERY"] == "smtp"
