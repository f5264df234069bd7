"""RFC 3834 and friends: which mail is automatic, and which must never get an automatic answer."""

from helpline.mail.models import Mailbox, is_ours
from helpline.mail.parsing import ParsedEmail

ROBOT_SENDERS = ("mailer-daemon@", "postmaster@")


def is_own_address(address: str) -> bool:
    return is_ours(address, Mailbox.objects.addresses())


def is_automatic_reply(parsed: ParsedEmail) -> bool:
    """An out-of-office or other machine answer (as opposed to a person writing)."""
    auto_submitted = parsed.headers.get("auto-submitted", "no").split(";")[0].strip().lower()
    return (
        auto_submitted not in {"", "no"}
        or "x-autoreply" in parsed.headers
        or "x-autorespond" in parsed.headers
        or parsed.from_address.startswith(ROBOT_SENDERS)
    )


def suppresses_automatic_answers(parsed: ParsedEmail) -> bool:
    """No acknowledgement or other automatic mail may answer this message (RFC 3834 §2)."""
    precedence = parsed.headers.get("precedence", "").lower()
    return (
        is_automatic_reply(parsed)
        or precedence in {"bulk", "junk", "list"}
        or "list-id" in parsed.headers
        or "x-auto-response-suppress" in parsed.headers
        or parsed.return_path == ""
        or is_own_address(parsed.from_address)
    )
