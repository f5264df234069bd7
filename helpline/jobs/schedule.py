"""Periodic jobs and the tiny scheduler that enqueues them.

No maintained scheduler package targets Django's own Tasks framework with a
database claim, so this is ~60 lines: each tick, for every due job, one
conditional UPDATE claims the run and the task is enqueued in the same
transaction (see docs/adr/0001-stack.md).
"""

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import close_old_connections, transaction
from django.tasks import Task

from helpline.jobs.models import PeriodicJob
from helpline.lib import clock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Every:
    task: Task
    interval: timedelta

    @property
    def name(self) -> str:
        return self.task.module_path


_schedule: dict[str, Every] = {}


def every(interval: timedelta, task: Task) -> Every:
    """Run `task` every `interval`: each app declares its own jobs in `AppConfig.ready()`,
    so this app knows none of them (and a second `ready()` changes nothing)."""
    job = Every(task, interval)
    _schedule[job.name] = job
    return job


def jobs() -> list[Every]:
    return list(_schedule.values())


def claim_and_enqueue(job: Every, now: datetime) -> bool:
    """Enqueue `job` if it is due and no other scheduler claimed this run first."""
    with transaction.atomic():
        row, _ = PeriodicJob.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
        if row.next_run_at > now:
            return False
        claimed = PeriodicJob.objects.filter(name=job.name, next_run_at=row.next_run_at).update(
            next_run_at=now + job.interval, last_enqueued_at=now
        )
        if claimed:
            job.task.enqueue()
        return bool(claimed)


def tick() -> list[str]:
    now = clock.now()
    return [job.name for job in jobs() if claim_and_enqueue(job, now)]


def run_scheduler(stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        close_old_connections()
        try:
            enqueued = tick()
            if enqueued:
                logger.info("scheduler enqueued %s", ", ".join(enqueued))
        except Exception:
            # A database blip must not kill the scheduler thread for good.
            logger.exception("scheduler tick failed; trying again next tick")
        stop.wait(interval)
    close_old_connections()
