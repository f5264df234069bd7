"""The built-in SMTP listener, spoken to by a real SMTP client."""

import smtplib

import pytest

from helpline.mail.models import InboundEmail, Mailbox
from helpline.mail.smtpd import make_controller
from helpline.mail.tests.factories import raw_email
from helpline.mail.tests.smtp_server import free_port


@pytest.fixture
def listener(transactional_db, settings):
    Mailbox.objects.create(address="support@helpline.example", display_name="Support")
    settings.HELPLINE_MAX_EMAIL_BYTES = 50_000
    controller = make_controller("127.0.0.1", free_port())
    controller.start()
    yield controller
    controller.stop()


def client(listener) -> smtplib.SMTP:
    return smtplib.SMTP(listener.hostname, listener.port, timeout=10)


def test_it_stores_mail_for_our_addresses_before_answering_250(listener):
    raw = raw_email(message_id="<smtp1@client.example>", to="support+1001.abc@helpline.example")
    with client(listener) as smtp:
        refused = smtp.sendmail(
            "dana@northwind.example", ["support+1001.abc@helpline.example"], raw
        )
    assert refused == {}
    stored = InboundEmail.objects.get()
    assert stored.mailbox is not None
    assert (stored.received_via, stored.mailbox.address) == ("smtp", "support@helpline.example")
    # SMTP ends every message with a line break; the content is otherwise byte-exact.
    assert (
        bytes(stored.raw).replace(b"\r\n", b"\n").rstrip() == raw.replace(b"\r\n", b"\n").rstrip()
    )


def test_it_refuses_other_recipients_and_stores_nothing(listener):
    with client(listener) as smtp, pytest.raises(smtplib.SMTPRecipientsRefused):
        smtp.sendmail("dana@northwind.example", ["someone@elsewhere.example"], raw_email())
    assert not InboundEmail.objects.exists()


def test_far_too_big_is_refused_by_the_protocol(listener):
    # Refused at MAIL FROM (the SIZE the client announced) or at the end of DATA.
    with (
        client(listener) as smtp,
        pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPDataError)) as error,
    ):
        smtp.sendmail(
            "dana@northwind.example", ["support@helpline.example"], raw_email(body="x" * 200_000)
        )
    assert error.value.smtp_code == 552
    assert not InboundEmail.objects.exists()


def test_the_same_message_twice_is_stored_once(listener):
    raw = raw_email(message_id="<smtp2@client.example>")
    with client(listener) as smtp:
        smtp.sendmail("dana@northwind.example", ["support@helpline.example"], raw)
        smtp.sendmail("dana@northwind.example", ["support@helpline.example"], raw)
    assert InboundEmail.objects.count() == 1
