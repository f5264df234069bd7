"""`helpline mail import --jobs N`: messages imported by N processes at once (PostgreSQL).

One process waits on the database for about half of each message; a second one
works meanwhile (ADR 0007). What must stay in order stays in one process, in
delivery order: every message of a conversation (Message-ID, In-Reply-To,
References, a reply token in a tagged recipient address, a `[#1234]` subject
token) and of a sender (whose contact is created once, and whose mail an
acknowledgement limit counts). Those are read from the headers before a
message is handed on. Two processes may still meet on a new contact a message
copies (Cc): the unique identity makes one of them use the other's. A message that joins conversations given to two
processes waits until the other one has finished what it was given, then the
joined conversation continues in one process.
"""

import multiprocessing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message as CompatMessage
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses
from multiprocessing.connection import Connection, wait

from django.db import connections

from helpline.mail.parsing import message_ids
from helpline.mail.placement import SUBJECT_TOKEN

HEADER_BYTES = 256_000
MESSAGE_ID_HEADERS = ["Message-ID", "In-Reply-To", "References"]
# Messages handed to a process and not answered yet: enough that it never waits
# for the next one, few enough that a large message waits in the file, not here.
IN_FLIGHT = 16


def threads_of(raw: bytes, ours: frozenset[str]) -> set[str]:
    """What ties this message to others that must be imported before or after it,
    in the same process; empty for headers too broken to read (it goes anywhere)."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw[:HEADER_BYTES])
        ids = message_ids(" ".join(str(headers.get(n, "")) for n in MESSAGE_ID_HEADERS))
        senders = _addresses(headers, ["From"])
        recipients = _addresses(headers, ["To", "Cc"])
        tokens = SUBJECT_TOKEN.findall(str(headers.get("Subject", "")))
    except Exception:
        return set()
    # A tagged recipient can be a reply token, which names one ticket; the others
    # would tie every message to our own address.
    tagged = {a for a in recipients if "+" in a.partition("@")[0]}
    return (
        {f"id:{i}" for i in ids} | {f"address:{a}" for a in (senders | tagged) - ours}
        | {f"ticket:{t}" for t in tokens}
    )  # fmt: skip


def _addresses(headers: CompatMessage, names: list[str]) -> set[str]:
    values = [str(v) for n in names for v in headers.get_all(n, [])]
    return {a.strip().lower() for _, a in getaddresses(values) if "@" in a}


@dataclass
class Threads:
    """Which process imports which thread: a union-find over the keys of `threads_of`."""

    parent: dict[str, str] = field(default_factory=dict)
    process_of: dict[str, int] = field(default_factory=dict)

    def root(self, key: str) -> str:
        while (up := self.parent.setdefault(key, key)) != key:
            self.parent[key] = self.parent.setdefault(up, up)  # halve the path
            key = up
        return key

    def processes(self, keys: Iterable[str]) -> set[int]:
        return {self.process_of[r] for r in {self.root(k) for k in keys} if r in self.process_of}

    def give(self, keys: set[str], process: int) -> None:
        """From now on these keys, and all they were joined with, belong to `process`."""
        roots = {self.root(k) for k in keys}
        if not roots:
            return
        first, *rest = roots
        for other in rest:
            self.parent[other] = first
            self.process_of.pop(other, None)
        self.process_of[first] = process


# What became of a message (importer.outcome_of): its outcome, and its ticket's number.
type Answer = tuple[str, int | None]
type Handler = Callable[[bytes], Answer]
type Recorder = Callable[[Answer], None]


@dataclass
class Worker:
    process: multiprocessing.process.BaseProcess
    connection: Connection
    in_flight: int = 0


def import_in_processes(
    messages: Iterable[bytes], jobs: int, *, ours: frozenset[str], handle: Handler,
    record: Recorder,
) -> None:  # fmt: skip
    """`handle` every message in one of `jobs` processes, and `record` what it answers
    in this one. `ours`: our mailbox addresses, which tie no messages together."""
    _close_database()  # each process opens its own; none shares the parent's sockets
    context = multiprocessing.get_context("fork")
    workers: list[Worker] = []
    for _ in range(jobs):
        here, there = context.Pipe()
        # The child closes the ends of the pipes it inherits (its own among them):
        # else a pipe's reader never sees the end of its input, and never stops.
        parent_ends = [w.connection for w in workers] + [here]
        process = context.Process(target=_work, args=(there, handle, parent_ends), daemon=True)
        process.start()
        there.close()
        workers.append(Worker(process, here))
    try:
        _dispatch(messages, ours, workers, record)
        for worker in workers:
            _drain(workers, record, worker, below=1)
    finally:
        for worker in workers:
            worker.connection.close()  # the worker reads the end of its input, and stops
            worker.process.join(timeout=60)


def _dispatch(
    messages: Iterable[bytes], ours: frozenset[str], workers: list[Worker], record: Recorder
) -> None:
    threads = Threads()
    for raw in messages:
        keys = threads_of(raw, ours)
        taken = sorted(threads.processes(keys))
        if taken:
            chosen = taken[0]
            for other in taken[1:]:  # joined threads: what the others hold goes first
                _drain(workers, record, workers[other], below=1)
        else:
            chosen = min(range(len(workers)), key=lambda i: workers[i].in_flight)
        threads.give(keys, chosen)
        worker = workers[chosen]
        _drain(workers, record, worker, below=IN_FLIGHT)
        worker.connection.send_bytes(raw)
        worker.in_flight += 1


def _drain(workers: list[Worker], record: Recorder, waited: Worker, *, below: int) -> None:
    """Take the workers' answers until `waited` holds fewer than `below` messages;
    a worker that died is an error."""
    by_connection = {w.connection: w for w in workers}
    while waited.in_flight >= below:
        for ready in wait([w.connection for w in workers if w.in_flight]):
            worker = by_connection[ready]  # type: ignore[index]
            try:
                answer = worker.connection.recv()
            except EOFError:
                raise ImportWorkerError(
                    f"an import process stopped (exit code {worker.process.exitcode}); "
                    "run the import again: what it stored is kept, and counted as duplicates"
                ) from None
            worker.in_flight -= 1
            if isinstance(answer, str):
                raise ImportWorkerError(answer)
            record(answer)


class ImportWorkerError(Exception):
    pass


def _work(connection: Connection, handle: Handler, parent_ends: list[Connection]) -> None:
    """A worker process: handle each message it is sent, answer with what became of it
    (or, when storing failed, with the error as text: the parent stops the import).

    When the parent is gone (killed, or Ctrl-C, which reaches every process), the
    worker stops quietly: a message it was importing is rolled back or committed
    whole, and the next run takes what is left."""
    for end in parent_ends:
        end.close()
    try:
        while True:
            raw = connection.recv_bytes()
            try:
                answer: object = handle(raw)
            except Exception as error:
                answer = f"importing a message failed: {type(error).__name__}: {error}"
            connection.send(answer)
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return
    finally:
        _close_database()


def _close_database() -> None:
    """Every connection closed, PostgreSQL's pool too: a pool's connections stay open
    when Django closes one, and its threads must not be running at a fork."""
    for connection in connections.all(initialized_only=True):
        connection.close()
        if connection.vendor == "postgresql":
            connection.close_pool()  # type: ignore[attr-defined]
