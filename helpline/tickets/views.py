"""The agent's ticket page: the conversation as it arrived, and re-threading it."""

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from helpline.accounts.access import NoPermission
from helpline.accounts.models import User
from helpline.tickets import access, actions, sources
from helpline.tickets.models import Ticket

MAX_TICKET_NUMBER = 2**63 - 1


class MoveForm(forms.Form):
    to = forms.IntegerField(min_value=1, max_value=MAX_TICKET_NUMBER, label="Ticket number")


def _agent(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _editable(user: User, number: int) -> Ticket:
    """404 for a ticket the agent cannot see; 403 for one they may only read."""
    try:
        return access.ticket_for_edit(user, number)
    except NoPermission as error:
        raise PermissionDenied(str(error)) from error


@login_required
@require_GET
def ticket_page(request: HttpRequest, number: int) -> HttpResponse:
    user = _agent(request)
    ticket = access.ticket_for(user, number)
    context = {
        "ticket": ticket,
        # With each reply's outgoing mail, so agents see whether it was delivered.
        "conversation": sources.with_sources(
            ticket.messages.for_display().prefetch_related("outboundemail_set")
        ),
        "links": access.visible_links(user, ticket),
        "timeline": access.visible_events(user, ticket),
        "merged_into": ticket.merged_into
        and access.visible_ticket(user, ticket.merged_into.number),
        "can_rethread": user.can_edit_tickets and not ticket.is_closed,
        "can_email": user.can_edit_tickets,
    }
    return render(request, "tickets/ticket.html", context)


@login_required
@require_POST
def move_message(request: HttpRequest, number: int, message_id: int) -> HttpResponseRedirect:
    user = _agent(request)
    message = access.message_for(user, _editable(user, number), message_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        flash.error(request, f"Ticket number: {form.errors['to'][0]}")
        return redirect("ticket", number=number)
    target = access.visible_ticket(user, form.cleaned_data["to"])
    if target is None:
        flash.error(request, f"There is no ticket #{form.cleaned_data['to']} that you can see.")
        return redirect("ticket", number=number)
    try:
        actions.move_message(message=message, target=target, acting_user=user)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
        return redirect("ticket", number=number)
    flash.success(request, f"The message was moved to #{target.number}.")
    return redirect("ticket", number=number)


@login_required
@require_POST
def split_message(request: HttpRequest, number: int, message_id: int) -> HttpResponseRedirect:
    user = _agent(request)
    message = access.message_for(user, _editable(user, number), message_id)
    try:
        new = actions.split(message=message, acting_user=user)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
        return redirect("ticket", number=number)
    flash.success(request, f"The message was split out of #{number} into this new ticket.")
    return redirect("ticket", number=new.number)
