"""Polling a mailbox's IMAP folder: store each message, commit, then flag it \\Seen.

The order matters: a crash after the commit and before the flag only means
the message is fetched again next time, and then recognised as a duplicate.
"""

import logging
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from helpline.lib import clock
from helpline.mail import actions
from helpline.mail.models import ImapFolderState, Mailbox

logger = logging.getLogger(__name__)
BATCH = 50


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def _ssl_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.HELPLINE_IMAP_CA_FILE:
        context.load_verify_locations(settings.HELPLINE_IMAP_CA_FILE)
    return context


def connect(mailbox: Mailbox) -> IMAPClient:
    security = mailbox.imap_security
    client = IMAPClient(
        mailbox.imap_host, port=mailbox.imap_port, ssl=security == Mailbox.ImapSecurity.SSL,
        ssl_context=_ssl_context(), timeout=settings.HELPLINE_IMAP_TIMEOUT,
    )  # fmt: skip
    if security == Mailbox.ImapSecurity.STARTTLS:
        client.starttls(_ssl_context())
    client.login(mailbox.imap_username, mailbox.imap_password())
    return client


def poll(mailbox: Mailbox) -> PollResult:
    result = PollResult()
    state, _ = ImapFolderState.objects.get_or_create(mailbox=mailbox, folder=mailbox.imap_folder)
    try:
        with connect(mailbox) as client:
            _read_folder(client, mailbox, state, result)
    except (IMAPClientError, OSError) as error:
        # The server went away: what was stored stays stored; the next poll resumes.
        result.errors.append(f"{type(error).__name__}: {error}")
        logger.warning("IMAP poll of %s failed: %s", mailbox.address, error)
    state.last_polled_at = clock.now()
    state.last_error = "; ".join(result.errors)[:2000]
    state.save(update_fields=["last_polled_at", "last_error"])
    return result


def _read_folder(
    client: IMAPClient, mailbox: Mailbox, state: ImapFolderState, result: PollResult
) -> None:
    selected = client.select_folder(mailbox.imap_folder)
    uidvalidity = int(selected[b"UIDVALIDITY"])
    if uidvalidity != state.uidvalidity:
        logger.info("UIDVALIDITY of %s changed; reading the folder again", mailbox.address)
        state.uidvalidity, state.last_uid = uidvalidity, 0
        state.save(update_fields=["uidvalidity", "last_uid"])
    uids = sorted(
        u for u in client.search(["UID", f"{state.last_uid + 1}:*"]) if u > state.last_uid
    )
    for start in range(0, len(uids), BATCH):
        for uid in uids[start : start + BATCH]:
            _take(client, mailbox, state, uid, result)


def _take(
    client: IMAPClient, mailbox: Mailbox, state: ImapFolderState, uid: int, result: PollResult
) -> None:
    raw = _fetch(client, uid, result)
    if raw is None:
        raw = _placeholder(mailbox, state, uid, result.errors[-1])
    result.fetched += 1
    with transaction.atomic():
        received = actions.receive(raw=raw, via="imap", mailbox=mailbox)
        state.last_uid = uid
        state.save(update_fields=["last_uid"])
    result.duplicates += received.duplicate
    result.stored += not received.duplicate
    # Only after the commit: a flag on an unstored message would hide it from people.
    client.add_flags([uid], [b"\\Seen"], silent=True)


def _fetch(client: IMAPClient, uid: int, result: PollResult) -> bytes | None:
    try:
        response = client.fetch([uid], [b"BODY.PEEK[]"])
    except IMAPClientError as error:
        if isinstance(error, IMAPClient.AbortError):
            raise
        result.errors.append(f"UID {uid}: {error}")
        return None
    data = response.get(uid, {})
    raw = data.get(b"BODY[]")
    if not isinstance(raw, bytes):
        result.errors.append(f"UID {uid}: the server returned no message body")
        return None
    return raw


def _placeholder(mailbox: Mailbox, state: ImapFolderState, uid: int, error: str) -> bytes:
    """A message the server would not hand over still leaves a trace in the quarantine."""
    return (
        f"X-Helpline-Unfetchable: {mailbox.address} {state.folder} "
        f"uidvalidity={state.uidvalidity} uid={uid}\r\n"
        f"X-Helpline-Error: {error[:500]}\r\n\r\n"
    ).encode("utf-8", "replace")


def poll_all() -> dict[str, PollResult]:
    boxes = Mailbox.objects.filter(is_active=True, transport=Mailbox.Transport.IMAP)
    return {box.address: poll(box) for box in boxes}
