"""Running writes at the same moment in real threads, for the race tests.

SQLite runs one write transaction at a time (IMMEDIATE), so a race shows
only on PostgreSQL; tests that need one are marked `@postgres_only`.
"""

import threading
from collections.abc import Callable
from typing import cast

import pytest
from django.conf import settings
from django.db import connection

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

_needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="a race needs PostgreSQL: SQLite runs one writer at a time"
    " (set DATABASE_URL=postgres://…)",
)


def postgres_only[T](test: T) -> T:
    """Mark a test (or class) `postgres` and skip it, saying why, on SQLite."""
    return cast(T, pytest.mark.postgres(_needs_postgres(test)))


def at_once(*calls: Callable[[], object], timeout: float = 60) -> list[object]:
    """Start every call at the same moment (a barrier), each in its own thread with its
    own connection; the result of each call in order, or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            outcomes[index] = call()
        except BaseException as error:  # reported to the test, not lost in the thread
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread was still running at the timeout"
    return outcomes


def errors_in(outcomes: list[object]) -> list[BaseException]:
    return [o for o in outcomes if isinstance(o, BaseException)]
