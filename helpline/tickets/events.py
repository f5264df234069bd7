"""The one publishing point for "something happened to a ticket".

Every verb records its timeline events here, one tiny function per kind, and
each recorded event is handed to the subscribers that apps register in their
`AppConfig.ready()` (as saleor's `call_event` and zulip's
`send_event_on_commit`). So `tickets` never imports a channel or feature app:
the mail outbox subscribes to agent replies; SLA timers, automation rules,
pushes and webhooks will subscribe the same way.

Two kinds of subscriber:
- `durable=True` runs at once, inside the verb's transaction, for writes that
  must commit or roll back with the change (an outbox row, an SLA timer). An
  exception there aborts the verb: no reply without its mail.
- otherwise it runs after the commit (`transaction.on_commit(robust=True)`),
  for effects that must never announce a change that rolled back (a push to
  browsers, a webhook). One failing does not stop the others.
"""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import transaction

from helpline.accounts.models import User
from helpline.contacts.models import Contact
from helpline.lib import clock
from helpline.tickets.models import EventKind, Ticket, TicketEvent

Subscriber = Callable[[TicketEvent], None]


@dataclass(frozen=True)
class Subscription:
    handler: Subscriber
    kinds: frozenset[EventKind] | None  # None: every kind
    durable: bool

    def wants(self, event: TicketEvent) -> bool:
        return self.kinds is None or event.kind in self.kinds


_subscriptions: list[Subscription] = []


def subscribe(
    handler: Subscriber, *, kinds: Iterable[EventKind] | None = None, durable: bool = False
) -> Subscription:
    """Register `handler` for events of `kinds` (all when None). Idempotent, so an
    app's `ready()` running twice (as it can in tests) does not double the mail."""
    subscription = Subscription(handler, frozenset(kinds) if kinds else None, durable)
    if subscription not in _subscriptions:
        _subscriptions.append(subscription)
    return subscription


def unsubscribe(subscription: Subscription) -> None:
    if subscription in _subscriptions:
        _subscriptions.remove(subscription)


@contextmanager
def subscribed(
    handler: Subscriber, *, kinds: Iterable[EventKind] | None = None, durable: bool = False
) -> Iterator[Subscription]:
    """A subscription for the length of a block (tests, one-off listeners)."""
    subscription = subscribe(handler, kinds=kinds, durable=durable)
    try:
        yield subscription
    finally:
        unsubscribe(subscription)


def publish(event: TicketEvent) -> None:
    for subscription in list(_subscriptions):
        if not subscription.wants(event):
            continue
        if subscription.durable:
            subscription.handler(event)
        else:
            transaction.on_commit(partial(subscription.handler, event), robust=True)


def record(
    ticket: Ticket,
    event_kind: EventKind,
    /,
    *,
    user: User | None = None,
    contact: Contact | None = None,
    **data: Any,
) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket, kind=event_kind, actor_user=user, actor_contact=contact, data=data,
        created_at=clock.now(),
    )  # fmt: skip
    publish(event)
    return event


def changed(
    ticket: Ticket, kind: EventKind, *, user: User | None, old: Any, new: Any
) -> TicketEvent:
    return record(ticket, kind, user=user, old=old, new=new)


def ticket_created(ticket: Ticket, *, user: User | None, contact: Contact | None) -> TicketEvent:
    return record(
        ticket, EventKind.CREATED, user=user, contact=contact,
        channel=ticket.channel, status=ticket.status.slug, priority=ticket.priority,
    )  # fmt: skip


def replied(
    ticket: Ticket, message_id: int, *, user: User | None, contact: Contact | None
) -> TicketEvent:
    """A public message: an agent's (`user`) answer or a customer's (`contact`) reply."""
    return record(ticket, EventKind.REPLY, user=user, contact=contact, message=message_id)
