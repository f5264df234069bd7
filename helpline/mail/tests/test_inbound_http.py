import pytest

from helpline.mail.models import InboundEmail, Mailbox
from helpline.mail.tests.factories import raw_email


@pytest.fixture
def secret(db) -> str:
    mailbox = Mailbox(address="support@helpline.example", display_name="Support")
    raw = mailbox.new_inbound_secret()
    mailbox.save()
    return raw


def post(client, secret: str, body: bytes, content_type: str = "message/rfc822"):
    return client.generic("POST", f"/inbound/email/{secret}/", body, content_type=content_type)


@pytest.mark.django_db
class TestInboundHttp:
    def test_it_answers_202_once_the_raw_message_is_stored(self, client, secret):
        raw = raw_email(message_id="<http1@client.example>")
        response = post(client, secret, raw)
        assert response.status_code == 202
        stored = InboundEmail.objects.get()
        assert response.json() == {"id": stored.pk, "duplicate": False}
        assert bytes(stored.raw) == raw
        assert stored.received_via == "http"

    def test_a_repost_is_a_duplicate_not_a_second_message(self, client, secret):
        raw = raw_email(message_id="<http2@client.example>")
        post(client, secret, raw)
        again = post(client, secret, raw)
        assert again.json()["duplicate"] is True
        assert InboundEmail.objects.count() == 1

    def test_an_unknown_secret_is_404_and_stores_nothing(self, client, secret):
        assert post(client, "wrong-" + secret, raw_email()).status_code == 404
        assert not InboundEmail.objects.exists()

    @pytest.mark.parametrize(
        ("body", "content_type", "status"),
        [(b"", "message/rfc822", 400), (b"{}", "application/json", 415)],
    )
    def test_it_refuses_what_is_not_a_raw_message(self, client, secret, body, content_type, status):
        assert post(client, secret, body, content_type).status_code == status
        assert not InboundEmail.objects.exists()

    def test_far_too_big_is_413_and_just_too_big_is_kept_for_the_quarantine(
        self, client, secret, settings
    ):
        settings.HELPLINE_MAX_EMAIL_BYTES = 2000
        assert post(client, secret, raw_email(body="x" * 5000)).status_code == 413
        assert post(client, secret, raw_email(body="x" * 2500)).status_code == 202
        assert InboundEmail.objects.count() == 1

    def test_get_is_not_allowed(self, client, secret):
        assert client.get(f"/inbound/email/{secret}/").status_code == 405
