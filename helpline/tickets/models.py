"""The ticket domain: tickets, their conversation, statuses, fields, links and timeline."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection, models
from django.db.models import F, OuterRef, Q, Subquery

from helpline.accounts.models import Team, User
from helpline.contacts.models import Contact, ContactIdentity, IdentityKind
from helpline.lib import clock
from helpline.lib.prepared import PreparedRead
from helpline.lib.text import clean_text


class StatusCategory(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING = "pending", "Pending (waiting on customer)"
    ON_HOLD = "on_hold", "On hold"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


class StatusQuerySet(models.QuerySet["Status"]):
    def default_for(self, category: str) -> "Status":
        """The status the system uses when it moves a ticket into `category` (of all
        statuses, whatever this QuerySet filters)."""
        status = _default_status.first(category, using=self.db)
        if status is None:
            raise ImproperlyConfigured(
                f"No ticket status has the category {category!r}; add one in the admin."
            )
        return status


class Status(models.Model):
    """A ticket status. Admins add custom ones; each maps to one category."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    category = models.CharField(max_length=10, choices=StatusCategory.choices)
    pauses_sla = models.BooleanField(default=False)
    is_default = models.BooleanField(
        default=False, help_text="Used when the system moves a ticket into this category."
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = StatusQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "statuses"

    def __str__(self) -> str:
        return self.name

    @property
    def is_resolved(self) -> bool:
        return self.category in {StatusCategory.SOLVED, StatusCategory.CLOSED}


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class TicketType(models.TextChoices):
    QUESTION = "question", "Question"
    INCIDENT = "incident", "Incident"
    PROBLEM = "problem", "Problem"
    TASK = "task", "Task"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEB = "web", "Web form"
    PORTAL = "portal", "Portal"
    CHAT = "chat", "Chat"
    API = "api", "API"
    PHONE = "phone", "Phone"


class Category(models.Model):
    """What the ticket is about (Billing, Login, Bug…), defined by admins."""

    name = models.CharField(max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.SlugField(max_length=50, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FieldKind(models.TextChoices):
    TEXT = "text", "Text"
    NUMBER = "number", "Number"
    DATE = "date", "Date"
    CHOICE = "choice", "Choice"
    CHECKBOX = "checkbox", "Checkbox"


class CustomField(models.Model):
    """A typed ticket field defined by admins; values live in `Ticket.custom_fields`."""

    key = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=FieldKind.choices)
    choices = models.JSONField(
        default=list, blank=True, help_text='For "choice": a list of options.'
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.kind == FieldKind.CHOICE and not self.choices:
            raise ValidationError({"choices": "A choice field needs at least one option."})

    def clean_value(self, value: Any) -> Any:
        """The value as stored (JSON-safe), or ValidationError saying what was expected."""
        if value is None or value == "":
            return None
        cleaner = getattr(self, f"_clean_{self.kind}")
        return cleaner(value)

    def _clean_text(self, value: Any) -> str:
        if not isinstance(value, str) or len(value) > 10_000:
            raise ValidationError(f"{self.label}: expected text of at most 10,000 characters.")
        return clean_text(value)

    def _clean_number(self, value: Any) -> str:
        if isinstance(value, bool):
            raise ValidationError(f"{self.label}: expected a number.")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValidationError(f"{self.label}: expected a number, not {value!r}.") from None
        if not number.is_finite():
            raise ValidationError(f"{self.label}: expected a finite number.")
        return str(number)

    def _clean_date(self, value: Any) -> str:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValidationError(f"{self.label}: expected a date as YYYY-MM-DD.") from None

    def _clean_choice(self, value: Any) -> str:
        if value not in self.choices:
            options = ", ".join(map(str, self.choices))
            raise ValidationError(f"{self.label}: {value!r} is not one of: {options}.")
        return str(value)

    def _clean_checkbox(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValidationError(f"{self.label}: expected true or false.")
        return value


class Counter(models.Model):
    """Gap-tolerant sequences (ticket numbers) that work the same on SQLite and PostgreSQL.

    On PostgreSQL the ticket counter is a database sequence (migration 0011): its
    `nextval` takes no lock, where the counter row's UPDATE lock would make every
    concurrent create wait for the one before it to commit (ADR 0007). SQLite has one
    writer at a time anyway, so there every counter is a row."""

    SEQUENCES = {"ticket": "tickets_ticket_number_seq"}

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"

    @classmethod
    def next(cls, name: str, start: int = 1000) -> int:
        """Must run inside a transaction: the UPDATE row lock serialises concurrent callers.

        One statement once the counter exists (`UPDATE … RETURNING`, which both SQLite
        3.35+ and PostgreSQL know, or `nextval`); the first call creates a row counter."""
        with connection.cursor() as cursor:
            if sequence := cls._sequence(name):
                cursor.execute("SELECT nextval(%s)", [sequence])
                return int(cursor.fetchone()[0])
            cursor.execute(
                f"UPDATE {cls._meta.db_table} SET value = value + 1 WHERE name = %s RETURNING value",  # noqa: S608 - the model's own table
                [name],
            )
            if row := cursor.fetchone():
                return int(row[0])
        cls.objects.get_or_create(name=name, defaults={"value": start})
        return cls.next(name, start)

    @classmethod
    def set(cls, name: str, value: int) -> None:
        """The counter's last number given out (the next is `value + 1`), e.g. after
        rows were loaded with their own numbers."""
        cls.objects.update_or_create(name=name, defaults={"value": value})
        if sequence := cls._sequence(name):
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(%s, %s)", [sequence, value])

    @classmethod
    def _sequence(cls, name: str) -> str | None:
        return cls.SEQUENCES.get(name) if connection.vendor == "postgresql" else None


class TicketQuerySet(models.QuerySet["Ticket"]):
    def in_category(self, *categories: str) -> "TicketQuerySet":
        return self.filter(status__category__in=categories)

    def unresolved(self) -> "TicketQuerySet":
        return self.exclude(status__category__in=[StatusCategory.SOLVED, StatusCategory.CLOSED])

    def for_list(self) -> "TicketQuerySet":
        return self.select_related(
            "status", "requester", "assignee", "team", "category", "merged_into"
        ).prefetch_related("tags", "requester__identities")

    def list_rows(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """These tickets as a list shows them, in the order of `ids`: plain values (the
        status's slug, the requester's name and email, …) in one query, their tags in a
        second, and no model instances. Building a page of 50 tickets with their six
        related rows and two prefetches took 20-30 ms of Python; this takes about 5.
        Annotations of the queryset (a sort's rank) come along.

        The number of a ticket this one was merged into is looked up apart, for the
        few rows that have one: joining `tickets_ticket` a second time doubled the time
        PostgreSQL took to plan the query (2 -> 4 ms, more than running it)."""
        annotations = list(self.query.annotations)
        rows = list(
            self.filter(pk__in=ids)
            .values(*LIST_VALUES, *annotations)
            .annotate(
                requester_email=Subquery(
                    ContactIdentity.objects.filter(
                        contact_id=OuterRef("requester_id"), kind=IdentityKind.EMAIL
                    )
                    .order_by("-is_primary", "id")  # as Contact.primary_email chooses
                    .values("value")[:1]
                )
            )
        )
        tags: dict[int, list[str]] = {pk: [] for pk in ids}
        for ticket_id, name in (
            Ticket.tags.through.objects.filter(ticket_id__in=ids)
            .values_list("ticket_id", "tag__name")
            .order_by("tag__name")
        ):
            tags[ticket_id].append(name)
        merged = {row["merged_into_id"] for row in rows if row["merged_into_id"]}
        numbers = dict(Ticket.objects.filter(pk__in=merged).values_list("pk", "number"))
        by_pk = {row["pk"]: _list_row(row, tags[row["pk"]], numbers) for row in rows}
        return [by_pk[pk] for pk in ids if pk in by_pk]


LIST_VALUES = [
    "pk", "number", "subject", "priority", "type", "channel", "language", "custom_fields",
    "next_update_due", "created_at", "updated_at", "first_responded_at", "solved_at",
    "closed_at", "last_customer_activity_at", "last_agent_activity_at",
    "status__slug", "status__category", "category__name", "merged_into_id",
    "requester_id", "requester__name", "assignee_id", "assignee__name", "assignee__email",
    "team_id", "team__name",
]  # fmt: skip


def _list_row(row: dict[str, Any], tags: list[str], numbers: dict[int, int]) -> dict[str, Any]:
    """A `values()` row of LIST_VALUES shaped as the ticket list's item (`numbers`: the
    number of each ticket that one of the rows was merged into)."""
    merged_into = row.pop("merged_into_id")
    requester = {"id": row.pop("requester_id"), "name": row.pop("requester__name"),
                 "email": row.pop("requester_email") or ""}  # fmt: skip
    assignee = {"id": row.pop("assignee_id"), "name": row.pop("assignee__name"),
                "email": row.pop("assignee__email")}  # fmt: skip
    team = {"id": row.pop("team_id"), "name": row.pop("team__name")}
    row.update(
        status=row.pop("status__slug"),
        status_category=row.pop("status__category"),
        category=row.pop("category__name"),
        merged_into=numbers[merged_into] if merged_into else None,
        requester=requester,
        assignee=assignee if assignee["id"] is not None else None,
        team=team if team["id"] is not None else None,
        tags=tags,
    )
    return row


class Ticket(models.Model):
    number = models.BigIntegerField(unique=True, editable=False)
    subject = models.CharField(max_length=250)
    status = models.ForeignKey(Status, on_delete=models.PROTECT, related_name="tickets")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    type = models.CharField(max_length=10, choices=TicketType.choices, default=TicketType.QUESTION)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets")
    requester = models.ForeignKey(
        Contact, on_delete=models.PROTECT, related_name="requested_tickets"
    )
    ccs = models.ManyToManyField(Contact, blank=True, related_name="cc_tickets")
    followers = models.ManyToManyField(User, blank=True, related_name="followed_tickets")
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    language = models.CharField(max_length=16, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    next_update_due = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the customer was promised they will hear from us next.",
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(default=clock.now, db_index=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_customer_activity_at = models.DateTimeField(null=True, blank=True)
    last_agent_activity_at = models.DateTimeField(null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-updated_at"], name="ticket_status_updated"),
            models.Index(fields=["assignee", "-updated_at"], name="ticket_assignee_updated"),
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_created"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_resolved(self) -> bool:
        return self.status.is_resolved

    @property
    def is_closed(self) -> bool:
        return self.status.category == StatusCategory.CLOSED

    def is_participant(self, contact: Contact) -> bool:
        return contact.pk == self.requester_id or self.ccs.filter(pk=contact.pk).exists()


class AuthorKind(models.TextChoices):
    AGENT = "agent", "Agent"
    CONTACT = "contact", "Customer"
    SYSTEM = "system", "System"


class MessageQuerySet(models.QuerySet["Message"]):
    def for_display(self) -> "MessageQuerySet":
        return self.select_related("author_user", "author_contact").prefetch_related(
            "attachments", "author_contact__identities"
        )


class Message(models.Model):
    """One entry of the conversation: a public reply or an internal note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    is_public = models.BooleanField(default=True)
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    author_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    body_text = models.TextField()
    body_html = models.TextField(help_text="Sanitised with nh3 before it is stored.")
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(author_kind="agent") | Q(author_user__isnull=False),
                name="message_agent_has_user",
            ),
        ]

    def __str__(self) -> str:
        kind = "reply" if self.is_public else "note"
        return f"{kind} on #{self.ticket.number} by {self.author_name}"

    @property
    def author_name(self) -> str:
        if self.author_user:
            return str(self.author_user)
        if self.author_contact:
            return str(self.author_contact)
        return "Helpline"

    @property
    def source(self) -> "MessageSource":
        """How the message reached the ticket, as its channel tells it (set by
        `tickets.sources.with_sources`; a message no channel knows has none)."""
        return self.__dict__.get("_source", NO_SOURCE)

    def inline_image_urls(self) -> dict[str, str]:
        """`cid:` names of the message's inline images → their access-checked URLs."""
        return {
            a.content_id: f"/attachments/{a.pk}/inline"
            for a in self.attachments.all()
            if a.content_id
        }


@dataclass(frozen=True)
class MessageSource:
    """What a channel knows of how one message reached its ticket."""

    placement: str = ""  # why the message is on this ticket (email threading)
    # The whole message as sent, when quotes and signature were cut for display.
    full_text: str = ""
    full_html: str = ""  # sanitised


NO_SOURCE = MessageSource()


class Blob(models.Model):
    """Attachment bytes, stored once per content (the SHA-256 names the file)."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    size = models.BigIntegerField()
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.sha256

    @property
    def storage_name(self) -> str:
        return f"blobs/{self.sha256[:2]}/{self.sha256[2:4]}/{self.sha256}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    # The sender's name, for display and Content-Disposition only; never a path.
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size = models.BigIntegerField()
    content_id = models.CharField(max_length=255, blank=True)
    is_inline = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS = "status", "Status changed"
    PRIORITY = "priority", "Priority changed"
    TYPE = "type", "Type changed"
    CATEGORY = "category", "Category changed"
    SUBJECT = "subject", "Subject changed"
    ASSIGNEE = "assignee", "Assignee changed"
    TEAM = "team", "Team changed"
    TAGS = "tags", "Tags changed"
    FIELDS = "fields", "Fields changed"
    CCS = "ccs", "CCs changed"
    REPLY = "reply", "Public reply"
    NOTE = "note", "Internal note"
    MERGED_INTO = "merged_into", "Merged into another ticket"
    MERGED_FROM = "merged_from", "Another ticket merged in"
    MESSAGE_MOVED_OUT = "moved_out", "Message moved to another ticket"
    MESSAGE_MOVED_IN = "moved_in", "Message moved here"
    SPLIT_TO = "split_to", "Message split out"
    SPLIT_FROM = "split_from", "Split from another ticket"
    LINKED = "linked", "Linked"
    AUTO_CLOSED = "auto_closed", "Closed automatically"
    REOPENED = "reopened", "Reopened by customer reply"


class ImmutableError(Exception):
    pass


class TicketEvent(models.Model):
    """One line of a ticket's timeline. Written once, never changed or deleted alone."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    actor_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    actor_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableError("Timeline events cannot be changed.")
        super().save(*args, **kwargs)


class LinkKind(models.TextChoices):
    CHILD = "child", "Parent of"
    DUPLICATE = "duplicate", "Duplicate of"
    RELATED = "related", "Related to"


class TicketLink(models.Model):
    """A directed link: `source` is the parent / the duplicate / one side of related."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=10, choices=LinkKind.choices)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="link_unique"),
            models.CheckConstraint(condition=~Q(source=F("target")), name="link_not_self"),
            # A ticket has at most one parent, held by the database under concurrent links.
            models.UniqueConstraint(
                fields=["target"], condition=Q(kind="child"), name="link_one_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.source_id} {self.kind} #{self.target_id}"


# On every ticket created and most replies: built once (lib/prepared.py).
_default_status = PreparedRead(
    lambda category: Status.objects.filter(category=category).order_by(
        "-is_default", "position", "id"
    )[:1]
)
