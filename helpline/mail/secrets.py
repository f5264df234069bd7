"""Secrets at rest (IMAP passwords) and signed reply tokens.

Both derive their keys from SECRET_KEY with distinct salts, so rotating
SECRET_KEY means re-entering mailbox passwords (the admin says so).
"""

import base64
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

# Tokens sent before they named their recipient: 80 bits of HMAC of the ticket number.
TOKEN_BYTES = 10
LEGACY_SIGNATURE_LENGTH = 16
# Tokens bound to their recipient: 100 bits, a different length, so the two never mix.
BOUND_TOKEN_BYTES = 13


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"helpline:{purpose}:{settings.SECRET_KEY}".encode()).digest()


def encrypt(plain: str) -> str:
    return Fernet(base64.urlsafe_b64encode(_key("fernet"))).encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    try:
        return Fernet(base64.urlsafe_b64encode(_key("fernet"))).decrypt(stored.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: SECRET_KEY changed since this was saved") from None


def reply_token(ticket_number: int, recipient: str) -> str:
    """`<number>.<hmac>`: names the ticket and proves we issued it *to `recipient`*.

    The address is inside the MAC, so the token counts only for mail from that
    address: a reply address proves that its sender received our mail to that
    recipient, and nothing more (see docs/email.md, "What a reply address proves")."""
    message = f"{ticket_number}:{recipient.strip().lower()}".encode()
    mac = hmac.new(_key("reply-token-recipient"), message, hashlib.sha256).digest()
    return f"{ticket_number}.{_b32(mac[:BOUND_TOKEN_BYTES])}"


def legacy_reply_token(ticket_number: int) -> str:
    """The token mail carried before tokens named their recipient. Never issued now;
    kept so replies to mail already sent still find their ticket (never as an agent)."""
    return f"{ticket_number}.{_legacy_signature(ticket_number)}"


def _legacy_signature(ticket_number: int) -> str:
    mac = hmac.new(_key("reply-token"), str(ticket_number).encode(), hashlib.sha256).digest()
    return _b32(mac[:TOKEN_BYTES])


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().lower().rstrip("=")


class TokenCheck(StrEnum):
    FOR_SENDER = "for sender"  # issued to the address the mail is from
    LEGACY = "legacy"  # issued before tokens named their recipient: names the ticket only
    OTHER = "other"  # not issued to this sender (issued to someone else, or forged)


@dataclass(frozen=True)
class ReplyToken:
    ticket_number: int
    check: TokenCheck


def read_reply_token(token: str, sender: str) -> ReplyToken | None:
    """What `token` proves about mail from `sender`; None when it is not one of ours in form.

    Comparisons run in constant time: a guess must not learn how much of it was right."""
    number, _, signature = token.lower().partition(".")
    if not number.isdigit() or len(number) > 18 or not signature:
        return None
    ticket_number = int(number)
    if len(signature) == LEGACY_SIGNATURE_LENGTH:
        legacy = hmac.compare_digest(_legacy_signature(ticket_number), signature)
        return ReplyToken(ticket_number, TokenCheck.LEGACY if legacy else TokenCheck.OTHER)
    if signature_matches(token, sender):
        return ReplyToken(ticket_number, TokenCheck.FOR_SENDER)
    return ReplyToken(ticket_number, TokenCheck.OTHER)


def signature_matches(token: str, recipient: str) -> bool:
    """Whether `token` is the one we issue for its ticket to `recipient`."""
    number, _, signature = token.lower().partition(".")
    if not number.isdigit() or len(number) > 18:
        return False
    expected = reply_token(int(number), recipient).partition(".")[2]
    return hmac.compare_digest(expected, signature)


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
