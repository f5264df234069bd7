"""`helpline mail import --jobs N`: several processes at once, each conversation in one."""

import json
import mailbox as mailbox_formats
import os

import pytest
from django.db import connection

from helpline.cli import main
from helpline.commands import CliError, import_processes
from helpline.mail.import_jobs import ImportWorkerError, Threads, import_in_processes, threads_of
from helpline.mail.tests.factories import raw_email, shuffled_conversations
from helpline.testing_threads import postgres_only
from helpline.tickets.models import Ticket

OURS = frozenset({"support@helpline.example"})


class TestWhatTiesMessages:
    def test_a_reply_is_tied_to_what_it_answers_and_to_its_sender(self):
        reply = raw_email(
            message_id="<r@client.example>", in_reply_to="<o@client.example>",
            references="<first@client.example> <o@client.example>", subject="Re: [#1042] Help",
        )  # fmt: skip
        assert threads_of(reply, OURS) == {
            "id:r@client.example", "id:o@client.example", "id:first@client.example",
            "address:dana@northwind.example", "ticket:1042",
        }  # fmt: skip

    def test_our_own_address_ties_nothing_but_a_reply_token_does(self):
        plain = raw_email(message_id="<a@client.example>", cc="Eve <eve@globex.example>")
        tokened = raw_email(message_id="<b@client.example>", to="support+t0ken@helpline.example")
        assert threads_of(plain, OURS) == {
            "id:a@client.example",
            "address:dana@northwind.example",
        }
        assert "address:support+t0ken@helpline.example" in threads_of(tokened, OURS)

    def test_headers_too_broken_to_read_tie_nothing(self):
        assert threads_of(b"\x00\xff" * 10, OURS) == set()
        assert threads_of(b"Subject: only this\r\n\r\nbody", OURS) == set()


class TestThreads:
    def test_joined_threads_belong_to_the_process_given_them_last(self):
        threads = Threads()
        threads.give({"id:<a>", "address:x"}, 0)
        threads.give({"id:<b>"}, 1)
        assert threads.processes({"address:x"}) == {0}
        assert threads.processes({"id:<a>", "id:<b>"}) == {0, 1}
        threads.give({"id:<a>", "id:<b>", "id:<c>"}, 1)
        assert threads.processes({"address:x"}) == threads.processes({"id:<b>"}) == {1}
        assert threads.processes({"id:<new>"}) == set()


def _by_process(raw: bytes) -> tuple[str, int | None]:
    """Handled in a worker: says which one."""
    if raw.startswith(b"boom"):
        raise RuntimeError("the database went away")
    return raw.decode().partition("\r\n")[0], os.getpid()


def _mail(name: str, *ids: str) -> bytes:
    return f"{name}: x\r\nMessage-ID: {' '.join(ids)}\r\n\r\n".encode()


class TestProcesses:
    def test_each_thread_is_handled_in_order_in_one_process_and_joined_ones_wait(self):
        a = [_mail(f"a{k}", "<a>") for k in range(20)]
        b = [_mail(f"b{k}", "<b>") for k in range(20)]
        join = [_mail("join", "<a> <b>")]
        after = [_mail(f"after{k}", "<b>") for k in range(10)]
        messages = [m for pair in zip(a, b, strict=True) for m in pair] + join + after
        answers: list[tuple[str, int | None]] = []
        import_in_processes(messages, 2, ours=OURS, handle=_by_process, record=answers.append)
        processes = {name.partition(":")[0]: pid for name, pid in answers}
        assert len(answers) == len(messages)
        assert processes["a0"] != processes["b0"]  # both processes worked
        assert {processes[f"a{k}"] for k in range(20)} == {processes["a0"]}
        assert {processes[f"after{k}"] for k in range(10)} == {processes["join"]}
        order = [name.partition(":")[0] for name, _ in answers]
        # Everything of both threads was done before the message that joins them.
        assert order.index("join") > max(order.index(f"a{k}") for k in range(20))
        assert order.index("join") > max(order.index(f"b{k}") for k in range(20))
        assert [n for n in order if n[0] == "a" and n[1:].isdigit()] == [f"a{k}" for k in range(20)]

    def test_a_failure_in_a_process_stops_the_import_with_what_went_wrong(self):
        messages = [_mail(f"m{k}", f"<m{k}>") for k in range(10)] + [b"boom"]
        with pytest.raises(ImportWorkerError, match="RuntimeError: the database went away"):
            import_in_processes(messages, 2, ours=OURS, handle=_by_process, record=lambda _: None)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_processes_thread_every_reply_of_shuffled_conversations(tmp_path, capsys):
    """The 30 shuffled conversations of the pipeline test, 56 replies before their
    original, imported by two processes: none misthreaded, each message once."""
    conversations = shuffled_conversations()
    box = mailbox_formats.mbox(tmp_path / "shuffled.mbox")
    for _, raw in conversations.order:
        box.add(raw)
    box.flush()
    assert main(["mail", "import", str(tmp_path / "shuffled.mbox"), "--jobs", "2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["created"], summary["appended"], summary["retrying"]) == (30, 100, 0)
    assert summary["created_tickets"] == sorted(summary["created_tickets"])
    assert conversations.misthreaded() == {}
    assert Ticket.objects.count() == 30
    assert main(["mail", "import", str(tmp_path / "shuffled.mbox"), "--jobs", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["duplicates"] == 130


@pytest.mark.django_db
def test_more_than_one_process_needs_postgresql():
    if connection.vendor == "postgresql":
        assert import_processes(None) == len(os.sched_getaffinity(0))
        assert import_processes(3) == 3
        return
    assert import_processes(None) == 1
    with pytest.raises(CliError, match="--jobs 2 needs PostgreSQL: SQLite writes one message"):
        import_processes(2)
