"""The only way to load contacts and organisations for an agent.

Every active agent may see every customer (as in Zendesk and Help Scout);
light agents may not change them.
"""

from django.http import Http404

from helpline.accounts.access import check_can_edit
from helpline.accounts.models import User
from helpline.contacts.models import Contact, ContactQuerySet, Organization


def contacts_for(user: User) -> ContactQuerySet:
    if not user.is_active:
        return Contact.objects.none()
    return Contact.objects.all()


def contact_for(user: User, pk: int, *, edit: bool = False) -> Contact:
    contact = contacts_for(user).select_related("organization").filter(pk=pk).first()
    if contact is None:
        raise Http404("No such contact.")
    if edit:
        check_can_edit(user)
    return contact


def organization_for(user: User, pk: int, *, edit: bool = False) -> Organization:
    organization = Organization.objects.filter(pk=pk).first() if user.is_active else None
    if organization is None:
        raise Http404("No such organisation.")
    if edit:
        check_can_edit(user)
    return organization
