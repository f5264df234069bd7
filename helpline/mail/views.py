"""POST /inbound/email/<secret>/: raw RFC 822 from a mail server or relay."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from helpline.mail import actions
from helpline.mail.models import Mailbox
from helpline.mail.secrets import hash_secret

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
