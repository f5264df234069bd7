"""The throttle behind sign-in (and the coming reset codes and magic links), on both caches."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache

from helpline.lib.throttle import Throttle

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THROTTLE = Throttle(
    name="test", lock_after=3, first_lock=timedelta(seconds=10), longest_lock=timedelta(seconds=25)
)


@pytest.fixture(params=["local memory", "redis"])
def any_cache(request) -> str:
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
    return request.param


def test_it_locks_at_the_nth_failure_and_doubles_up_to_the_longest_lock(any_cache):
    with time_machine.travel(START, tick=False) as traveller:
        assert THROTTLE.fail("someone") is None
        assert THROTTLE.fail("someone") is None
        assert THROTTLE.locked_until("someone") is None
        assert THROTTLE.fail("someone") == START + timedelta(seconds=10)
        assert THROTTLE.locked_until("someone") == START + timedelta(seconds=10)
        assert THROTTLE.locked_until("someone else") is None

        traveller.shift(timedelta(seconds=10))
        assert THROTTLE.locked_until("someone") is None
        assert THROTTLE.fail("someone") == START + timedelta(seconds=10 + 20)
        traveller.shift(timedelta(seconds=20))
        # 40 s would be next; the longest lock is 25 s.
        assert THROTTLE.fail("someone") == START + timedelta(seconds=30 + 25)
        assert THROTTLE.failures("someone") == 5


def test_it_forgets_failures_a_while_after_the_last_one():
    # Local memory only: Redis expires keys by its own clock, which time-machine cannot move.
    with time_machine.travel(START, tick=False) as traveller:
        THROTTLE.fail("someone")
        THROTTLE.fail("someone")
        traveller.shift(timedelta(hours=23))
        THROTTLE.fail("someone")  # renews the memory of all three
        assert THROTTLE.failures("someone") == 3
        traveller.shift(timedelta(hours=23))
        assert THROTTLE.failures("someone") == 3
        traveller.shift(timedelta(hours=2))
        assert THROTTLE.failures("someone") == 0


def test_clearing_lifts_the_lock(any_cache):
    for _ in range(3):
        THROTTLE.fail("someone")
    assert THROTTLE.locked_until("someone") is not None
    assert THROTTLE.clear("someone") is True
    assert THROTTLE.locked_until("someone") is None
    assert THROTTLE.failures("someone") == 0
    assert THROTTLE.clear("someone") is False


def test_simultaneous_failures_all_count(any_cache):
    def fail_ten_times() -> None:
        for _ in range(10):
            THROTTLE.fail("someone")

    threads = [threading.Thread(target=fail_ten_times) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive()
    assert THROTTLE.failures("someone") == 80


def test_it_keeps_its_keys_short_and_plain_whatever_the_subject(any_cache):
    subject = "x" * 10_000 + " \n\u202e"
    THROTTLE.fail(subject)
    assert THROTTLE.failures(subject) == 1
    assert cache.get(THROTTLE._key("failures", subject)) == 1
    assert len(THROTTLE._key("failures", subject)) < 100


def test_an_attempt_failing_while_another_begins_is_counted_by_it(any_cache, monkeypatch):
    """Three attempts where three checks are allowed are in flight; one more begins,
    and the first fails at the worst moment: just after the newcomer read the
    failures. The newcomer must still see it, as a claim or as a failure."""
    for _ in range(3):
        assert THROTTLE.begin("someone")
    read_failures = Throttle.failures
    fail_first = iter([lambda: THROTTLE.failed("someone")])

    def failures_then_another_fails(self, subject):
        count = read_failures(self, subject)
        next(fail_first, lambda: None)()
        return count

    monkeypatch.setattr(Throttle, "failures", failures_then_another_fails)
    assert not THROTTLE.begin("someone")  # two in flight and one failure: no check left
