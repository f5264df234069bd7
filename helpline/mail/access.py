"""Reads of the mail channel on behalf of a user."""

from django.db.models import QuerySet
from django.http import Http404

from helpline.accounts.models import User
from helpline.mail.models import OutboundEmail


def outgoing_mail_for(user: User) -> QuerySet[OutboundEmail]:
    """Every mail Helpline wrote, for administrators only: it holds every team's tickets.
    Anyone else gets a 404, as for a ticket they may not see."""
    if not (user.is_active and user.is_admin):
        raise Http404("No such page.")
    return OutboundEmail.objects.select_related("ticket", "mailbox")


def outbound_for(user: User, outbound_id: int) -> OutboundEmail:
    outbound = outgoing_mail_for(user).filter(pk=outbound_id).first()
    if outbound is None:
        raise Http404("No such mail.")
    return outbound
