"""The one source of "now" for model defaults.

The demo seeder backdates three months of history; instead of rewriting
timestamps afterwards (and missing one), it runs the normal actions inside
`clock.frozen(t)`. Tests use time-machine, which patches `timezone.now`
underneath this and so works too.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_frozen_at: ContextVar[datetime | None] = ContextVar("frozen_at", default=None)


def now() -> datetime:
    return _frozen_at.get() or timezone.now()


@contextmanager
def frozen(moment: datetime) -> Iterator[None]:
    token = _frozen_at.set(moment)
    try:
        yield
    finally:
        _frozen_at.reset(token)
