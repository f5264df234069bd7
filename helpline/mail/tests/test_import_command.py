import json
import mailbox as mailbox_formats

import pytest
from django_tasks_db.models import DBTaskResult

from helpline.cli import main
from helpline.mail.tests.factories import raw_email
from helpline.tickets.models import Ticket


@pytest.fixture
def messages():
    first = raw_email(message_id="<i1@client.example>")
    reply = raw_email(message_id="<i2@client.example>", in_reply_to="<i1@client.example>")
    auto = raw_email(message_id="<i3@client.example>", headers={"Auto-Submitted": "auto-replied"})
    broken = b"Subject: no sender\r\n\r\nbody"
    return [first, reply, auto, broken, first]


def summary(capsys, *args) -> dict:
    assert main(["mail", "import", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


EXPECTED = {
    "created": 1, "appended": 1, "duplicates": 1, "quarantined": 1,
    "auto_replies_and_bounces": 1, "retrying": 0,
}  # fmt: skip


@pytest.mark.django_db
class TestMailImport:
    def test_it_imports_an_mbox(self, tmp_path, messages, capsys):
        box = mailbox_formats.mbox(tmp_path / "all.mbox")
        for raw in messages:
            box.add(raw)
        box.flush()
        result = summary(capsys, str(tmp_path / "all.mbox"))
        number = Ticket.objects.get().number
        summary_numbers = {"created_tickets": [number], "appended_tickets": [number]}
        assert result == {**EXPECTED, **summary_numbers}
        assert Ticket.objects.get().messages.count() == 2
        # The import processed every message itself: nothing is left for a worker.
        assert not DBTaskResult.objects.exists()

    def test_it_imports_a_maildir(self, tmp_path, messages, capsys):
        box = mailbox_formats.Maildir(tmp_path / "Maildir")
        for raw in messages:
            box.add(raw)
        result = summary(capsys, str(tmp_path / "Maildir"))
        number = Ticket.objects.get().number
        assert result == {**EXPECTED, "created_tickets": [number], "appended_tickets": [number]}

    def test_it_imports_one_eml_and_twice_is_a_duplicate(self, tmp_path, messages, capsys):
        path = tmp_path / "one.eml"
        path.write_bytes(messages[0])
        assert summary(capsys, str(path))["created"] == 1
        assert summary(capsys, str(path))["duplicates"] == 1

    def test_it_prints_the_numbers_of_the_tickets_it_created_and_appended_to(
        self, tmp_path, capsys
    ):
        for name, raw in {
            "1.eml": raw_email(message_id="<a1@client.example>", subject="First"),
            "2.eml": raw_email(message_id="<b1@client.example>", subject="Second"),
            "3.eml": raw_email(message_id="<a2@client.example>", in_reply_to="<a1@client.example>"),
        }.items():
            (tmp_path / name).write_bytes(raw)
        assert main(["mail", "import", str(tmp_path)]) == 0
        first = Ticket.objects.get(subject="First").number
        second = Ticket.objects.get(subject="Second").number
        assert capsys.readouterr().out.strip() == (
            f"created: 2 (#{first}, #{second}), appended: 1 (#{first}), duplicates: 0, "
            "quarantined: 0, auto replies and bounces: 0, retrying: 0"
        )
        assert main(["mail", "import", str(tmp_path)]) == 0
        assert capsys.readouterr().out.startswith("created: 0, appended: 0, duplicates: 3,")

    def test_a_missing_path_is_one_clear_line(self, tmp_path, capsys):
        assert main(["mail", "import", str(tmp_path / "nope")]) == 2
        assert "is neither a file nor a folder" in capsys.readouterr().err

    def test_an_unknown_mailbox_is_one_clear_line(self, tmp_path, capsys):
        (tmp_path / "a.eml").write_bytes(raw_email())
        assert main(["mail", "import", str(tmp_path / "a.eml"), "--mailbox", "x@y.example"]) == 2
        assert "no mailbox has the address 'x@y.example'" in capsys.readouterr().err


@pytest.mark.django_db
def test_imported_mail_is_not_acknowledged(tmp_path, capsys):
    from helpline.mail.models import Mailbox, OutboundEmail

    Mailbox.objects.create(address="support@helpline.example", display_name="Support")
    (tmp_path / "old.eml").write_bytes(raw_email(message_id="<old@client.example>"))
    assert (
        summary(capsys, str(tmp_path / "old.eml"), "--mailbox", "support@helpline.example")[
            "created"
        ]
        == 1
    )
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
class TestOneTransactionAMessage:
    """An imported message is stored and processed in one transaction; the file is
    its copy until then, and every other case takes the stored, two-step way."""

    def test_a_new_message_is_stored_and_processed_in_one_commit(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from helpline.mail.actions import import_message
        from helpline.mail.models import InboundResult

        with CaptureQueriesContext(connection) as queries:
            inbound = import_message(raw=raw_email(message_id="<one@client.example>"), mailbox=None)
        assert inbound is not None
        assert inbound.result == InboundResult.CREATED
        # Looked up once (is it stored?), inserted, and processed without reading it
        # back under a lock, as `process` does in its own transaction.
        reads = [q["sql"] for q in queries if 'FROM "mail_inboundemail"' in q["sql"]]
        assert len(reads) == 1
        assert "FOR UPDATE" not in reads[0]
        assert (
            import_message(raw=raw_email(message_id="<one@client.example>"), mailbox=None) is None
        )

    def test_a_message_whose_processing_fails_is_stored_with_the_failure(self, monkeypatch):
        from helpline.mail import actions
        from helpline.mail.models import InboundEmail, InboundState

        def broken(*args, **kwargs):
            raise RuntimeError("placement is down")

        monkeypatch.setattr(actions, "place", broken)
        inbound = actions.import_message(
            raw=raw_email(message_id="<f@client.example>"), mailbox=None
        )
        assert inbound is not None
        stored = InboundEmail.objects.get(message_id="f@client.example")
        assert (stored.state, stored.attempts) == (InboundState.PENDING, 1)
        assert stored.error == "RuntimeError: placement is down"
        assert not Ticket.objects.exists()

    def test_a_message_stored_by_a_stopped_run_is_processed_now(self):
        from helpline.mail import actions
        from helpline.mail.models import InboundResult

        raw = raw_email(message_id="<stopped@client.example>")
        actions.receive(raw=raw, via="import", mailbox=None, queue_processing=False)
        inbound = actions.import_message(raw=raw, mailbox=None)
        assert inbound is not None
        assert inbound.result == InboundResult.CREATED
        assert Ticket.objects.count() == 1
