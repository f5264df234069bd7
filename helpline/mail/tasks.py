from datetime import timedelta

from django.tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from helpline.lib import clock
from helpline.mail import actions
from helpline.mail.models import InboundEmail, InboundState


@task()
def process_inbound_email(inbound_id: int) -> str:
    return actions.process(inbound_id=inbound_id).state


@task()
def requeue_stuck_inbound() -> int:
    """A worker killed mid-job leaves its message pending: queue it again (processing is idempotent)."""
    waiting = {
        row["args_kwargs"]["args"][0]
        for row in DBTaskResult.objects.filter(
            task_path=process_inbound_email.module_path, status=TaskResultStatus.READY
        ).values("args_kwargs")
        if row["args_kwargs"].get("args")
    }
    # A job still waiting in the queue is not stuck, only behind others; a
    # "running" one may belong to a killed worker (processing is idempotent).
    stuck = [
        pk
        for pk in InboundEmail.objects.filter(
            state=InboundState.PENDING, received_at__lt=clock.now() - timedelta(minutes=5)
        ).values_list("pk", flat=True)[:500]
        if pk not in waiting
    ]
    for pk in stuck:
        process_inbound_email.enqueue(pk)
    return len(stuck)


@task()
def forget_old_awaited_mail() -> int:
    return actions.forget_awaited_originals()


@task()
def send_outbound_email(outbound_id: int) -> str | None:
    from helpline.mail.sending import send

    return send(outbound_id)


@task()
def send_due_outbound() -> int:
    """Retries whose backoff has passed, and anything queued while no worker ran."""
    from helpline.mail.models import OutboundEmail
    from helpline.mail.sending import send

    actions.mark_stalled_sends_uncertain()
    due = list(OutboundEmail.objects.due().values_list("pk", flat=True)[:200])
    for pk in due:
        send(pk)
    return len(due)


@task()
def poll_imap_mailboxes() -> dict[str, int]:
    from helpline.mail.imap import poll_all

    return {address: result.stored for address, result in poll_all().items()}
