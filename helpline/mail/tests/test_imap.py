"""IMAP polling against a real Dovecot on loopback."""

import pytest

from helpline.mail import actions
from helpline.mail.imap import poll
from helpline.mail.models import ImapFolderState, InboundEmail, InboundState, Mailbox
from helpline.mail.tests.dovecot import MAILBOX, PASSWORD
from helpline.mail.tests.factories import raw_email
from helpline.tickets.models import Ticket


@pytest.fixture
def mailbox(dovecot, tech_team) -> Mailbox:
    box = Mailbox(
        address=MAILBOX, display_name="Support", team=tech_team, transport="imap",
        imap_host=dovecot.host, imap_port=dovecot.port, imap_security="none",
        imap_username=MAILBOX,
    )  # fmt: skip
    box.set_imap_password(PASSWORD)
    box.save()
    return box


def process_all() -> None:
    for pk in InboundEmail.objects.filter(state=InboundState.PENDING).values_list("pk", flat=True):
        actions.process(inbound_id=pk)


def seen(dovecot) -> dict[int, bool]:
    with dovecot.connect(MAILBOX) as client:
        client.select_folder("INBOX")
        flags = client.get_flags(client.search("ALL"))
    return {uid: b"\\Seen" in value for uid, value in flags.items()}


@pytest.mark.django_db
class TestImapPolling:
    def test_it_stores_new_messages_once_and_flags_them_after_storing(self, dovecot, mailbox):
        for index in range(3):
            dovecot.deliver(MAILBOX, raw_email(subject=f"Request {index}"))
        result = poll(mailbox)
        assert (result.fetched, result.stored, result.errors) == (3, 3, [])
        assert all(seen(dovecot).values())
        assert poll(mailbox).fetched == 0
        dovecot.deliver(MAILBOX, raw_email(subject="Another"))
        assert poll(mailbox).stored == 1
        process_all()
        assert Ticket.objects.count() == 4

    def test_a_uidvalidity_change_rereads_the_folder_without_duplicates(self, dovecot, mailbox):
        for index in range(2):
            dovecot.deliver(MAILBOX, raw_email(subject=f"Request {index}"))
        poll(mailbox)
        process_all()
        new_validity = dovecot.change_uidvalidity(MAILBOX)
        result = poll(mailbox)
        assert (result.fetched, result.stored, result.duplicates) == (2, 0, 2)
        assert ImapFolderState.objects.get().uidvalidity == new_validity
        assert Ticket.objects.count() == 2

    def test_a_poison_message_in_the_middle_is_quarantined_and_the_rest_go_on(
        self, dovecot, mailbox
    ):
        dovecot.deliver(MAILBOX, raw_email(subject="Before"))
        dovecot.deliver(MAILBOX, b"Subject: no sender at all\r\n\r\n\x00\xff garbage")
        dovecot.deliver(MAILBOX, raw_email(subject="After"))
        assert poll(mailbox).stored == 3
        process_all()
        assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["After", "Before"]
        poisoned = InboundEmail.objects.get(state=InboundState.QUARANTINED)
        assert poisoned.error == "no valid sender address in From:"

    def test_a_dropped_connection_loses_nothing_and_duplicates_nothing(
        self, dovecot, mailbox, monkeypatch
    ):
        for index in range(4):
            dovecot.deliver(MAILBOX, raw_email(subject=f"Request {index}"))
        from helpline.mail import imap

        real_take = imap._take
        taken = []

        def take_then_drop(client, *args):
            real_take(client, *args)
            taken.append(1)
            if len(taken) == 2:
                dovecot.drop_connections(MAILBOX)

        monkeypatch.setattr(imap, "_take", take_then_drop)
        first = poll(mailbox)
        assert first.stored == 2
        assert first.errors  # the drop is reported, not raised
        monkeypatch.undo()
        second = poll(mailbox)
        assert (second.stored, second.duplicates) == (2, 0)
        process_all()
        assert Ticket.objects.count() == 4

    def test_a_crash_between_storing_and_flagging_only_refetches_a_duplicate(
        self, dovecot, mailbox, monkeypatch
    ):
        dovecot.deliver(MAILBOX, raw_email(subject="Once"))
        from helpline.mail import imap
        from helpline.mail.models import ImapFolderState as State

        def crash(*args, **kwargs):
            raise OSError("killed before flagging")

        monkeypatch.setattr("imapclient.IMAPClient.add_flags", crash)
        poll(mailbox)
        State.objects.update(last_uid=0)  # as if the uid update had been lost too
        monkeypatch.undo()
        result = imap.poll(mailbox)
        assert (result.stored, result.duplicates) == (0, 1)

    def test_wrong_credentials_are_reported_not_raised(self, dovecot, mailbox):
        mailbox.set_imap_password("wrong")
        mailbox.save()
        result = poll(mailbox)
        assert result.errors
        assert "wrong" not in result.errors[0]
        assert ImapFolderState.objects.get().last_error

    def test_imaps_with_a_verified_certificate(self, dovecot, mailbox, settings):
        settings.HELPLINE_IMAP_CA_FILE = str(dovecot.cert_path)
        mailbox.imap_security, mailbox.imap_port = "ssl", dovecot.ssl_port
        mailbox.save()
        dovecot.deliver(MAILBOX, raw_email())
        assert poll(mailbox).stored == 1

    def test_starttls_with_a_verified_certificate(self, dovecot, mailbox, settings):
        settings.HELPLINE_IMAP_CA_FILE = str(dovecot.cert_path)
        mailbox.imap_security = "starttls"
        mailbox.save()
        dovecot.deliver(MAILBOX, raw_email())
        assert poll(mailbox).stored == 1

    @pytest.mark.parametrize("security", ["ssl", "starttls"])
    def test_an_untrusted_certificate_is_refused_and_nothing_is_read(
        self, dovecot, mailbox, security
    ):
        mailbox.imap_security = security
        mailbox.imap_port = dovecot.ssl_port if security == "ssl" else dovecot.port
        mailbox.save()
        dovecot.deliver(MAILBOX, raw_email())
        result = poll(mailbox)
        assert (result.stored, len(result.errors)) == (0, 1)
        assert "certificate" in result.errors[0].lower()
        assert InboundEmail.objects.count() == 0
