"""Running django-tasks-db's worker inside `serve`, or alone as `helpline worker`."""

import logging
import threading
import time

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


# After a failure the worker waits this long, doubling up to the most, and runs again.
FIRST_PAUSE, LONGEST_PAUSE = 1.0, 30.0


def run_in_thread(worker: Worker) -> threading.Thread:
    def target() -> None:
        pause = FIRST_PAUSE
        while True:
            try:
                worker.run()
                return  # it was asked to stop
            except Exception:
                # A database blip (an exhausted pool, a restart) must not end the
                # thread for good: the web would go on answering while no mail is
                # sent or received and no periodic job runs, until a restart.
                logger.exception("the task worker failed; running it again in %.0f s", pause)
            finally:
                close_old_connections()
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)

    thread = threading.Thread(target=target, name="helpline-worker", daemon=True)
    thread.start()
    return thread
