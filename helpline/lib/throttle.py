"""A throttle for guessable secrets: passwords today, reset codes and magic links next.

Failures are counted per subject (an account, a client address) in Django's
cache, so the counts are shared by every process when the cache is Redis and
kept per process with the default local-memory cache. The `lock_after`-th
failure locks the subject for `first_lock`; each further failure once the lock
has ended locks it twice as long, up to `longest_lock`.

A "growing delay" is a "locked until" time, never a `sleep()`: a sleeping
request would hold a worker thread, so a flood of wrong passwords would slow
every other user down. A refused attempt costs two cache reads and no
password hash.
"""

import contextlib
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache

# 2**30 times 30 s is far beyond any sensible longest lock; the cap only keeps the
# float arithmetic finite for a subject with millions of failures.
_MAX_DOUBLINGS = 30
# A check that never ended (its process died) frees its slot after this many seconds.
IN_FLIGHT = 60


@dataclass(frozen=True)
class Throttle:
    name: str
    lock_after: int
    first_lock: timedelta
    longest_lock: timedelta
    # Failures are forgotten this long after the last one; each failure renews it,
    # so a slow, steady guesser keeps meeting the longest lock.
    memory: timedelta = timedelta(days=1)

    def locked_until(self, subject: str) -> datetime | None:
        until = cache.get(self._key("until", subject))
        # time.time(), not the app clock: the cache expires its keys by time.time().
        if until is None or until <= time.time():
            return None
        return datetime.fromtimestamp(until, UTC)

    def failures(self, subject: str) -> int:
        return int(cache.get(self._key("failures", subject), 0))

    def begin(self, subject: str) -> bool:
        """Claim a check of the secret; False when it may not be checked now (locked,
        or attempts arriving at the same moment already hold the allowance).

        Checking the lock, then the secret, then counting would let simultaneous
        guesses all through: each would see no lock yet. So an attempt holds one of
        the allowed checks while it runs: up to the failures left before the lock,
        or one once a lock has ended. End it with `failed` or `succeeded`."""
        if self.locked_until(subject) is not None:
            return False
        key = self._key("checking", subject)
        claims = self._count(key, lifetime=IN_FLIGHT)
        # The failures are read after claiming, never before: an attempt that failed
        # meanwhile has counted its failure (and set its lock) before giving its claim
        # back (`failed`), so it is in one count or the other. Read before, it could be
        # in neither, and one check too many went through (a probe under load: 6 of 5).
        failures = self.failures(subject)
        allowed = self.lock_after - failures if failures < self.lock_after else 1
        if claims > allowed or self.locked_until(subject):
            self._uncount(key)
            return False
        return True

    def failed(self, subject: str) -> datetime | None:
        """The begun attempt was wrong: the end of the lock it starts, if any. The
        failure (and its lock) is counted before the claim is given back."""
        until = self.fail(subject)
        self._uncount(self._key("checking", subject))
        return until

    def succeeded(self, subject: str, *, forget: bool) -> None:
        """The begun attempt was right (or never checked): forget the subject's
        failures when `forget` (an account; not an address others may share)."""
        self._uncount(self._key("checking", subject))
        if forget:
            self.clear(subject)

    def fail(self, subject: str) -> datetime | None:
        """Count one failure; the end of the lock it starts, if it starts one."""
        return self._lock(subject, self._count(self._key("failures", subject)))

    def _lock(self, subject: str, failures: int) -> datetime | None:
        over = failures - self.lock_after
        if over < 0:
            return None
        seconds = min(
            self.first_lock.total_seconds() * 2 ** min(over, _MAX_DOUBLINGS),
            self.longest_lock.total_seconds(),
        )
        until = time.time() + seconds
        cache.set(self._key("until", subject), until, timeout=int(seconds) + 1)
        return datetime.fromtimestamp(until, UTC)

    def _uncount(self, key: str) -> None:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
            cache.decr(key)

    def clear(self, subject: str) -> bool:
        """Forget the subject's failures and lift its lock; whether there was anything."""
        keys = [self._key("failures", subject), self._key("until", subject)]
        had_any = bool(cache.get_many(keys))
        cache.delete_many(keys)
        return had_any

    def _count(self, key: str, lifetime: int | None = None) -> int:
        lifetime = lifetime or int(self.memory.total_seconds())
        # add() + incr() are atomic on Redis and on the local-memory cache, so two
        # simultaneous failures count as two (a get() and set() would count one).
        cache.add(key, 0, timeout=lifetime)
        try:
            failures = cache.incr(key)
        except ValueError:  # the key expired between add() and incr()
            cache.add(key, 1, timeout=lifetime)
            failures = 1
        cache.touch(key, timeout=lifetime)
        return failures

    def _key(self, part: str, subject: str) -> str:
        # Hashed: subjects are user input, and cache keys must be short and plain.
        digest = hashlib.sha256(subject.encode()).hexdigest()[:40]
        return f"helpline:throttle:{self.name}:{part}:{digest}"
