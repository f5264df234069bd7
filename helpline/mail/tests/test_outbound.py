"""Replies and acknowledgements through the outbox to a real SMTP server."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from helpline.mail import actions as mail_actions
from helpline.mail.models import Mailbox, OutboundEmail, OutboundKind, OutboundState
from helpline.mail.secrets import reply_token
from helpline.mail.sending import send
from helpline.mail.tests.factories import raw_email
from helpline.tickets import actions
from helpline.tickets.models import Status, Ticket


@pytest.fixture
def mailbox(tech_team) -> Mailbox:
    return Mailbox.objects.create(
        address="support@helpline.example", display_name="Acme Support", team=tech_team,
        footer_text="Acme Ltd, 1 Rocket Road",
    )  # fmt: skip


def deliver(raw, mailbox):
    received = mail_actions.receive(raw=raw, via="test", mailbox=mailbox)
    return mail_actions.process(inbound_id=received.inbound.pk)


def send_all() -> list[str | None]:
    return [send(pk) for pk in OutboundEmail.objects.due().values_list("pk", flat=True)]


@pytest.mark.django_db
class TestReplies:
    def test_an_agent_reply_is_mailed_so_it_threads_in_the_customers_client(
        self, smtp, mailbox, carol
    ):
        inbound = deliver(
            raw_email(message_id="<cust-1@client.example>", headers={"Auto-Submitted": "no"}),
            mailbox,
        )
        ticket = inbound.ticket
        OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).delete()
        actions.reply(ticket=ticket, acting_user=carol, body="Please restart the printer.")
        assert send_all() == [OutboundState.SENT]
        [mail] = smtp.received
        assert mail["To"] == "dana@northwind.example"
        assert mail["From"] == "Acme Support <support@helpline.example>"
        assert mail["In-Reply-To"] == "<cust-1@client.example>"
        assert "<cust-1@client.example>" in mail["References"]
        assert (
            mail["Reply-To"]
            == f"Acme Support <support+{reply_token(ticket.number, 'dana@northwind.example')}"
            "@helpline.example>"
        )
        assert mail["Auto-Submitted"] == "no"
        assert mail["Subject"] == f"Re: Printer on fire [#{ticket.number}]"
        text = mail.get_body(("plain",)).get_content()
        assert "Please restart the printer." in text
        assert "> It started smoking." in text
        assert "Acme Ltd, 1 Rocket Road" in text
        assert mail.get_body(("html",)) is not None
        outbound = OutboundEmail.objects.get(kind=OutboundKind.REPLY)
        assert mail["Message-ID"] == f"<{outbound.rfc_message_id}>"
        assert outbound.server_response == "250 2.0.0 Queued as TEST1"

    def test_the_customers_answer_to_our_mail_threads_back(self, smtp, mailbox, carol):
        ticket = deliver(raw_email(), mailbox).ticket
        actions.reply(ticket=ticket, acting_user=carol, body="Try this.")
        outbound = OutboundEmail.objects.get(kind=OutboundKind.REPLY)
        answer = deliver(
            raw_email(in_reply_to=f"<{outbound.rfc_message_id}>", subject="Re: x"), mailbox
        )
        assert answer.ticket == ticket
        assert answer.placement == f"In-Reply-To <{outbound.rfc_message_id}>"

    def test_a_rolled_back_reply_leaves_no_mail(self, smtp, mailbox, ticket, carol):
        with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
            actions.reply(ticket=ticket, acting_user=carol, body="draft")
            raise RuntimeError("the request failed")
        assert not OutboundEmail.objects.exists()

    def test_notes_and_customer_messages_are_not_mailed(self, smtp, mailbox, ticket, carol, dana):
        actions.add_note(ticket=ticket, acting_user=carol, body="internal")
        actions.reply(ticket=ticket, author_contact=dana, body="hello")
        assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
class TestDeliveryFailures:
    def reply(self, ticket, carol):
        actions.reply(ticket=ticket, acting_user=carol, body="Answer")
        return OutboundEmail.objects.get()

    def test_a_temporary_failure_is_retried_later_with_the_same_message_id(
        self, smtp, mailbox, ticket, carol
    ):
        outbound = self.reply(ticket, carol)
        smtp.handler.mode = "tempfail"
        assert send(outbound.pk) == OutboundState.QUEUED
        outbound.refresh_from_db()
        assert outbound.last_error.startswith("451")
        assert send(outbound.pk) is None  # not due yet: backoff
        smtp.handler.mode = "ok"
        with time_machine.travel(timezone.now() + timedelta(minutes=2)):
            assert send(outbound.pk) == OutboundState.SENT
        assert [m["Message-ID"] for m in smtp.received] == [f"<{outbound.rfc_message_id}>"]
        outbound.refresh_from_db()
        assert outbound.attempts == 2

    def test_a_timeout_after_data_is_uncertain_and_never_resent(self, smtp, mailbox, ticket, carol):
        outbound = self.reply(ticket, carol)
        smtp.handler.mode = "hang_after_data"
        assert send(outbound.pk) == OutboundState.UNCERTAIN
        with time_machine.travel(timezone.now() + timedelta(hours=5)):
            assert send(outbound.pk) is None
        assert len(smtp.received) == 1

    def test_a_permanent_refusal_fails_and_shows(self, smtp, mailbox, ticket, carol):
        outbound = self.reply(ticket, carol)
        smtp.handler.mode = "reject"
        assert send(outbound.pk) == OutboundState.FAILED
        outbound.refresh_from_db()
        assert "550" in outbound.last_error

    def test_an_unreachable_server_is_retried_then_given_up(self, settings, mailbox, ticket, carol):
        settings.MAILERS = {
            "default": {"BACKEND": "x", "OPTIONS": {"host": "127.0.0.1", "port": 1, "timeout": 1}}
        }
        outbound = self.reply(ticket, carol)
        moment = timezone.now()
        for _attempt in range(6):
            moment += timedelta(hours=5)
            with time_machine.travel(moment):
                send(outbound.pk)
        outbound.refresh_from_db()
        assert (outbound.state, outbound.attempts) == (OutboundState.FAILED, 6)
        assert "ConnectionRefusedError" in outbound.last_error

    def test_two_workers_send_one_mail_once(self, smtp, mailbox, ticket, carol):
        outbound = self.reply(ticket, carol)
        assert send(outbound.pk) == OutboundState.SENT
        assert send(outbound.pk) is None
        assert len(smtp.received) == 1


@pytest.mark.django_db
class TestAcknowledgements:
    def test_a_new_email_ticket_is_acknowledged_with_its_number_and_promise(self, smtp, mailbox):
        ticket = deliver(raw_email(), mailbox).ticket
        send_all()
        [ack] = smtp.received
        assert ack["Subject"] == f"[#{ticket.number}] We received your request: Printer on fire"
        assert ack["Auto-Submitted"] == "auto-replied"
        body = ack.get_body(("plain",)).get_content()
        assert f"#{ticket.number}" in body
        assert "one business day" in body

    @pytest.mark.parametrize(
        "headers",
        [
            {"Auto-Submitted": "auto-generated"},
            {"Precedence": "bulk"},
            {"Precedence": "list"},
            {"List-Id": "<news.example.com>"},
            {"X-Auto-Response-Suppress": "All"},
            {"Return-Path": "<>"},
        ],
    )
    def test_no_acknowledgement_answers_automatic_or_bulk_mail(self, smtp, mailbox, headers):
        deliver(raw_email(headers=headers), mailbox)
        assert not OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).exists()

    def test_automatic_mail_to_one_address_is_limited_per_hour(self, smtp, mailbox, settings):
        settings.HELPLINE_AUTO_REPLY_LIMIT = 2
        for index in range(4):
            deliver(raw_email(subject=f"Request {index}"), mailbox)
        assert OutboundEmail.objects.filter(kind=OutboundKind.ACKNOWLEDGEMENT).count() == 2

    def test_the_sender_of_an_oversized_message_hears_once(self, smtp, mailbox, settings):
        settings.HELPLINE_MAX_EMAIL_BYTES = 2000
        deliver(raw_email(body="x" * 3000, subject="Huge logs"), mailbox)
        [refusal] = OutboundEmail.objects.filter(kind=OutboundKind.REFUSAL)
        assert refusal.recipients == ["dana@northwind.example"]
        assert "Huge logs" in refusal.body_text


@pytest.mark.django_db
class TestNoLoops:
    """An auto-responder that answers everything: the exchange stops within 2 messages."""

    @pytest.mark.parametrize("polite", [True, False], ids=["rfc3834-robot", "rude-robot"])
    def test_an_autoresponder_cannot_start_a_loop(self, smtp, mailbox, polite):
        answers: list[bytes] = []

        def robot(message):
            headers = {"Auto-Submitted": "auto-replied"} if polite else {}
            answers.append(raw_email(
                sender="robot@client.example", subject=f"Re: {message['Subject']}",
                in_reply_to=message["Message-ID"], body="I am away.", headers=headers,
            ))  # fmt: skip

        # The robot answers after our send has finished (not inside the SMTP
        # conversation), as a real one would: each round sends, then lets it answer.
        smtp.handler.on_message = robot
        ticket = deliver(raw_email(sender="robot@client.example"), mailbox).ticket
        for _round in range(5):
            send_all()
            while answers:
                deliver(answers.pop(0), mailbox)

        [acknowledgement] = smtp.received  # the first mail is answered, the robot's is not
        assert acknowledgement["To"] == "robot@client.example"
        assert acknowledgement["Subject"].startswith(f"[#{ticket.number}] ")
        assert acknowledgement["Auto-Submitted"] == "auto-replied"
        [outbound] = OutboundEmail.objects.all()
        assert (outbound.kind, outbound.state) == (OutboundKind.ACKNOWLEDGEMENT, OutboundState.SENT)
        # The robot's answer did arrive, and joined the ticket instead of starting another.
        _first, answer = ticket.messages.order_by("pk")
        assert answer.body_text.endswith("I am away.")
        assert Ticket.objects.count() == 1

    def test_a_solved_ticket_replied_to_by_email_reopens(self, smtp, mailbox, carol):
        ticket = deliver(raw_email(), mailbox).ticket
        actions.reply(
            ticket=ticket, acting_user=carol, body="Done", status=Status.objects.get(slug="solved")
        )
        outbound = OutboundEmail.objects.get(kind=OutboundKind.REPLY)
        deliver(raw_email(in_reply_to=f"<{outbound.rfc_message_id}>", body="Not fixed"), mailbox)
        ticket.refresh_from_db()
        assert ticket.status.slug == "open"


@pytest.mark.django_db
def test_a_failed_reply_shows_on_the_ticket(smtp, mailbox, ticket, carol):
    actions.reply(ticket=ticket, acting_user=carol, body="Answer")
    smtp.handler.mode = "reject"
    send(OutboundEmail.objects.get().pk)
    note = ticket.messages.filter(is_public=False).get()
    assert note.body_text.startswith("Email to dana@northwind.example could not be delivered: ")


@pytest.mark.django_db
def test_the_acknowledgement_speaks_the_mailboxs_language(smtp, tech_team):
    german = Mailbox.objects.create(
        address="hilfe@helpline.example", display_name="Acme Hilfe", language="de", team=tech_team
    )
    ticket = deliver(raw_email(to="hilfe@helpline.example"), german).ticket
    ack = OutboundEmail.objects.get(kind=OutboundKind.ACKNOWLEDGEMENT)
    assert ack.subject == f"[#{ticket.number}] Wir haben Ihre Anfrage erhalten: Printer on fire"
    assert "Ihre Anfrage hat die Nummer" in ack.body_text


@pytest.mark.django_db
def test_a_language_without_templates_falls_back_to_the_default(smtp, tech_team):
    french = Mailbox.objects.create(
        address="aide@helpline.example", display_name="Aide", language="fr", team=tech_team
    )
    deliver(raw_email(to="aide@helpline.example"), french)
    ack = OutboundEmail.objects.get(kind=OutboundKind.ACKNOWLEDGEMENT)
    assert ack.subject.endswith("We received your request: Printer on fire")
