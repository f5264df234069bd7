"""Provider inbound webhooks (here Mailgun's raw-MIME route) into the same pipeline."""

import base64
import hashlib
import hmac
import time

import pytest

from helpline.mail.models import InboundEmail, Mailbox
from helpline.mail.tests.factories import raw_email

SIGNING_KEY = "mailgun-test-signing-key"
BASIC_AUTH = "hook:s3cret-pass"


@pytest.fixture
def mailgun(settings, db):
    settings.ANYMAIL = {"WEBHOOK_SECRET": BASIC_AUTH, "MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY}
    return Mailbox.objects.create(address="support@helpline.example", display_name="Support")


def post(client, raw: bytes, *, key: str = SIGNING_KEY, auth: str = BASIC_AUTH):
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return client.post(
        "/inbound/providers/mailgun/inbound_mime/",
        {"body-mime": raw.decode(), "recipient": "support@helpline.example",
         "sender": "dana@northwind.example", "timestamp": timestamp, "token": token,
         "signature": signature},
        headers={"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()},
    )  # fmt: skip


def test_a_signed_mailgun_message_is_stored_for_its_mailbox(client, mailgun):
    response = post(client, raw_email(message_id="<mg1@client.example>"))
    assert response.status_code == 200
    stored = InboundEmail.objects.get()
    assert (stored.received_via, stored.mailbox, stored.message_id) == (
        "anymail:mailgun", mailgun, "mg1@client.example",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("key", "auth"),
    [("wrong-key", BASIC_AUTH), (SIGNING_KEY, "hook:wrong")],
    ids=["signature", "basic-auth"],
)
def test_a_forged_call_stores_nothing(client, mailgun, key, auth):
    response = post(client, raw_email(), key=key, auth=auth)
    assert response.status_code in {400, 401, 403}
    assert not InboundEmail.objects.exists()
