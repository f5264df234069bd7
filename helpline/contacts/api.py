"""Contacts and organisations in the JSON API."""

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from helpline.accounts.access import check_can_edit
from helpline.accounts.api_auth import agent
from helpline.contacts import access, actions
from helpline.contacts.models import Contact, IdentityKind, Organization
from helpline.lib.lookups import named_row
from helpline.lib.pagination import MAX_LIMIT, after_id_cursor, page
from helpline.lib.schemas import DbId, InputSchema, SearchText

router = Router(tags=["contacts"])


class OrganizationOut(Schema):
    id: int
    name: str
    domains: list[str]
    notes: str
    shares_tickets: bool

    @staticmethod
    def resolve_domains(obj: Organization) -> list[str]:
        return [d.domain for d in obj.domains.all()]


class ContactOut(Schema):
    id: int
    name: str
    email: str
    emails: list[str]
    phones: list[str]
    organization_id: int | None
    notes: str

    @staticmethod
    def resolve_email(obj: Contact) -> str:
        return obj.primary_email

    @staticmethod
    def resolve_emails(obj: Contact) -> list[str]:
        return [i.value for i in obj.identities.all() if i.kind == IdentityKind.EMAIL]

    @staticmethod
    def resolve_phones(obj: Contact) -> list[str]:
        return [i.value for i in obj.identities.all() if i.kind == IdentityKind.PHONE]


class ContactIn(InputSchema):
    emails: list[str] = Field(min_length=1, max_length=20)
    name: str = Field("", max_length=200)
    organization_id: DbId | None = None
    notes: str = Field("", max_length=100_000)
    phones: list[str] = Field(default_factory=list, max_length=20)


class ContactPatch(InputSchema):
    emails: list[str] | None = Field(None, min_length=1, max_length=20)
    name: str | None = Field(None, max_length=200)
    organization_id: DbId | None = None
    notes: str | None = Field(None, max_length=100_000)


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class OrganizationIn(InputSchema):
    name: str = Field(max_length=200)
    domains: list[str] = Field(default_factory=list, max_length=50)
    notes: str = Field("", max_length=100_000)
    shares_tickets: bool = False


class OrganizationPatch(InputSchema):
    name: str | None = Field(None, max_length=200)
    domains: list[str] | None = Field(None, max_length=50)
    notes: str | None = Field(None, max_length=100_000)
    shares_tickets: bool | None = None


class ContactFilters(Schema):
    q: SearchText | None = Field(None, description="Part of a name, email address or phone.")
    organization: DbId | None = Field(None, description="An organisation's id.")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, description="Page size; clamped to 1-100.")


def _organization(pk: int | None, field: str = "organization_id") -> Organization | None:
    """An organisation named in a request: unknown is a field error (422), not a 404."""
    return named_row(
        Organization.objects.all(), field=field, value=pk,
        missing=lambda: f"No organisation has id {pk}.",
    )  # fmt: skip


@router.get("/contacts", response=ContactPage, summary="List or search contacts")
def list_contacts(request: HttpRequest, filters: Query[ContactFilters]) -> dict[str, Any]:
    contacts = access.contacts_for(agent(request)).prefetch_related("identities")
    if filters.q:
        contacts = contacts.filter(
            Q(name__icontains=filters.q) | Q(identities__value__icontains=filters.q)
        ).distinct()
    if filters.organization is not None:
        contacts = contacts.filter(organization=_organization(filters.organization, "organization"))
    limit = max(1, min(filters.limit, MAX_LIMIT))
    rows = list(after_id_cursor(contacts, filters.cursor).order_by("id")[: limit + 1])
    items, next_cursor = page(rows, limit, lambda c: ["id", c.pk])
    return {"items": items, "next_cursor": next_cursor}


@router.post("/contacts", response={201: ContactOut}, summary="Create a contact")
def create_contact(request: HttpRequest, payload: ContactIn) -> Respond[Contact]:
    user = agent(request)
    check_can_edit(user)
    organization = _organization(payload.organization_id)
    contact = actions.create_contact(
        emails=payload.emails, name=payload.name, organization=organization,
        notes=payload.notes, phones=payload.phones, acting_user=user,
    )  # fmt: skip
    return Respond(201, contact)


@router.get("/contacts/{contact_id}", response=ContactOut, summary="A contact")
def get_contact(request: HttpRequest, contact_id: DbId) -> Contact:
    return access.contact_for(agent(request), contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, summary="Change a contact")
def update_contact(request: HttpRequest, contact_id: DbId, payload: ContactPatch) -> Contact:
    user = agent(request)
    contact = access.contact_for(user, contact_id, edit=True)
    kwargs: dict[str, Any] = {
        "name": payload.name,
        "notes": payload.notes,
        "emails": payload.emails,
    }
    if "organization_id" in payload.model_fields_set:
        org_id = payload.organization_id
        kwargs["organization"] = _organization(org_id)
    return actions.update_contact(contact=contact, acting_user=user, **kwargs)


@router.delete(
    "/contacts/{contact_id}", response={204: None}, summary="Delete a contact without tickets"
)
def delete_contact(request: HttpRequest, contact_id: DbId) -> Respond[None]:
    user = agent(request)
    actions.delete_contact(
        contact=access.contact_for(user, contact_id, edit=True), acting_user=user
    )
    return Respond(204, None)


@router.get("/organizations", response=list[OrganizationOut], summary="List organisations")
def list_organizations(request: HttpRequest) -> Any:
    agent(request)
    return Organization.objects.prefetch_related("domains")


@router.post("/organizations", response={201: OrganizationOut}, summary="Create an organisation")
def create_organization(request: HttpRequest, payload: OrganizationIn) -> Respond[Organization]:
    user = agent(request)
    check_can_edit(user)
    return Respond(201, actions.create_organization(acting_user=user, **payload.model_dump()))


@router.get("/organizations/{org_id}", response=OrganizationOut, summary="An organisation")
def get_organization(request: HttpRequest, org_id: DbId) -> Organization:
    return access.organization_for(agent(request), org_id)


@router.patch("/organizations/{org_id}", response=OrganizationOut, summary="Change an organisation")
def update_organization(
    request: HttpRequest, org_id: DbId, payload: OrganizationPatch
) -> Organization:
    user = agent(request)
    organization = access.organization_for(user, org_id, edit=True)
    return actions.update_organization(
        organization=organization, acting_user=user, **payload.model_dump(exclude_unset=True)
    )


@router.delete("/organizations/{org_id}", response={204: None}, summary="Delete an organisation")
def delete_organization(request: HttpRequest, org_id: DbId) -> Respond[None]:
    user = agent(request)
    organization = access.organization_for(user, org_id, edit=True)
    actions.delete_organization(organization=organization, acting_user=user)
    return Respond(204, None)
