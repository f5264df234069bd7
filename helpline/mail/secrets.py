"""Secrets at rest (IMAP passwords) and signed reply tokens.

Both derive their keys from SECRET_KEY with distinct salts, so rotating
SECRET_KEY means re-entering mailbox passwords (the admin says so).
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

TOKEN_BYTES = 10  # 80 bits of HMAC per ticket: unguessable, short enough for an address


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"helpline:{purpose}:{settings.SECRET_KEY}".encode()).digest()


def encrypt(plain: str) -> str:
    return Fernet(base64.urlsafe_b64encode(_key("fernet"))).encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    try:
        return Fernet(base64.urlsafe_b64encode(_key("fernet"))).decrypt(stored.encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: SECRET_KEY changed since this was saved") from None


def reply_token(ticket_number: int) -> str:
    """`<number>.<hmac>`: names the ticket and proves we issued it."""
    mac = hmac.new(_key("reply-token"), str(ticket_number).encode(), hashlib.sha256).digest()
    signature = base64.b32encode(mac[:TOKEN_BYTES]).decode().lower().rstrip("=")
    return f"{ticket_number}.{signature}"


def verify_reply_token(token: str) -> int | None:
    number, _, signature = token.lower().partition(".")
    if not number.isdigit() or len(number) > 18 or not signature:
        return None
    expected = reply_token(int(number)).partition(".")[2]
    # Constant time: the comparison must not reveal how much of a guess was right.
    return int(number) if hmac.compare_digest(expected, signature) else None


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
