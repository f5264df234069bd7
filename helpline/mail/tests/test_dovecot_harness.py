"""The Dovecot test harness works: the email channel's tests can trust what it serves."""

import ssl
import time

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, LoginError

from helpline.mail.tests import dovecot as harness
from helpline.mail.tests.dovecot import MAILBOX, PASSWORD


def message(number: int) -> bytes:
    return (
        f"From: Dana <dana@northwind.test>\r\n"
        f"To: {MAILBOX}\r\n"
        f"Subject: Order {number}\r\n"
        f"Message-ID: <order-{number}@northwind.test>\r\n"
        f"\r\n"
        f"Where is order {number}?\r\n"
    ).encode()


def test_logs_in_on_the_plain_port_without_tls(dovecot):
    client = IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10)
    assert client.welcome.startswith(b"* OK")
    client.login(MAILBOX, PASSWORD)
    assert client.select_folder("INBOX")[b"EXISTS"] == 0
    assert not isinstance(client.socket(), ssl.SSLSocket)
    client.logout()


def test_logs_in_on_the_ssl_port_verifying_the_generated_certificate(dovecot):
    context = ssl.create_default_context(cafile=str(dovecot.cert_path))
    client = IMAPClient(dovecot.host, port=dovecot.ssl_port, ssl=True, ssl_context=context)
    client.login(MAILBOX, PASSWORD)
    assert isinstance(client.socket(), ssl.SSLSocket)
    client.logout()

    # An unverified client is refused: the port really speaks TLS with that certificate.
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(dovecot.host, port=dovecot.ssl_port, ssl=True, timeout=10)


def test_a_wrong_password_is_refused_without_delay(dovecot):
    started = time.monotonic()
    with pytest.raises(LoginError):
        IMAPClient(dovecot.host, port=dovecot.port, ssl=False).login(MAILBOX, "wrong")
    # Dovecot answers failures in 0.5 s batches; its default delay (2 s) and penalty are off.
    assert time.monotonic() - started < 1.5


def test_delivers_messages_that_fetch_back_byte_for_byte_by_uid(dovecot):
    uids = [dovecot.deliver(MAILBOX, message(n)) for n in (1, 2, 3)]
    assert uids == sorted(uids)
    assert len(set(uids)) == 3

    with dovecot.connect(MAILBOX) as client:
        client.select_folder("INBOX", readonly=True)
        assert client.search("ALL") == uids
        fetched = client.fetch(uids, ["BODY.PEEK[]"])
    assert [fetched[uid][b"BODY[]"] for uid in uids] == [message(n) for n in (1, 2, 3)]


def test_delivers_to_another_folder_and_user_added_while_running(dovecot):
    dovecot.add_user("billing@helpline.test", "other-secret")
    uid = dovecot.deliver("billing@helpline.test", message(7), folder="Archive")
    with dovecot.connect("billing@helpline.test", use_ssl=True) as client:
        client.select_folder("Archive")
        assert client.search("ALL") == [uid]
        client.select_folder("INBOX")
        assert client.search("ALL") == []


def test_change_uidvalidity_renumbers_the_folder(dovecot):
    for n in (1, 2):
        dovecot.deliver(MAILBOX, message(n))
    before = dovecot.uidvalidity(MAILBOX)

    after = dovecot.change_uidvalidity(MAILBOX)

    assert after != before
    with dovecot.connect(MAILBOX) as client:
        status = client.select_folder("INBOX")
        assert status[b"UIDVALIDITY"] == after
        uids = client.search("ALL")
        assert len(uids) == 2
        fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        subjects = sorted(f[b"BODY[HEADER.FIELDS (SUBJECT)]"].strip() for f in fetched.values())
    assert subjects == [b"Subject: Order 1", b"Subject: Order 2"]


def test_a_dropped_connection_is_seen_by_the_connected_client(dovecot):
    client = dovecot.connect(MAILBOX)
    client.select_folder("INBOX")

    dovecot.drop_connections()

    with pytest.raises((IMAPClientAbortError, OSError)):
        client.noop()
    # The server itself stays up.
    with dovecot.connect(MAILBOX) as again:
        assert again.noop()


def test_restart_keeps_the_ports_and_the_mail(dovecot):
    uid = dovecot.deliver(MAILBOX, message(1))
    port, ssl_port = dovecot.port, dovecot.ssl_port
    client = dovecot.connect(MAILBOX)
    client.select_folder("INBOX")

    dovecot.restart()

    assert (dovecot.port, dovecot.ssl_port) == (port, ssl_port)
    with pytest.raises((IMAPClientAbortError, OSError)):
        client.noop()
    with dovecot.connect(MAILBOX, use_ssl=True) as again:
        again.select_folder("INBOX")
        assert again.search("ALL") == [uid]


def test_certificate_from_the_openssl_cli_when_cryptography_is_missing(make_dovecot, monkeypatch):
    def no_cryptography(*args):
        raise ImportError("cryptography")

    monkeypatch.setattr(harness, "_make_certificate_with_cryptography", no_cryptography)
    server = make_dovecot({"cli@helpline.test": "secret"})
    with server.connect("cli@helpline.test", use_ssl=True) as client:
        assert isinstance(client.socket(), ssl.SSLSocket)


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_missing_dovecot_skips_locally_and_fails_on_ci(monkeypatch, ci, outcome):
    monkeypatch.setattr(harness, "DOVECOT", "/nonexistent/dovecot")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install dovecot-imapd"):
        harness.require_dovecot()
