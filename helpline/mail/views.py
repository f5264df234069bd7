"""Mail pages: the inbound HTTP endpoint (raw RFC 822 from a mail server or relay), the
administrators' Outgoing mail pages, and emailing a reply that was not emailed."""

import hmac

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from helpline.accounts.access import NoPermission
from helpline.accounts.models import User
from helpline.mail import access as mail_access
from helpline.mail import actions
from helpline.mail.models import Mailbox, OutboundState
from helpline.mail.preview import PREVIEW_CSP, preview_html
from helpline.mail.secrets import hash_secret
from helpline.mail.sending import build_message
from helpline.tickets import access as ticket_access

OUTGOING_PER_PAGE = 50

ACCEPTED_TYPES = {"message/rfc822", "application/octet-stream", "text/plain"}


def _mailbox_for(secret: str) -> Mailbox | None:
    digest = hash_secret(secret)
    for mailbox in Mailbox.objects.filter(is_active=True).exclude(inbound_secret_hash=""):
        if hmac.compare_digest(mailbox.inbound_secret_hash, digest):
            return mailbox
    return None


@csrf_exempt
@require_POST
def inbound_email(request: HttpRequest, secret: str) -> HttpResponse:
    mailbox = _mailbox_for(secret)
    if mailbox is None:
        return JsonResponse({"detail": "Unknown inbound address."}, status=404)
    # Up to twice the limit is stored (and quarantined as too large, so an admin
    # sees it); anything bigger is refused before it fills the database.
    ceiling = settings.HELPLINE_MAX_EMAIL_BYTES * 2
    raw = request.read(ceiling + 1)
    if len(raw) > ceiling:
        return JsonResponse({"detail": "The message is far over the size limit."}, status=413)
    if not raw.strip():
        return JsonResponse({"detail": "The body is empty; send the raw message."}, status=400)
    if request.content_type not in ACCEPTED_TYPES:
        return JsonResponse({"detail": "Send the raw message as message/rfc822."}, status=415)
    received = actions.receive(raw=raw, via="http", mailbox=mailbox)
    # 202 only now: the raw bytes are committed, whatever happens next.
    return JsonResponse({"id": received.inbound.pk, "duplicate": received.duplicate}, status=202)


def _agent(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
@require_GET
def outgoing_list(request: HttpRequest) -> HttpResponse:
    """Every mail Helpline wrote, newest first: what customers receive, and whether they did."""
    mails = mail_access.outgoing_mail_for(_agent(request))
    state = request.GET.get("state", "")
    if state in OutboundState.values:
        mails = mails.filter(state=state)
    page = Paginator(mails, OUTGOING_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "state": state, "states": OutboundState.choices}
    return render(request, "mail/outgoing_list.html", context)


@login_required
@require_GET
def outgoing_detail(request: HttpRequest, outbound_id: int) -> HttpResponse:
    outbound = mail_access.outbound_for(_agent(request), outbound_id)
    headers = [] if outbound.state == OutboundState.NOT_EMAILED else build_message(outbound).items()
    context = {"mail": outbound, "headers": headers}
    return render(request, "mail/outgoing_detail.html", context)


@login_required
@require_GET
@xframe_options_sameorigin
def outgoing_html(request: HttpRequest, outbound_id: int) -> HttpResponse:
    """The mail's HTML alone, for the detail page's sandboxed frame (see preview.py)."""
    outbound = mail_access.outbound_for(_agent(request), outbound_id)
    response = HttpResponse(preview_html(outbound))
    response["Content-Security-Policy"] = PREVIEW_CSP
    return response


@login_required
@require_POST
def email_reply(request: HttpRequest, number: int, message_id: int) -> HttpResponseRedirect:
    """The ticket page's "Email it now" on a reply that was not emailed."""
    user = _agent(request)
    try:
        ticket = ticket_access.ticket_for_edit(user, number)
    except NoPermission as error:
        raise PermissionDenied(str(error)) from error
    message = ticket_access.message_for(user, ticket, message_id)
    try:
        copies = actions.email_reply(message=message, acting_user=user)
    except ValidationError as error:
        flash.error(request, " ".join(error.messages))
    else:
        recipients = ", ".join(copy.delivered_to[0] for copy in copies)
        flash.success(request, f"The reply was queued to {recipients}.")
    return redirect("ticket", number=number)
