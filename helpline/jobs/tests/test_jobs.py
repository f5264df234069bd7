"""Background jobs: enqueued with the writing transaction, run exactly once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.tasks import task
from django_tasks_db.models import DBTaskResult

from helpline.jobs import schedule
from helpline.jobs.worker import make_worker
from helpline.tickets.models import Counter


@task()
def count_run(name: str) -> None:
    Counter.objects.filter(name=name).update(value=F("value") + 1)


def run_workers(count: int) -> None:
    def work() -> None:
        try:
            make_worker(interval=0, batch=True).run()
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
        assert not thread.is_alive(), "a thread did not finish in 120 s"


@pytest.mark.django_db(transaction=True)
def test_it_never_runs_a_job_whose_transaction_rolled_back():
    Counter.objects.create(name="rolled-back", value=0)

    def write_then_fail() -> None:
        with transaction.atomic():
            count_run.enqueue("rolled-back")
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        write_then_fail()
    run_workers(1)
    assert DBTaskResult.objects.count() == 0
    assert Counter.objects.get(name="rolled-back").value == 0


@pytest.mark.django_db(transaction=True)
def test_it_runs_each_committed_job_exactly_once_with_two_workers():
    names = [f"job-{i}" for i in range(40)]
    Counter.objects.bulk_create([Counter(name=n, value=0) for n in names])
    for name in names:
        with transaction.atomic():
            count_run.enqueue(name)
    run_workers(2)
    assert (
        sorted(Counter.objects.filter(name__in=names).values_list("value", flat=True)) == [1] * 40
    )
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_enqueue_a_due_job_once():
    barrier = threading.Barrier(2)
    results: list[list[str]] = []

    def tick() -> None:
        try:
            barrier.wait()
            results.append(schedule.tick())
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a thread did not finish in 60 s"
    enqueued = sorted(name for names in results for name in names)
    assert enqueued == sorted(job.name for job in schedule.jobs())
    assert DBTaskResult.objects.count() == len(schedule.jobs())
    assert schedule.tick() == []


def test_each_app_declares_its_own_periodic_jobs():
    declared = {job.name: job.interval for job in schedule.jobs()}
    assert declared == {
        "helpline.tickets.tasks.close_solved_tickets": timedelta(hours=1),
        "helpline.mail.tasks.requeue_stuck_inbound": timedelta(minutes=5),
        "helpline.mail.tasks.send_due_outbound": timedelta(minutes=1),
        "helpline.mail.tasks.poll_imap_mailboxes": timedelta(minutes=1),
        "helpline.mail.tasks.forget_old_awaited_mail": timedelta(days=1),
    }
