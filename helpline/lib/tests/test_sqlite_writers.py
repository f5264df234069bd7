"""SQLite's writers of one process queue in turn (helpline/lib/sqlite/base.py)."""

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from helpline.lib.sqlite.base import WriterQueue, writer_queue
from helpline.testing_threads import ON_POSTGRES, at_once, errors_in
from helpline.tickets.models import Counter

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="the writer queue is SQLite's")


def wait_until(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


class TestWriterQueue:
    def test_waiters_are_served_in_the_order_they_came(self):
        queue = WriterQueue()
        assert queue.acquire(1)
        served: list[int] = []

        def writer(number: int) -> None:
            assert queue.acquire(10)
            served.append(number)
            queue.release()

        threads = []
        for number in range(6):
            threads.append(threading.Thread(target=writer, args=(number,)))
            threads[-1].start()
            wait_until(lambda n=number: len(queue._waiting) == n + 1)
        queue.release()
        for thread in threads:
            thread.join(10)
            assert not thread.is_alive()
        assert served == [0, 1, 2, 3, 4, 5]

    def test_a_waiter_that_gives_up_leaves_the_queue(self):
        queue = WriterQueue()
        assert queue.acquire(1)
        assert queue.acquire(0.05) is False
        assert not queue._waiting
        queue.release()
        assert queue.acquire(0.05)  # free again: the one who gave up does not hold it

    def test_one_queue_per_database_file(self, tmp_path):
        assert writer_queue(tmp_path / "a") is writer_queue(str(tmp_path / "a"))
        assert writer_queue(tmp_path / "a") is not writer_queue(tmp_path / "b")


@sqlite_only
@pytest.mark.django_db(transaction=True)
class TestTheBackend:
    def test_a_second_writer_waits_in_the_queue_not_in_sqlite(self):
        queue = writer_queue(connection.settings_dict["NAME"])
        inside = threading.Event()
        finish = threading.Event()

        def first() -> None:
            with transaction.atomic():
                Counter.next("queued")
                inside.set()
                assert finish.wait(10)

        def second() -> int:
            inside.wait(10)
            with transaction.atomic():
                return Counter.next("queued")

        def release_when_queued() -> None:
            inside.wait(10)
            wait_until(lambda: len(queue._waiting) == 1)
            finish.set()

        outcomes = at_once(first, second, release_when_queued)
        assert not errors_in(outcomes)
        assert outcomes[1] == 1002
        assert not queue._held  # every transaction gave its turn back

    def test_eight_writers_at_once_all_commit(self):
        def write() -> list[int]:
            numbers = []
            for _ in range(20):
                with transaction.atomic():
                    numbers.append(Counter.next("burst"))
            return numbers

        outcomes = at_once(*[write] * 8)
        assert not errors_in(outcomes)
        numbers = sorted(n for outcome in outcomes for n in outcome)  # type: ignore[attr-defined]
        assert numbers == list(range(1001, 1161))

    def test_a_failed_transaction_gives_its_turn_back(self):
        queue = writer_queue(connection.settings_dict["NAME"])

        def fail_after_a_write() -> None:
            with transaction.atomic():
                Counter.next("failed")
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            fail_after_a_write()
        assert not queue._held
        assert not Counter.objects.filter(name="failed").exists()

    def test_no_turn_within_the_timeout_is_a_clear_error(self):
        queue = writer_queue(connection.settings_dict["NAME"])
        options = connection.settings_dict["OPTIONS"]
        configured = options["timeout"]
        assert queue.acquire(1)  # as another request of this process would
        try:
            options["timeout"] = 0.05
            with (
                pytest.raises(OperationalError, match=r"no turn to write within 0\.05 s"),
                transaction.atomic(),
            ):
                Counter.next("late")
        finally:
            options["timeout"] = configured
            queue.release()
        assert not connection.in_atomic_block
