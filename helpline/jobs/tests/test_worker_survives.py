"""Probe finding: `run_in_thread` runs the task worker once; any exception out of
`Worker.run()` ends the `helpline-worker` thread for good while the web keeps serving
and /healthz says ok. On the PostgreSQL demo, 30 parallel wrong sign-ins exhausted the
connection pool (`OperationalError: couldn't get a connection after 10.00 sec`), the
log showed "Exception in thread helpline-worker", and from then on every reply stayed
*Queued*: no mail sent, no inbound mail processed, no periodic job run, until restart.

The worker below fails the way the database did (one OperationalError), then works.
"""

import threading

from django.db import OperationalError

from helpline.jobs.worker import make_worker, run_in_thread


def test_it_keeps_working_after_the_database_fails_once():
    ran_again = threading.Event()
    calls: list[int] = []
    worker = make_worker(interval=0.01)

    def run() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("couldn't get a connection after 10.00 sec")
        ran_again.set()

    worker.run = run  # type: ignore[method-assign]
    thread = run_in_thread(worker)
    assert ran_again.wait(timeout=15), "the worker thread died with the first error"
    assert len(calls) >= 2
    thread.join(timeout=5)
