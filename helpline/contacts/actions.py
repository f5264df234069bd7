"""Every write to contacts and organisations."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from helpline.accounts import audit
from helpline.accounts.models import User
from helpline.contacts.models import (
    Contact,
    ContactIdentity,
    IdentityKind,
    Organization,
    OrganizationDomain,
)
from helpline.lib import clock
from helpline.lib.prepared import PreparedRead
from helpline.lib.text import clean_text, one_line, refuse_unsafe
from helpline.lib.unchanged import UNCHANGED, Unchanged

MAX_EMAIL = 254  # RFC 5321's limit on a forward path, and our column width


def normalise_email(raw: str, field: str = "email") -> str:
    email = refuse_unsafe(raw, field).strip().lower()
    try:
        if len(email) > MAX_EMAIL:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ValidationError({field: f"{raw!r} is not a valid email address."}) from None
    return email


def organization_for_email(email: str) -> Organization | None:
    return _organization_of_domain.first(email.rsplit("@", 1)[-1])


# Once per new contact: built once (lib/prepared.py).
_organization_of_domain = PreparedRead(
    lambda domain: Organization.objects.filter(domains__domain=domain).order_by("id")[:1]
)


def find_or_create_contact(*, email: str, name: str = "", acting_user: User | None) -> Contact:
    """The contact owning this email, created (and placed in its domain's organisation) if new."""
    address = normalise_email(email)
    if existing := Contact.by_email(address):
        return existing
    try:
        # A savepoint: when another request creates the same contact meanwhile, the
        # unique identity refuses ours and we use theirs, as get_or_create does.
        with transaction.atomic():
            return _create(addresses=[address], numbers=[], name=name, acting_user=acting_user)
    except IntegrityError:
        if existing := Contact.by_email(address):
            return existing
        raise


def create_contact(
    *,
    emails: list[str],
    name: str = "",
    organization: Organization | None = None,
    notes: str = "",
    phones: list[str] | None = None,
    acting_user: User | None,
) -> Contact:
    addresses = [normalise_email(e, "emails") for e in emails]
    numbers = clean_phones(phones or [])
    # The checks before the writes, so a refusal leaves the caller's transaction as it
    # was; the writes need no savepoint of their own: a caller that expects a clash
    # (find_or_create_contact) holds one, and the unique identities catch a race.
    _check_identities_free(addresses, contact=None)
    _check_phones_free(numbers)
    return _create(
        addresses=addresses, numbers=numbers, name=name, organization=organization,
        notes=notes, acting_user=acting_user,
    )  # fmt: skip


def _create(
    *,
    addresses: list[str],
    numbers: list[str],
    name: str,
    acting_user: User | None,
    organization: Organization | None = None,
    notes: str = "",
) -> Contact:
    """The writes of a new contact, its identities checked free (or held by a
    unique index the caller expects to refuse them)."""
    with transaction.atomic(savepoint=False):
        if organization is None and addresses:
            organization = organization_for_email(addresses[0])
        contact = Contact.objects.create(
            name=one_line(name)[:200], organization=organization, notes=clean_text(notes)
        )
        _add_identities(contact, addresses, numbers)
        contact.known_primary_email = addresses[0] if addresses else None  # the first is primary
        audit.record(actor=acting_user, action="contact.created", target=contact, emails=addresses)
    return contact


def update_contact(
    *,
    contact: Contact,
    acting_user: User,
    name: str | None = None,
    organization: Organization | Unchanged | None = UNCHANGED,
    notes: str | None = None,
    emails: list[str] | None = None,
) -> Contact:
    with transaction.atomic():
        if name is not None:
            contact.name = one_line(name)[:200]
        if notes is not None:
            contact.notes = clean_text(notes)
        if organization is not UNCHANGED:
            contact.organization = organization
        contact.save()
        if emails is not None:
            _replace_emails(contact, [normalise_email(e, "emails") for e in emails])
        changed = {"name": name, "notes": notes, "emails": emails}
        audit.record(
            actor=acting_user, action="contact.updated", target=contact,
            fields=sorted(k for k, v in changed.items() if v is not None)
            + (["organization"] if organization is not UNCHANGED else []),
        )  # fmt: skip
    return contact


def _replace_emails(contact: Contact, addresses: list[str]) -> None:
    if not addresses:
        raise ValidationError({"emails": "A contact needs at least one email address."})
    _check_identities_free(addresses, contact=contact)
    contact.identities.filter(kind=IdentityKind.EMAIL).exclude(value__in=addresses).delete()
    known = set(contact.identities.values_list("value", flat=True))
    for position, address in enumerate(addresses):
        if address not in known:
            ContactIdentity.objects.create(contact=contact, value=address)
        contact.identities.filter(value=address).update(is_primary=position == 0)
    contact.known_primary_email = addresses[0]


def _check_identities_free(addresses: list[str], *, contact: Contact | None) -> None:
    taken = ContactIdentity.objects.with_emails(addresses)
    if contact is not None:
        taken = taken.exclude(contact=contact)
    if clash := taken.first():
        raise ValidationError({"emails": f"{clash.value} already belongs to another contact."})


def clean_phones(raw: list[str]) -> list[str]:
    numbers = []
    for value in raw:
        number = one_line(value)
        if not number or len(number) > 40 or not any(c.isdigit() for c in number):
            raise ValidationError({"phones": f"{value!r} is not a phone number."})
        numbers.append(number)
    return list(dict.fromkeys(numbers))


def _check_phones_free(numbers: list[str]) -> None:
    if not numbers:
        return
    taken = ContactIdentity.objects.filter(kind=IdentityKind.PHONE, value__in=numbers).first()
    if taken:
        raise ValidationError({"phones": f"{taken.value} already belongs to another contact."})


def _add_identities(contact: Contact, addresses: list[str], phones: list[str]) -> None:
    ContactIdentity.objects.bulk_create(
        [
            ContactIdentity(contact=contact, value=address, is_primary=position == 0)
            for position, address in enumerate(dict.fromkeys(addresses))
        ]
        + [ContactIdentity(contact=contact, kind=IdentityKind.PHONE, value=p) for p in phones]
    )


def delete_contact(*, contact: Contact, acting_user: User) -> None:
    if contact.requested_tickets.exists():
        raise ValidationError(
            {"contact": "This contact has tickets, which must keep their requester."}
        )
    with transaction.atomic():
        audit.record(
            actor=acting_user, action="contact.deleted", target=contact,
            emails=list(contact.identities.values_list("value", flat=True)),
        )  # fmt: skip
        contact.delete()


def mark_undeliverable(*, addresses: list[str], acting_user: User | None) -> int:
    """Mail to these addresses bounced: agents see it beside the contact, and the
    outbox can stop trying. Returns how many identities it marked."""
    identities = ContactIdentity.objects.filter(
        kind=IdentityKind.EMAIL, value__in=[a.lower() for a in addresses]
    ).select_related("contact")
    now = clock.now()
    with transaction.atomic():
        for identity in identities:
            identity.undeliverable_since = now
            identity.save(update_fields=["undeliverable_since"])
            audit.record(
                actor=acting_user, action="contact.undeliverable", target=identity.contact,
                address=identity.value,
            )  # fmt: skip
    return len(identities)


def create_organization(
    *, name: str, domains: list[str], notes: str = "", shares_tickets: bool = False,
    acting_user: User,
) -> Organization:  # fmt: skip
    with transaction.atomic():
        organization = Organization(
            name=_organization_name(name, None), notes=clean_text(notes),
            shares_tickets=shares_tickets,
        )  # fmt: skip
        organization.save()
        set_domains(organization=organization, domains=domains)
        audit.record(actor=acting_user, action="organization.created", target=organization)
    return organization


def update_organization(
    *, organization: Organization, acting_user: User, name: str | None = None,
    notes: str | None = None, shares_tickets: bool | None = None, domains: list[str] | None = None,
) -> Organization:  # fmt: skip
    with transaction.atomic():
        if name is not None:
            organization.name = _organization_name(name, organization)
        if notes is not None:
            organization.notes = clean_text(notes)
        if shares_tickets is not None:
            organization.shares_tickets = shares_tickets
        organization.save()
        if domains is not None:
            set_domains(organization=organization, domains=domains)
        changed = {
            "name": name,
            "notes": notes,
            "shares_tickets": shares_tickets,
            "domains": domains,
        }
        audit.record(
            actor=acting_user, action="organization.updated", target=organization,
            fields=sorted(k for k, v in changed.items() if v is not None),
        )  # fmt: skip
    return organization


def _organization_name(raw: str, organization: Organization | None) -> str:
    name = one_line(raw)
    if not name:
        raise ValidationError({"name": "An organisation needs a name."})
    if len(name) > 200:
        raise ValidationError({"name": "Keep the name under 200 characters."})
    others = Organization.objects.filter(name__iexact=name)
    if organization is not None:
        others = others.exclude(pk=organization.pk)
    if others.exists():
        raise ValidationError({"name": f"An organisation called {name!r} exists."})
    return name


def set_domains(*, organization: Organization, domains: list[str]) -> None:
    clean = sorted({_normalise_domain(d) for d in domains})
    taken = OrganizationDomain.objects.filter(domain__in=clean).exclude(organization=organization)
    if clash := taken.first():
        raise ValidationError(
            {"domains": f"{clash.domain} already belongs to another organisation."}
        )
    organization.domains.exclude(domain__in=clean).delete()
    for domain in clean:
        OrganizationDomain.objects.get_or_create(organization=organization, domain=domain)


def _normalise_domain(raw: str) -> str:
    domain = refuse_unsafe(raw, "domains").strip().lower().lstrip("@")
    try:
        if len(domain) > 253:
            raise ValidationError("too long")
        validate_email(f"someone@{domain}")
    except ValidationError:
        raise ValidationError({"domains": f"{raw!r} is not a valid email domain."}) from None
    return domain


def delete_organization(*, organization: Organization, acting_user: User) -> None:
    # Contacts stay; they just no longer belong to an organisation.
    with transaction.atomic():
        audit.record(actor=acting_user, action="organization.deleted", target=organization)
        organization.delete()
