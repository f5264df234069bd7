"""The only way to load contacts and organisations for a viewer.

Every active agent may see every customer (as in Zendesk and Help Scout);
light agents may not change them. A customer sees their own record and their
organisation; a tracking-link holder sees no one. What a viewer may not see is
missing (404), never forbidden.
"""

from django.db import models
from django.http import Http404

from helpline.accounts.access import check_can_edit
from helpline.contacts.models import Contact, ContactQuerySet, Organization
from helpline.contacts.viewers import Viewer, is_agent, is_customer


def contacts_for(viewer: Viewer) -> ContactQuerySet:
    if is_agent(viewer):
        return Contact.objects.all()
    if is_customer(viewer):
        return Contact.objects.filter(pk=viewer.pk)
    return Contact.objects.none()


def organizations_for(viewer: Viewer) -> models.QuerySet[Organization]:
    if is_agent(viewer):
        return Organization.objects.all()
    if is_customer(viewer) and viewer.organization_id is not None:
        return Organization.objects.filter(pk=viewer.organization_id)
    return Organization.objects.none()


def contact_for(viewer: Viewer, pk: int, *, edit: bool = False) -> Contact:
    contact = contacts_for(viewer).select_related("organization").filter(pk=pk).first()
    if contact is None:
        raise Http404("No such contact.")
    if edit:
        check_can_edit(viewer)
    return contact


def organization_for(viewer: Viewer, pk: int, *, edit: bool = False) -> Organization:
    organization = organizations_for(viewer).filter(pk=pk).first()
    if organization is None:
        raise Http404("No such organisation.")
    if edit:
        check_can_edit(viewer)
    return organization
