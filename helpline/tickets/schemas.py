"""The API's view of tickets (Django Ninja / pydantic schemas)."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema

from helpline.lib.schemas import DbId, InputSchema
from helpline.tickets import access, sources
from helpline.tickets.models import Attachment, Message, Ticket, TicketEvent

PriorityName = Literal["low", "normal", "high", "urgent"]
TypeName = Literal["question", "incident", "problem", "task"]
ChannelName = Literal["email", "web", "portal", "chat", "api", "phone"]
LinkKindName = Literal["child", "duplicate", "related"]


class PersonRef(Schema):
    id: int
    name: str
    email: str


class TeamRef(Schema):
    id: int
    name: str


class AttachmentIn(InputSchema):
    filename: str = Field(min_length=1, max_length=1000)
    content_type: str = Field("", max_length=255)
    content_base64: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    url: str

    @staticmethod
    def resolve_url(obj: Attachment) -> str:
        return f"/api/v1/attachments/{obj.pk}"


class EmailOut(Schema):
    """What became of an agent's reply as email (mail rows, read through their relation)."""

    state: str = Field(description="queued, sending, sent, failed, uncertain, kept, or not_emailed")
    summary: str = Field(description='e.g. "not emailed: no active mailbox"')
    to: list[str]
    cc: list[str]

    @staticmethod
    def resolve_summary(obj: Any) -> str:
        return str(obj.delivery_summary)

    @staticmethod
    def resolve_to(obj: Any) -> list[str]:
        return list(obj.recipients)


class MessageOut(Schema):
    id: int
    public: bool
    author_kind: str
    author: PersonRef | None
    channel: str
    body_text: str
    body_html: str
    full_text: str = Field(description="For email: the whole message, when quotes were cut.")
    full_html: str
    placement: str = Field(description="For email: why the message is on this ticket.")
    created_at: datetime
    attachments: list[AttachmentOut]
    emails: list[EmailOut] = Field(
        description="For an agent's reply: each mail it became, or why it was not emailed."
    )

    @staticmethod
    def resolve_public(obj: Message) -> bool:
        return obj.is_public

    @staticmethod
    def resolve_full_text(obj: Message) -> str:
        return obj.source.full_text

    @staticmethod
    def resolve_full_html(obj: Message) -> str:
        return obj.source.full_html

    @staticmethod
    def resolve_placement(obj: Message) -> str:
        return obj.source.placement

    @staticmethod
    def resolve_emails(obj: Message) -> list[Any]:
        return list(obj.outboundemail_set.all())

    @staticmethod
    def resolve_author(obj: Message) -> dict[str, Any] | None:
        if obj.author_user:
            return {
                "id": obj.author_user.pk,
                "name": obj.author_user.name,
                "email": obj.author_user.email,
            }
        if obj.author_contact:
            contact = obj.author_contact
            return {"id": contact.pk, "name": contact.name, "email": contact.primary_email}
        return None


# A ticket as the list and the detail show it (comments, not docstrings: a schema's
# docstring becomes its description in the API's documentation).
class TicketFields(Schema):
    number: int
    subject: str
    status: str
    status_category: str
    priority: str
    type: str
    category: str | None
    tags: list[str]
    requester: PersonRef
    assignee: PersonRef | None
    team: TeamRef | None
    channel: str
    language: str
    custom_fields: dict[str, Any]
    next_update_due: datetime | None
    merged_into: int | None
    created_at: datetime
    updated_at: datetime
    first_responded_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    last_customer_activity_at: datetime | None
    last_agent_activity_at: datetime | None


# Read from a Ticket instance, its relations through the resolvers.
class TicketOut(TicketFields):
    @staticmethod
    def resolve_status(obj: Ticket) -> str:
        return obj.status.slug

    @staticmethod
    def resolve_status_category(obj: Ticket) -> str:
        return obj.status.category

    @staticmethod
    def resolve_category(obj: Ticket) -> str | None:
        return obj.category.name if obj.category else None

    @staticmethod
    def resolve_tags(obj: Ticket) -> list[str]:
        return [t.name for t in obj.tags.all()]

    @staticmethod
    def resolve_requester(obj: Ticket) -> dict[str, Any]:
        r = obj.requester
        return {"id": r.pk, "name": r.name, "email": r.primary_email}

    @staticmethod
    def resolve_assignee(obj: Ticket) -> dict[str, Any] | None:
        a = obj.assignee
        return {"id": a.pk, "name": a.name, "email": a.email} if a else None

    @staticmethod
    def resolve_merged_into(obj: Ticket) -> int | None:
        return obj.merged_into.number if obj.merged_into else None


class LinkOut(Schema):
    kind: str
    direction: Literal["out", "in"]
    ticket: int
    subject: str


class TicketDetailOut(TicketOut):
    ccs: list[PersonRef]
    messages: list[MessageOut]
    links: list[LinkOut]

    @staticmethod
    def resolve_ccs(obj: Ticket) -> list[dict[str, Any]]:
        return [{"id": c.pk, "name": c.name, "email": c.primary_email} for c in obj.ccs.all()]

    @staticmethod
    def resolve_messages(obj: Ticket) -> list[Message]:
        return sources.with_sources(
            obj.messages.for_display().prefetch_related("outboundemail_set")
        )

    @staticmethod
    def resolve_links(obj: Ticket, context: dict[str, Any]) -> list[access.VisibleLink]:
        return access.visible_links(context["request"].auth, obj)


# Read from `Ticket.objects.list_rows` (plain values, so no resolvers).
class TicketListOut(TicketFields):
    snippet: str | None = Field(
        None,
        description="With `q`: HTML around the first match, the matches in <mark>, "
        "everything else escaped. From a message you may see, else the subject or requester.",
    )


class TicketPage(Schema):
    items: list[TicketListOut]
    next_cursor: str | None


class TicketCreateIn(InputSchema):
    subject: str = Field(max_length=1000)
    body: str
    body_html: str | None = None
    requester_email: str = Field(max_length=254)
    requester_name: str = Field("", max_length=200)
    cc_emails: list[str] = Field(default_factory=list, max_length=50)
    priority: PriorityName = "normal"
    type: TypeName = "question"
    status: str | None = Field(None, max_length=60)
    category: str | None = Field(None, max_length=80)
    channel: ChannelName = "api"
    language: str = Field("", max_length=16)
    tags: list[str] = Field(default_factory=list, max_length=100)
    assignee_id: DbId | None = None
    team_id: DbId | None = None
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    message_author: Literal["requester", "agent"] = "requester"


class TicketUpdateIn(InputSchema):
    subject: str | None = Field(None, max_length=1000)
    status: str | None = Field(None, max_length=60)
    priority: PriorityName | None = None
    type: TypeName | None = None
    category: str | None = Field(None, max_length=80)
    assignee_id: DbId | None = None
    team_id: DbId | None = None
    tags: list[str] | None = Field(None, max_length=100)
    custom_fields: dict[str, Any] | None = None
    cc_emails: list[str] | None = Field(None, max_length=50)


class ReplyIn(InputSchema):
    body: str
    body_html: str | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    status: str | None = Field(
        None, max_length=60, description="Set this status with the reply, e.g. pending."
    )


class NoteIn(InputSchema):
    body: str
    body_html: str | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class MergeIn(InputSchema):
    into: DbId = Field(description="The number of the ticket that receives this one.")


class MoveIn(InputSchema):
    to: DbId = Field(description="The number of the ticket the message belongs on.")


class LinkIn(InputSchema):
    target: DbId
    kind: LinkKindName


class EventOut(Schema):
    id: int
    kind: str
    actor: str | None
    data: dict[str, Any]
    created_at: datetime

    @staticmethod
    def resolve_actor(obj: TicketEvent) -> str | None:
        actor = obj.actor_user or obj.actor_contact
        return str(actor) if actor else None
