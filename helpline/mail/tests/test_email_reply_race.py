"""Two agents press "Email it now" on one reply at once: one mail (SQLite and PostgreSQL)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from helpline.mail import actions as mail_actions
from helpline.mail.models import Mailbox, OutboundEmail, OutboundState
from helpline.tickets import actions


def both_at_once(write, count: int = 2) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            write()
        except BaseException as error:  # reported to the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


@pytest.mark.django_db(transaction=True)
def test_a_reply_is_emailed_once_however_many_press_at_once(ticket, carol, alice):
    replies = [
        actions.reply(ticket=ticket, acting_user=carol, body=f"Answer {n}") for n in range(5)
    ]
    Mailbox.objects.create(address="support@helpline.example", display_name="Support")
    for message in replies:
        errors = both_at_once(
            lambda m=message: mail_actions.email_reply(message=m, acting_user=alice)
        )
        [error] = errors
        assert isinstance(error, ValidationError)
        assert error.messages == ["This reply is not waiting to be emailed."]
        [mail] = OutboundEmail.objects.filter(ticket_message=message)
        assert mail.state == OutboundState.QUEUED
    assert OutboundEmail.objects.count() == 5
