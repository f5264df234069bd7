"""Mail in the JSON API: emailing a reply that could not be emailed when it was written."""

from django.http import HttpRequest
from ninja import Router

from helpline.accounts.api_auth import agent
from helpline.lib.schemas import DbId
from helpline.mail import actions
from helpline.tickets import access
from helpline.tickets.models import Message
from helpline.tickets.schemas import MessageOut

router = Router(tags=["mail"])


@router.post(
    "/tickets/{number}/messages/{message_id}/email",
    response=MessageOut,
    summary="Email a reply that was not emailed (once a mailbox can send it)",
)
def email_reply(request: HttpRequest, number: DbId, message_id: DbId) -> Message:
    user = agent(request)
    ticket = access.ticket_for_edit(user, number)
    message = access.message_for(user, ticket, message_id)
    actions.email_reply(message=message, acting_user=user)
    return message
