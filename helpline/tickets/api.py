"""Tickets in the JSON API: thin endpoints that parse, check access and call actions."""

import base64
import binascii
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import create_model

from helpline.accounts.access import check_can_edit
from helpline.accounts.api_auth import agent
from helpline.accounts.models import Team, User
from helpline.contacts.actions import find_or_create_contact
from helpline.contacts.models import Contact
from helpline.lib.errors import fields_as
from helpline.lib.lookups import named_row
from helpline.lib.pagination import MAX_LIMIT, after_sort_cursor, page
from helpline.lib.schemas import DbId
from helpline.lib.text import refuse_unsafe
from helpline.tickets import access, actions, search
from helpline.tickets.attachments import open_attachment
from helpline.tickets.files import Upload, clean_filename
from helpline.tickets.filters import FILTERS, SORTS, TicketFilter
from helpline.tickets.models import Category, Message, Status, Ticket
from helpline.tickets.schemas import (
    AttachmentIn,
    EventOut,
    LinkIn,
    MergeIn,
    MessageOut,
    MoveIn,
    NoteIn,
    ReplyIn,
    TicketCreateIn,
    TicketDetailOut,
    TicketOut,
    TicketPage,
    TicketUpdateIn,
)

router = Router(tags=["tickets"])


class _FilterQuery(Schema):
    # TicketFilter checks the names itself (custom fields come as cf_<key>), with the
    # same "unknown parameter" 422 as every other endpoint.
    checks_own_parameters: ClassVar[bool] = True


def _list_query() -> type[Schema]:
    """The list's query parameters for the OpenAPI document, from the filter's own
    declarations (TicketFilter reads and checks request.GET itself)."""
    fields: dict[str, Any] = {
        name: (list[str] if spec.many else str | None, Field(None, description=spec.help))
        for name, spec in FILTERS.items()
    }
    fields["sort"] = (str | None, Field(None, description=f"One of: {', '.join(SORTS)}"))
    fields["cursor"] = (str | None, Field(None, max_length=200))
    fields["limit"] = (int, 50)
    return create_model("TicketListQuery", __base__=_FilterQuery, **fields)


TicketListQuery = _list_query()


@contextmanager
def as_query_errors() -> Iterator[None]:
    """The filter's ValidationErrors as 422s located in the query, like ninja's own."""
    try:
        yield
    except ValidationError as error:
        raise NinjaValidationError([
            {"loc": ["query", field], "msg": message, "type": "value_error"}
            for field, messages in error.message_dict.items()
            for message in messages
        ]) from None  # fmt: skip


LIST_PARAMS = ["cursor", "limit"]


@router.get(
    "/tickets",
    response=TicketPage,
    summary="List and search tickets",
    description="Filters combine with AND; several values of one filter with OR. "
    "Custom fields filter as `cf_<key>=<value>`. Unknown parameters or values are a 422.",
)
def list_tickets(request: HttpRequest, params: Query[TicketListQuery]) -> dict[str, Any]:  # type: ignore[valid-type]
    user = agent(request)
    with as_query_errors():
        filters = TicketFilter.from_params(request.GET, also_allowed=LIST_PARAMS)
        sort = filters.sort
        tickets = after_sort_cursor(
            filters.apply(access.tickets_for(user), viewer=user), params.cursor,  # type: ignore[attr-defined]
            sort=sort.name, field=sort.field, descending=sort.descending,
            value_type=sort.value_type,
        )  # fmt: skip
    limit = max(1, min(params.limit, MAX_LIMIT))  # type: ignore[attr-defined]
    # The page's ids first, then its rows with their joins: with the joins in the
    # same query PostgreSQL joins every match (30,000 for a common word) before it
    # keeps the first 51.
    ids = list(tickets.values_list("pk", flat=True)[: limit + 1])
    # A sort's annotation (a rank) comes with the rows, for the cursor; `annotate` is
    # typed for any queryset of tickets, so mypy no longer sees a TicketQuerySet.
    rows = sort.annotate(Ticket.objects.all()).list_rows(ids)  # type: ignore[attr-defined]
    items, next_cursor = page(rows, limit, lambda t: [sort.name, t[sort.field], t["pk"]])
    if filters.text:
        snippets = search.snippets(
            {t["pk"]: [t["subject"], t["requester"]["name"], t["requester"]["email"]] for t in items},
            filters.text, public_only=not access.sees_internals(user),
        )  # fmt: skip
        for ticket in items:
            ticket["snippet"] = snippets.get(ticket["pk"])
    return {"items": items, "next_cursor": next_cursor}


def _status(slug: str | None) -> Status | None:
    return named_row(
        Status.objects.all(), field="status", lookup="slug",
        value=None if slug is None else refuse_unsafe(slug, "status"),
        missing=lambda: f"{slug!r} is not a status. Known: "
        f"{', '.join(Status.objects.values_list('slug', flat=True))}.",
    )  # fmt: skip


def _category(name: str | None) -> Category | None:
    return named_row(
        Category.objects.all(), field="category", lookup="name__iexact",
        value=refuse_unsafe(name, "category") if name else None,  # "" clears it
        missing=lambda: f"{name!r} is not a category.",
    )  # fmt: skip


def _assignee(pk: int | None) -> User | None:
    return named_row(
        User.objects.filter(is_active=True), field="assignee_id", value=pk,
        missing=lambda: f"No active agent has id {pk}.",
    )  # fmt: skip


def _team(pk: int | None) -> Team | None:
    return named_row(
        Team.objects.all(), field="team_id", value=pk, missing=lambda: f"No team has id {pk}."
    )


def _uploads(items: list[AttachmentIn]) -> list[Upload]:
    limit = settings.HELPLINE_MAX_ATTACHMENT_BYTES
    uploads = []
    for item in items:
        name = clean_filename(item.filename)
        if len(item.content_base64) * 3 // 4 > limit + 3:
            raise ValidationError(
                {"attachments": f"{name} is over the {limit // 1_048_576} MB limit."}
            )
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                {"attachments": f"{name}: content_base64 is not base64."}
            ) from None
        uploads.append(
            Upload(filename=item.filename, content=content, content_type=item.content_type)
        )
    return uploads


@router.post(
    "/tickets",
    response={201: TicketOut},
    summary="Create a ticket",
    description="Answers with the ticket's properties (as in the list) and its address in "
    "`Location`; `GET` that address for the conversation.",
)
def create_ticket(
    request: HttpRequest, payload: TicketCreateIn, response: HttpResponse
) -> Respond[Ticket]:
    user = agent(request)
    check_can_edit(user)
    with transaction.atomic():  # a rejected ticket must not leave a new contact behind
        ticket = _create(user, payload)
    # The ticket as created, even when it went to a team this agent cannot see. Not
    # its conversation: the caller sent it, and reading it back (messages, their
    # files, mail, links) was more than half of a create's statements and time.
    response["Location"] = f"/api/v1/tickets/{ticket.number}"
    return Respond(201, ticket)


def _cc_contacts(emails: list[str], user: User) -> list[Contact]:
    with fields_as(email="cc_emails"):
        return [find_or_create_contact(email=e, acting_user=user) for e in emails]


def _create(user: User, payload: TicketCreateIn) -> Ticket:
    with fields_as(email="requester_email"):
        requester = find_or_create_contact(
            email=payload.requester_email, name=payload.requester_name, acting_user=user
        )
    ccs = _cc_contacts(payload.cc_emails, user)
    with fields_as(assignee="assignee_id"):
        return _create_ticket(user, payload, requester, ccs)


def _create_ticket(
    user: User, payload: TicketCreateIn, requester: Contact, ccs: list[Contact]
) -> Ticket:
    return actions.create_ticket(
        acting_user=user, requester=requester, subject=payload.subject, body=payload.body,
        body_html=payload.body_html, channel=payload.channel, priority=payload.priority,
        type=payload.type, status=_status(payload.status), category=_category(payload.category),
        tags=payload.tags, assignee=_assignee(payload.assignee_id), team=_team(payload.team_id),
        custom_fields=payload.custom_fields, language=payload.language, ccs=ccs,
        attachments=_uploads(payload.attachments), message_author=payload.message_author,
    )  # fmt: skip


@router.get("/tickets/{number}", response=TicketDetailOut, summary="A ticket with its conversation")
def get_ticket(request: HttpRequest, number: DbId) -> Ticket:
    return access.ticket_for(agent(request), number)


NOT_NULL = {"subject", "status", "priority", "type", "tags", "custom_fields"}


def _update_kwargs(payload: TicketUpdateIn) -> dict[str, Any]:
    given = payload.model_fields_set
    resolvers: dict[str, Callable[[Any], Any]] = {
        "subject": lambda v: v, "status": _status, "priority": lambda v: v, "type": lambda v: v,
        "category": _category, "tags": lambda v: v, "custom_fields": lambda v: v,
        "assignee_id": _assignee, "team_id": _team,
    }  # fmt: skip
    kwargs = {}
    for field, resolve in resolvers.items():
        if field in given:
            value = getattr(payload, field)
            if value is None and field in NOT_NULL:
                raise ValidationError({field: "This field cannot be null."})
            kwargs[field.removesuffix("_id")] = resolve(value)
    return kwargs


@router.patch("/tickets/{number}", response=TicketDetailOut, summary="Change a ticket's properties")
def update_ticket(request: HttpRequest, number: DbId, payload: TicketUpdateIn) -> Ticket:
    user = agent(request)
    ticket = access.ticket_for_edit(user, number)
    kwargs = _update_kwargs(payload)
    with transaction.atomic(), fields_as(assignee="assignee_id"):
        if payload.cc_emails is not None:
            ccs = _cc_contacts(payload.cc_emails, user)
            actions.set_ccs(ticket=ticket, contacts=ccs, acting_user=user)
        updated = actions.update_ticket(ticket=ticket, acting_user=user, **kwargs)
    # The saved ticket, even when the change moved it out of this agent's sight.
    return updated


@router.post(
    "/tickets/{number}/replies", response={201: MessageOut}, summary="Reply to the customer"
)
def reply(request: HttpRequest, number: DbId, payload: ReplyIn) -> Respond[Message]:
    user = agent(request)
    ticket = access.ticket_for_edit(user, number)
    message = actions.reply(
        ticket=ticket, acting_user=user, body=payload.body, body_html=payload.body_html,
        attachments=_uploads(payload.attachments), status=_status(payload.status),
        channel="api",
    )  # fmt: skip
    return Respond(201, message)


@router.post("/tickets/{number}/notes", response={201: MessageOut}, summary="Add an internal note")
def note(request: HttpRequest, number: DbId, payload: NoteIn) -> Respond[Message]:
    user = agent(request)
    ticket = access.ticket_for(user, number)
    message = actions.add_note(
        ticket=ticket, acting_user=user, body=payload.body, body_html=payload.body_html,
        attachments=_uploads(payload.attachments), channel="api",
    )  # fmt: skip
    return Respond(201, message)


@router.post(
    "/tickets/{number}/merge", response=TicketDetailOut, summary="Merge into another ticket"
)
def merge(request: HttpRequest, number: DbId, payload: MergeIn) -> Ticket:
    user = agent(request)
    source = access.ticket_for_edit(user, number)
    target = access.ticket_for_edit(user, payload.into)
    with fields_as(target="into", source="ticket"):
        actions.merge(source=source, target=target, acting_user=user)
    return access.ticket_for(user, payload.into)


@router.post("/tickets/{number}/links", response={201: TicketDetailOut}, summary="Link two tickets")
def link(request: HttpRequest, number: DbId, payload: LinkIn) -> Respond[Ticket]:
    user = agent(request)
    source = access.ticket_for_edit(user, number)
    target = access.ticket_for_edit(user, payload.target)
    actions.link(source=source, target=target, kind=payload.kind, acting_user=user)
    return Respond(201, access.ticket_for(user, number))


@router.post(
    "/tickets/{number}/messages/{message_id}/split",
    response={201: TicketDetailOut},
    summary="Split a message out into a new ticket",
)
def split(request: HttpRequest, number: DbId, message_id: DbId) -> Respond[Ticket]:
    user = agent(request)
    ticket = access.ticket_for_edit(user, number)
    message = access.message_for(user, ticket, message_id)
    new = actions.split(message=message, acting_user=user)
    return Respond(201, access.ticket_for(user, new.number))


@router.post(
    "/tickets/{number}/messages/{message_id}/move",
    response=MessageOut,
    summary="Move a message to another ticket (re-thread)",
)
def move(request: HttpRequest, number: DbId, message_id: DbId, payload: MoveIn) -> Message:
    user = agent(request)
    ticket = access.ticket_for_edit(user, number)
    message = access.message_for(user, ticket, message_id)
    target = access.ticket_for_edit(user, payload.to)
    return actions.move_message(message=message, target=target, acting_user=user)


@router.get("/tickets/{number}/events", response=list[EventOut], summary="The ticket's timeline")
def timeline(request: HttpRequest, number: DbId) -> Any:
    user = agent(request)
    return access.visible_events(user, access.ticket_for(user, number))


@router.get("/attachments/{attachment_id}", summary="Download an attachment")
def download(request: HttpRequest, attachment_id: DbId) -> FileResponse:
    return open_attachment(access.attachment_for(agent(request), attachment_id))
