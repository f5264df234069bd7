"""Running django-tasks-db's worker inside `serve`, or alone as `helpline worker`."""

import logging
import threading

from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)


def make_worker(*, interval: float = 1.0, batch: bool = False) -> Worker:
    return Worker(
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    )


def run_in_thread(worker: Worker) -> threading.Thread:
    def target() -> None:
        try:
            worker.run()
        finally:
            close_old_connections()

    thread = threading.Thread(target=target, name="helpline-worker", daemon=True)
    thread.start()
    return thread
