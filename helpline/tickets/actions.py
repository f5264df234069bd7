"""Every write to tickets: one verb per change, atomic, each recorded on the timeline."""

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from helpline.accounts.models import Team, User
from helpline.contacts.models import Contact
from helpline.lib import clock
from helpline.lib.html import sanitise, text_to_html
from helpline.lib.prepared import PreparedRead
from helpline.lib.unchanged import UNCHANGED, Unchanged
from helpline.tickets import events, validation
from helpline.tickets.files import Upload, attach, check_size
from helpline.tickets.models import (
    AuthorKind,
    Category,
    Channel,
    Counter,
    EventKind,
    LinkKind,
    Message,
    Priority,
    Status,
    StatusCategory,
    Tag,
    Ticket,
    TicketLink,
    TicketType,
)


def create_ticket(
    *,
    acting_user: User | None,
    requester: Contact,
    subject: str,
    body: str,
    body_html: str | None = None,
    channel: str = Channel.WEB,
    priority: str = Priority.NORMAL,
    type: str = TicketType.QUESTION,
    status: Status | None = None,
    category: Category | None = None,
    tags: Iterable[str] = (),
    assignee: User | None = None,
    team: Team | None = None,
    custom_fields: dict[str, Any] | None = None,
    language: str = "",
    ccs: Iterable[Contact] = (),
    attachments: Sequence[Upload] = (),
    message_author: Literal["requester", "agent"] = "requester",
) -> Ticket:
    """Open a ticket with its first message (by the requester unless said otherwise)."""
    subject = validation.clean_subject(subject)
    body = validation.clean_body(body)
    language = validation.clean_language(language)
    validation.clean_choice(priority, Priority, "priority")
    validation.clean_choice(type, TicketType, "type")
    validation.check_assignee(assignee, team)
    for upload in attachments:
        check_size(upload)
    fields = validation.clean_custom_fields(custom_fields, {}) if custom_fields else {}
    tag_names = validation.clean_tag_names(tags)
    # Every refusal comes before the first write, so the writes need no savepoint: a
    # caller's transaction is left as it was, or (a database error) rolled back whole.
    with transaction.atomic(savepoint=False):
        initial = status or Status.objects.default_for(
            StatusCategory.OPEN if assignee else StatusCategory.NEW
        )
        ticket = Ticket.objects.create(
            number=Counter.next("ticket"), subject=subject, status=initial, priority=priority,
            type=type, category=category, requester=requester, assignee=assignee, team=team,
            channel=channel, language=language, custom_fields=fields,
        )  # fmt: skip
        _link_new(ticket, tags=_tags(tag_names), ccs=[c for c in ccs if c.pk != requester.pk])
        by_agent = message_author == "agent" and acting_user is not None
        events.ticket_created(ticket, user=acting_user, contact=None if by_agent else requester)
        _add_message(
            ticket, body=body, body_html=body_html, is_public=True, channel=channel,
            user=acting_user if by_agent else None, contact=None if by_agent else requester,
            attachments=attachments,
        )  # fmt: skip
    return ticket


def _check_not_closed(ticket: Ticket) -> None:
    """Closed is final (as in Zendesk): the record stays as it was when it closed."""
    if ticket.is_closed:
        raise ValidationError(
            {"ticket": f"#{ticket.number} is closed and cannot be changed; open a follow-up."}
        )


def _locked(ticket: Ticket) -> Ticket:
    """The ticket re-read under a row lock, so two writers apply one after the other.

    No join in the locking query: when PostgreSQL re-checks a row that another
    transaction changed, it re-tests the join against the old joined row, so a
    concurrent status change would make the ticket vanish from the result.
    On SQLite the IMMEDIATE transaction already holds the database write lock.
    """
    fresh = _locked_ticket.get(ticket.pk)
    fresh.status = _status.get(fresh.status_id)  # every verb asks whether it is closed
    return fresh


# On every change to a ticket: built once (lib/prepared.py).
_locked_ticket = PreparedRead(lambda pk: Ticket.objects.select_for_update().filter(pk=pk))
_status = PreparedRead(lambda pk: Status.objects.filter(pk=pk))


def update_ticket(
    *,
    ticket: Ticket,
    acting_user: User | None,
    subject: str | Unchanged = UNCHANGED,
    status: Status | Unchanged = UNCHANGED,
    priority: str | Unchanged = UNCHANGED,
    type: str | Unchanged = UNCHANGED,
    category: Category | Unchanged | None = UNCHANGED,
    assignee: User | Unchanged | None = UNCHANGED,
    team: Team | Unchanged | None = UNCHANGED,
    tags: Iterable[str] | Unchanged = UNCHANGED,
    custom_fields: dict[str, Any] | Unchanged = UNCHANGED,
) -> Ticket:
    """Apply only the given changes; each real change is one timeline event."""
    with transaction.atomic():
        fresh = _locked(ticket)
        _check_not_closed(fresh)
        if subject is not UNCHANGED:
            _set_simple(
                fresh, "subject", validation.clean_subject(subject), EventKind.SUBJECT, acting_user
            )
        if priority is not UNCHANGED:
            value = validation.clean_choice(priority, Priority, "priority")
            _set_simple(fresh, "priority", value, EventKind.PRIORITY, acting_user)
        if type is not UNCHANGED:
            value = validation.clean_choice(type, TicketType, "type")
            _set_simple(fresh, "type", value, EventKind.TYPE, acting_user)
        if category is not UNCHANGED:
            _set_related(fresh, "category", category, EventKind.CATEGORY, acting_user)
        if team is not UNCHANGED:
            _set_related(fresh, "team", team, EventKind.TEAM, acting_user)
        if assignee is not UNCHANGED:
            _assign(fresh, assignee, acting_user)
        if status is not UNCHANGED:
            _set_status(fresh, status, acting_user)
        if tags is not UNCHANGED:
            _set_tags(fresh, tags, acting_user)
        if custom_fields is not UNCHANGED:
            _set_fields(fresh, custom_fields, acting_user)
        _touch(fresh)
    return fresh


def _set_simple(ticket: Ticket, field: str, value: str, kind: EventKind, user: User | None) -> None:
    old = getattr(ticket, field)
    if old != value:
        setattr(ticket, field, value)
        events.changed(ticket, kind, user=user, old=old, new=value)


def _set_related(
    ticket: Ticket, field: str, value: Any, kind: EventKind, user: User | None
) -> None:
    old = getattr(ticket, field)
    if old != value:
        setattr(ticket, field, value)
        events.changed(
            ticket,
            kind,
            user=user,
            old=str(old) if old else None,
            new=str(value) if value else None,
        )


def _assign(ticket: Ticket, assignee: User | None, user: User | None) -> None:
    validation.check_assignee(assignee, ticket.team)
    _set_related(ticket, "assignee", assignee, EventKind.ASSIGNEE, user)
    # As in Zendesk: a new ticket that someone picks up is open.
    if assignee and ticket.status.category == StatusCategory.NEW:
        _set_status(ticket, Status.objects.default_for(StatusCategory.OPEN), user)


def _set_status(ticket: Ticket, status: Status, user: User | None) -> None:
    old = ticket.status
    if old.pk == status.pk:
        return
    now = clock.now()
    ticket.status = status
    if status.category == StatusCategory.SOLVED:
        ticket.solved_at = now
    elif status.category == StatusCategory.CLOSED:
        ticket.closed_at = now
        ticket.solved_at = ticket.solved_at or now
    else:
        ticket.solved_at = None
        ticket.closed_at = None
    events.changed(ticket, EventKind.STATUS, user=user, old=old.slug, new=status.slug)


def _set_tags(ticket: Ticket, names: Iterable[str], user: User | None) -> None:
    wanted = _tags(validation.clean_tag_names(names))
    old = sorted(t.name for t in ticket.tags.all())
    new = sorted(t.name for t in wanted)
    if old != new:
        ticket.tags.set(wanted)
        events.record(
            ticket, EventKind.TAGS, user=user,
            added=sorted(set(new) - set(old)), removed=sorted(set(old) - set(new)),
        )  # fmt: skip


def _set_fields(ticket: Ticket, values: dict[str, Any], user: User | None) -> None:
    old = ticket.custom_fields
    new = validation.clean_custom_fields(values, old)
    if old != new:
        ticket.custom_fields = new
        changed = {
            k: [old.get(k), new.get(k)] for k in set(old) | set(new) if old.get(k) != new.get(k)
        }
        events.record(ticket, EventKind.FIELDS, user=user, changed=changed)


def _tags(names: list[str]) -> list[Tag]:
    """The tags of these names (as `validation.clean_tag_names` gives them), new ones
    created (tags are free-form, as in Zendesk): one query, and two more only when some
    are new. `ignore_conflicts` lets a tag that another transaction adds meanwhile be,
    and the second read finds it."""
    if not names:
        return []
    found = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    if missing := [name for name in names if name not in found]:
        Tag.objects.bulk_create([Tag(name=name) for name in missing], ignore_conflicts=True)
        found.update((tag.name, tag) for tag in Tag.objects.filter(name__in=missing))
    return [found[name] for name in names]


def _link_new(ticket: Ticket, *, tags: list[Tag], ccs: list[Contact]) -> None:
    """A new ticket's tags and CCs, one INSERT each: `.set()` would first read what
    a ticket that has just been created cannot have."""
    if tags:
        Ticket.tags.through.objects.bulk_create(
            [Ticket.tags.through(ticket=ticket, tag=tag) for tag in tags]
        )
    if unique := list({contact.pk: contact for contact in ccs}.values()):
        Ticket.ccs.through.objects.bulk_create(
            [Ticket.ccs.through(ticket=ticket, contact=contact) for contact in unique]
        )


def _touch(ticket: Ticket) -> None:
    ticket.updated_at = clock.now()
    ticket.save()


def add_tags(*, tickets: Iterable[Ticket], names: Iterable[str], acting_user: User) -> None:
    """Add tags to many tickets (a bulk action), each change on its own timeline."""
    names = list(names)
    with transaction.atomic():
        for ticket in tickets:
            fresh = _locked(ticket)
            current = [t.name for t in fresh.tags.all()]
            _set_tags(fresh, current + names, acting_user)
            _touch(fresh)


def set_ccs(*, ticket: Ticket, contacts: Iterable[Contact], acting_user: User) -> None:
    with transaction.atomic():
        fresh = _locked(ticket)
        old = sorted(c.pk for c in fresh.ccs.all())
        new = sorted({c.pk for c in contacts} - {fresh.requester_id})
        if old != new:
            fresh.ccs.set(new)
            events.record(fresh, EventKind.CCS, user=acting_user, old=old, new=new)
            _touch(fresh)


def _add_message(
    ticket: Ticket, *, body: str, body_html: str | None, is_public: bool, channel: str,
    user: User | None, contact: Contact | None, attachments: Sequence[Upload],
) -> Message:  # fmt: skip
    message = Message.objects.create(
        ticket=ticket, is_public=is_public, channel=channel,
        author_kind=_author_kind(user, contact),
        author_user=user, author_contact=contact, body_text=body,
        body_html=sanitise(body_html) if body_html else text_to_html(body),
        created_at=clock.now(),
    )  # fmt: skip
    for upload in attachments:
        attach(message, upload)
    # `cid:` references of an email's HTML point at the stored (access-checked) files;
    # read back only when there are any, so a plain message costs no extra query.
    inline = message.inline_image_urls() if any(u.content_id for u in attachments) else {}
    if inline:
        message.body_html = sanitise(message.body_html, inline_images=inline)
        message.save(update_fields=["body_html"])
    return message


def _author_kind(user: User | None, contact: Contact | None) -> AuthorKind:
    if user is not None:
        return AuthorKind.AGENT
    return AuthorKind.CONTACT if contact is not None else AuthorKind.SYSTEM


def reply(
    *,
    ticket: Ticket,
    body: str,
    body_html: str | None = None,
    acting_user: User | None = None,
    author_contact: Contact | None = None,
    attachments: Sequence[Upload] = (),
    channel: str = Channel.WEB,
    status: Status | None = None,
) -> Message:
    """A public message from an agent (`acting_user`) or a customer (`author_contact`)."""
    if (acting_user is None) == (author_contact is None):
        raise ValueError("A reply has exactly one author: an agent or a contact.")
    body = validation.clean_body(body)
    for upload in attachments:
        check_size(upload)
    with transaction.atomic():
        fresh = _locked(ticket)
        if author_contact is not None and fresh.is_closed:
            return _follow_up(
                fresh, author_contact, body=body, body_html=body_html, attachments=attachments,
                channel=channel,
            )  # fmt: skip
        _check_not_closed(fresh)
        message = _add_message(
            fresh, body=body, body_html=body_html, is_public=True, channel=channel,
            user=acting_user, contact=author_contact, attachments=attachments,
        )  # fmt: skip
        # Subscribers act on it here: the mail outbox writes the agent's email in
        # this transaction (no reply without its mail, no mail without its reply).
        events.replied(fresh, message.pk, user=acting_user, contact=author_contact)
        if acting_user is not None:
            _after_agent_reply(fresh, acting_user, status)
        else:
            _after_customer_reply(fresh, author_contact)
        _touch(fresh)
    return message


def _after_agent_reply(ticket: Ticket, user: User, status: Status | None) -> None:
    now = clock.now()
    ticket.first_responded_at = ticket.first_responded_at or now
    ticket.last_agent_activity_at = now
    if status is not None:
        _set_status(ticket, status, user)
    elif ticket.status.category == StatusCategory.NEW:
        _set_status(ticket, Status.objects.default_for(StatusCategory.OPEN), user)


def _after_customer_reply(ticket: Ticket, contact: Contact | None) -> None:
    ticket.last_customer_activity_at = clock.now()
    if ticket.status.category in {StatusCategory.PENDING, StatusCategory.SOLVED}:
        old = ticket.status.slug
        _set_status(ticket, Status.objects.default_for(StatusCategory.OPEN), None)
        events.record(ticket, EventKind.REOPENED, contact=contact, old=old, new=ticket.status.slug)


def _follow_up(
    closed: Ticket, contact: Contact, *, body: str, body_html: str | None,
    attachments: Sequence[Upload], channel: str,
) -> Message:  # fmt: skip
    """A closed ticket stays closed; the customer's new message opens a linked follow-up."""
    follow_up = create_ticket(
        acting_user=None, requester=contact, subject=f"Re: {closed.subject}"[: validation.MAX_SUBJECT],
        body=body, body_html=body_html, channel=channel, priority=closed.priority,
        type=closed.type, category=closed.category, team=closed.team, attachments=attachments,
    )  # fmt: skip
    _link(follow_up, closed, LinkKind.RELATED, None)
    return follow_up.messages.get()


def add_note(
    *,
    ticket: Ticket,
    body: str,
    acting_user: User,
    body_html: str | None = None,
    attachments: Sequence[Upload] = (),
    channel: str = Channel.WEB,
) -> Message:
    """An internal note: agents (light agents too) only, never shown to the customer."""
    body = validation.clean_body(body)
    for upload in attachments:
        check_size(upload)
    with transaction.atomic():
        fresh = _locked(ticket)
        message = _add_message(
            fresh, body=body, body_html=body_html, is_public=False, channel=channel,
            user=acting_user, contact=None, attachments=attachments,
        )  # fmt: skip
        events.record(fresh, EventKind.NOTE, user=acting_user, message=message.pk)
        _touch(fresh)
    return message


def add_system_note(*, ticket: Ticket, body: str) -> Message:
    """An internal note written by Helpline itself (a delivery failure, an out-of-office)."""
    with transaction.atomic():
        fresh = _locked(ticket)
        message = _add_message(
            fresh, body=validation.clean_body(body), body_html=None, is_public=False,
            channel=Channel.EMAIL, user=None, contact=None, attachments=(),
        )  # fmt: skip
        events.record(fresh, EventKind.NOTE, message=message.pk)
        _touch(fresh)
    return message


def merge(*, source: Ticket, target: Ticket, acting_user: User) -> Ticket:
    """Move `source`'s conversation and people into `target` and close `source`."""
    if source.pk == target.pk:
        raise ValidationError({"target": "A ticket cannot be merged into itself."})
    with transaction.atomic():
        src, dst = _lock_pair(source, target)
        if src.merged_into_id or src.is_closed:
            raise ValidationError({"source": f"#{src.number} is closed or already merged."})
        if dst.is_closed or dst.merged_into_id:
            raise ValidationError(
                {"target": f"#{dst.number} is closed; merge into an open ticket."}
            )
        moved = src.messages.update(ticket=dst)
        people = {src.requester_id, *src.ccs.values_list("pk", flat=True)} - {dst.requester_id}
        dst.ccs.add(*people)
        src.merged_into = dst
        _set_status(src, Status.objects.default_for(StatusCategory.CLOSED), acting_user)
        events.record(
            src, EventKind.MERGED_INTO, user=acting_user, ticket=dst.number, messages=moved
        )
        events.record(
            dst, EventKind.MERGED_FROM, user=acting_user, ticket=src.number, messages=moved
        )
        _touch(src)
        _touch(dst)
    return dst


def _lock_pair(first: Ticket, second: Ticket) -> tuple[Ticket, Ticket]:
    """Lock two tickets in id order, so two merges of the same pair cannot deadlock."""
    locked = {t.pk: t for t in sorted([first, second], key=lambda t: t.pk) for t in [_locked(t)]}
    return locked[first.pk], locked[second.pk]


def move_message(*, message: Message, target: Ticket, acting_user: User) -> Message:
    """Re-thread: put a message on the ticket it really belongs to."""
    with transaction.atomic():
        source, destination = _lock_pair(message.ticket, target)
        if source.pk == destination.pk:
            raise ValidationError({"to": "The message is already on this ticket."})
        _check_not_closed(source)
        _check_not_closed(destination)
        if source.messages.count() < 2:
            raise ValidationError(
                {"message": "A ticket's only message cannot be moved; merge the ticket instead."}
            )
        Message.objects.filter(pk=message.pk).update(ticket=destination)
        events.record(
            source, EventKind.MESSAGE_MOVED_OUT, user=acting_user, ticket=destination.number,
            message=message.pk,
        )  # fmt: skip
        events.record(
            destination, EventKind.MESSAGE_MOVED_IN, user=acting_user, ticket=source.number,
            message=message.pk,
        )  # fmt: skip
        _touch(source)
        _touch(destination)
    message.refresh_from_db()
    return message


def split(*, message: Message, acting_user: User) -> Ticket:
    """Turn one message into a new ticket, linked to the one it came from."""
    with transaction.atomic():
        source = _locked(message.ticket)
        _check_not_closed(source)
        if source.messages.count() < 2:
            raise ValidationError({"message": "A ticket's only message cannot be split out."})
        requester = message.author_contact or source.requester
        new = Ticket.objects.create(
            number=Counter.next("ticket"), subject=source.subject, requester=requester,
            status=Status.objects.default_for(StatusCategory.OPEN), priority=source.priority,
            type=source.type, team=source.team, channel=message.channel, language=source.language,
        )  # fmt: skip
        Message.objects.filter(pk=message.pk).update(ticket=new)
        events.ticket_created(new, user=acting_user, contact=None)
        events.record(
            source, EventKind.SPLIT_TO, user=acting_user, ticket=new.number, message=message.pk
        )
        events.record(
            new, EventKind.SPLIT_FROM, user=acting_user, ticket=source.number, message=message.pk
        )
        _link(source, new, LinkKind.RELATED, acting_user)
        _touch(source)
    return new


def link(*, source: Ticket, target: Ticket, kind: str, acting_user: User) -> TicketLink:
    """Link two tickets: `source` is parent of / duplicate of / related to `target`."""
    if kind not in LinkKind.values:
        raise ValidationError({"kind": f"{kind!r} is not one of: {', '.join(LinkKind.values)}."})
    if source.pk == target.pk:
        raise ValidationError({"target": "A ticket cannot be linked to itself."})
    with transaction.atomic():
        if kind == LinkKind.CHILD:
            _serialise_child_links()
        # Checked only once both are locked: checked before, two opposite links both passed.
        locked_source, locked_target = _lock_pair(source, target)
        _check_link_allowed(locked_source, locked_target, kind)
        try:
            with transaction.atomic():  # a savepoint, so the refusal leaves the rest usable
                created = _link(locked_source, locked_target, LinkKind(kind), acting_user)
        except IntegrityError:
            # The constraints back the rules: whatever slipped past the check is refused the same.
            _check_link_allowed(locked_source, locked_target, kind)
            raise
        _touch(locked_source)
        _touch(locked_target)
    return created


# Any fixed 64-bit number, the same in every process: the key of the child-link lock.
CHILD_LINKS_LOCK = 0x68656C706C696E65  # "helpline"


def _serialise_child_links() -> None:
    """One parent/child link at a time on PostgreSQL, so no two of them close a loop.

    Locking the pair is enough for a loop of two (A under B, B under A), but
    a longer one can close from two links that share no ticket: with A → B
    and C → D existing, "B parent of C" and "D parent of A" each pass their
    check and together make A → B → C → D → A. Locking every ancestor would
    need the chain read before it is locked; one transaction-scoped advisory
    lock is simpler, and parent links are rare. It is taken before the row
    locks, so it never waits while holding one. SQLite runs one write
    transaction at a time already.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHILD_LINKS_LOCK])


def link_system(*, source: Ticket, target: Ticket, kind: str) -> TicketLink:
    """A link Helpline makes itself (e.g. mail from a stranger citing another ticket)."""
    with transaction.atomic():
        return _link(source, target, LinkKind(kind), None)


def _check_link_allowed(source: Ticket, target: Ticket, kind: str) -> None:
    pair = TicketLink.objects.filter(kind=kind)
    if pair.filter(source=source, target=target).exists() or (
        kind == LinkKind.RELATED and pair.filter(source=target, target=source).exists()
    ):
        raise ValidationError(
            {"target": f"#{source.number} and #{target.number} are already linked."}
        )
    if kind == LinkKind.CHILD:
        if pair.filter(target=target).exists():
            raise ValidationError({"target": f"#{target.number} already has a parent."})
        if pair.filter(source=target, target=source).exists() or _is_ancestor(target, source):
            raise ValidationError({"target": "That link would make a ticket its own ancestor."})


def _is_ancestor(candidate: Ticket, ticket: Ticket) -> bool:
    parents = TicketLink.objects.filter(kind=LinkKind.CHILD)
    current: int | None = ticket.pk
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        current = parents.filter(target_id=current).values_list("source_id", flat=True).first()
        if current == candidate.pk:
            return True
    return False


def _link(source: Ticket, target: Ticket, kind: LinkKind, user: User | None) -> TicketLink:
    created = TicketLink.objects.create(source=source, target=target, kind=kind, created_by=user)
    events.record(
        source, EventKind.LINKED, user=user, kind=kind.value, ticket=target.number, direction="out"
    )
    events.record(
        target, EventKind.LINKED, user=user, kind=kind.value, ticket=source.number, direction="in"
    )
    return created


def close_solved_tickets() -> int:
    """Close tickets solved more than HELPLINE_AUTOCLOSE_DAYS ago; returns how many."""
    cutoff = clock.now() - timedelta(days=settings.HELPLINE_AUTOCLOSE_DAYS)
    due = Ticket.objects.in_category(StatusCategory.SOLVED).filter(solved_at__lte=cutoff)
    closed = 0
    for pk in due.values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            ticket = _locked(Ticket(pk=pk))
            # Re-checked under the lock: the customer may have replied meanwhile.
            solved_at = ticket.solved_at
            if (
                ticket.status.category != StatusCategory.SOLVED
                or not solved_at
                or solved_at > cutoff
            ):
                continue
            _set_status(ticket, Status.objects.default_for(StatusCategory.CLOSED), None)
            events.record(ticket, EventKind.AUTO_CLOSED, days=settings.HELPLINE_AUTOCLOSE_DAYS)
            _touch(ticket)
            closed += 1
    return closed
