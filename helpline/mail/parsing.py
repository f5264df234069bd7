"""Raw RFC 5322 bytes → a `ParsedEmail`: decoded text, sanitised HTML, attachments, headers.

Parsing uses the compat32 policy on purpose: it never raises on malformed
headers and leaves decoding to us (see charsets.py), where the modern policy
would either raise lazily or decode split encoded words wrongly.
"""

import email
import email.utils
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message as MimePart
from email.policy import compat32

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from helpline.lib.html import html_to_text, sanitise
from helpline.lib.text import one_line
from helpline.mail.charsets import decode_bytes, decode_header_value, undo_surrogates
from helpline.mail.quotes import visible_reply
from helpline.tickets.files import Upload

MAX_PARTS = 500
MESSAGE_ID = re.compile(r"<([^<>\s]{1,900})>")


class UnparseableEmail(Exception):
    """The bytes are not a message we can make sense of; it goes to quarantine."""


@dataclass
class ParsedEmail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_name: str
    from_address: str
    reply_to: str
    to: list[str]
    cc: list[str]
    text: str
    html: str
    reply_text: str
    attachments: list[Upload] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    return_path: str | None = None
    is_bounce: bool = False
    bounce_message_id: str = ""
    bounce_recipients: list[str] = field(default_factory=list)
    # Authentication-Results values, topmost (added last) first: see authentication.py.
    authentication_results: list[str] = field(default_factory=list)
    # More than one sender named (see parsing._sender): never believed as an agent.
    sender_ambiguous: bool = False

    @property
    def all_references(self) -> list[str]:
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))


def message_ids(raw: object) -> list[str]:
    return MESSAGE_ID.findall(str(raw or ""))


def _get(mime: MimePart, name: str) -> str:
    """A header as sent (raw 8-bit bytes kept as surrogate escapes for charsets.py),
    not compat32's Header object, whose str() turns them into replacement marks."""
    wanted = name.lower()
    for key, value in mime.raw_items():
        if key.lower() == wanted:
            return str(value)
    return ""


def parse(raw: bytes) -> ParsedEmail:
    try:
        return _parse(raw)
    except UnparseableEmail:
        raise
    except Exception as error:
        # The stdlib parser can still trip on some malformed structure; such a
        # message is quarantined with its bytes (and the reason), never retried forever.
        raise UnparseableEmail(f"cannot parse: {type(error).__name__}: {error}"[:500]) from None


def _parse(raw: bytes) -> ParsedEmail:
    try:
        mime = email.message_from_bytes(raw, policy=compat32)
    except Exception as error:  # the parser is lenient; anything escaping is a broken input
        raise UnparseableEmail(f"not a MIME message: {error}") from None
    parts = list(_walk(mime))
    if (count := sum(1 for _ in mime.walk())) > MAX_PARTS:
        raise UnparseableEmail(f"{count} MIME parts; at most {MAX_PARTS} are accepted")
    name, address, ambiguous = _sender(mime)
    if not address:
        raise UnparseableEmail("no valid sender address in From:")
    text, html, attachments = _bodies(parts, report=mime.get_content_type() == "multipart/report")
    parsed = ParsedEmail(
        message_id=(message_ids(_get(mime, "Message-ID")) or [""])[0],
        in_reply_to=message_ids(_get(mime, "In-Reply-To")),
        references=message_ids(_get(mime, "References"))[-50:],
        # One clean line: a subject of control characters alone is no subject.
        subject=one_line(decode_header_value(_get(mime, "Subject")))[:250],
        from_name=name, from_address=address, sender_ambiguous=ambiguous,
        reply_to=_addresses(mime, "Reply-To")[:1][0] if _addresses(mime, "Reply-To") else "",
        to=_addresses(mime, "To"), cc=_addresses(mime, "Cc"),
        text=text, html=html, reply_text=visible_reply(text), attachments=attachments,
        headers=_loop_headers(mime), return_path=_return_path(mime),
        authentication_results=_all(mime, "Authentication-Results")[:20],
    )  # fmt: skip
    _read_bounce(mime, parsed)
    return parsed


def _walk(part: MimePart) -> Iterator[MimePart]:
    """Like Message.walk(), but a forwarded message (message/rfc822) stays one
    attachment instead of spilling its text into the outer message's body."""
    yield part
    if part.is_multipart() and not part.get_content_type().startswith("message/"):
        for child in part.get_payload():
            if isinstance(child, MimePart):
                yield from _walk(child)


def _all(mime: MimePart, name: str) -> list[str]:
    """Every value of a header, in the order they appear (the topmost first)."""
    wanted = name.lower()
    return [str(value) for key, value in mime.raw_items() if key.lower() == wanted]


def _mailboxes(raw_values: list[str]) -> list[tuple[str, str]]:
    """(display name, address) pairs, split BEFORE encoded words are decoded: RFC 2047
    allows them only in display names, and a decoded one may carry a comma and a
    second address ("=?utf-8?b?...?= <real@…>" showing "agent@…,") that mail clients
    and the DKIM signer never read as the sender."""
    pairs = email.utils.getaddresses([undo_surrogates(value) for value in raw_values])
    found = []
    for name, address in pairs:
        address = address.strip().lower()
        if _valid_address(address):
            found.append((decode_header_value(name).strip()[:200], address))
    return found


def _sender(mime: MimePart) -> tuple[str, str, bool]:
    """(name, address, ambiguous): ambiguous when the mail names more than one sender
    (two From headers, or two addresses in one), whom signers and clients may read
    differently (DKIM verifies the bottom-most From; we would read the topmost)."""
    values = _all(mime, "From")
    # With two From headers, the bottom-most: the one a DKIM signature covers.
    found = _mailboxes(values[-1:])
    if not found:
        return "", "", len(values) > 1
    name, address = found[0]
    return name, address, len(values) > 1 or len(found) > 1


def _valid_address(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return len(address) <= 254


def _addresses(mime: MimePart, header: str) -> list[str]:
    return [address for _name, address in _mailboxes(_all(mime, header))][:100]


def _return_path(mime: MimePart) -> str | None:
    if mime.get("Return-Path") is None:
        return None
    value = _get(mime, "Return-Path")
    return value.strip().strip("<>").strip().lower()


LOOP_HEADERS = [
    "Auto-Submitted", "Precedence", "List-Id", "List-Unsubscribe", "X-Auto-Response-Suppress",
    "X-Autoreply", "X-Autorespond", "X-Loop", "X-Helpline-Loop",
]  # fmt: skip


def _loop_headers(mime: MimePart) -> dict[str, str]:
    return {h.lower(): _get(mime, h).strip() for h in LOOP_HEADERS if mime.get(h) is not None}


def _part_text(part: MimePart) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    text = decode_bytes(payload, part.get_content_charset() or part.get_param("charset"))  # type: ignore[arg-type]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if str(part.get_param("format") or "").lower() == "flowed":
        delsp = str(part.get_param("delsp") or "").lower() == "yes"
        text = unflow(text, delete_space=delsp)
    return text


def unflow(text: str, *, delete_space: bool = False) -> str:
    """RFC 3676 format=flowed: a line ending in a space continues on the next line
    (at the same quote depth); the signature separator "-- " never flows."""
    out: list[tuple[int, str]] = []
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        previous = out[-1] if out else None
        flows = previous is not None and previous[1].endswith(" ") and previous[1] != "-- "
        if flows and previous is not None and previous[0] == depth:
            joined = previous[1][:-1] if delete_space else previous[1]
            out[-1] = (depth, joined + content)
        else:
            out.append((depth, content))
    return "\n".join(
        (">" * depth + " " + content if depth else content) if content != "-- " else content
        for depth, content in out
    )


def _is_attachment(part: MimePart) -> bool:
    disposition = (_get(part, "Content-Disposition") or "").split(";")[0].strip().lower()
    return (
        disposition == "attachment" or bool(part.get_filename()) or bool(_get(part, "Content-ID"))
    )


def _bodies(parts: list[MimePart], *, report: bool) -> tuple[str, str, list[Upload]]:
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[Upload] = []
    has_ics_file = any(p.get_filename() and p.get_content_type() != "text/plain" for p in parts)
    for part in parts:
        kind = part.get_content_type()
        if part.is_multipart() and not kind.startswith("message/"):
            continue
        if kind.startswith("message/") or kind == "text/rfc822-headers":
            # A delivery report's parts describe the bounce (read in _read_bounce).
            if not report:
                attachments.append(_embedded_message(part))
        elif kind == "text/calendar" and not part.get_filename() and has_ics_file:
            continue  # the invitation's alternative view; the .ics file is attached
        elif kind in {"text/plain", "text/html"} and not _is_attachment(part):
            (texts if kind == "text/plain" else htmls).append(_part_text(part))
        else:
            attachments.append(_attachment(part))
    html = sanitise("\n".join(htmls)) if htmls else ""
    text = "\n\n".join(t.strip("\n") for t in texts) or (html_to_text(html) if html else "")
    return text.replace("\x00", ""), html, attachments


def _embedded_message(part: MimePart) -> Upload:
    data = _embedded_bytes(part)
    suffix = "eml" if part.get_content_type() == "message/rfc822" else "txt"
    raw_name = part.get_filename()
    filename = decode_header_value(raw_name) if raw_name else f"message.{suffix}"
    return Upload(filename=filename, content=data, content_type=part.get_content_type())


def _embedded_bytes(part: MimePart) -> bytes:
    inner = part.get_payload()
    if not isinstance(inner, list):
        payload = part.get_payload(decode=True)
        return payload if isinstance(payload, bytes) else b""
    chunks = []
    for message in inner:
        if not isinstance(message, MimePart):
            chunks.append(str(message).encode("utf-8", "replace"))
            continue
        try:
            chunks.append(message.as_bytes())
        except (UnicodeError, LookupError, ValueError):
            chunks.append(message.as_string().encode("utf-8", "replace"))
    return b"\n".join(chunks)


def _attachment(part: MimePart) -> Upload:
    payload = part.get_payload(decode=True)
    content = payload if isinstance(payload, bytes) else b""
    raw_name = part.get_filename()
    filename = decode_header_value(raw_name) if raw_name else _default_name(part)
    content_id = (_get(part, "Content-ID") or "").strip().strip("<>")
    disposition = (_get(part, "Content-Disposition") or "").split(";")[0].strip().lower()
    return Upload(
        filename=filename, content=content, content_type=part.get_content_type(),
        content_id=content_id[:255], inline=bool(content_id) and disposition != "attachment",
    )  # fmt: skip


def _default_name(part: MimePart) -> str:
    kind = part.get_content_type()
    extension = {"text/calendar": "ics", "image/png": "png", "image/jpeg": "jpg"}.get(kind, "bin")
    return f"{kind.split('/')[0]}.{extension}"


def _read_bounce(mime: MimePart, parsed: ParsedEmail) -> None:
    if mime.get_content_type() != "multipart/report":
        return
    if (mime.get_param("report-type") or "").lower() != "delivery-status":  # type: ignore[union-attr]
        return
    parsed.is_bounce = True
    for part in mime.walk():
        kind = part.get_content_type()
        if kind in {"text/rfc822-headers", "message/rfc822"}:
            headers = part.get_payload(decode=True) if kind == "text/rfc822-headers" else None
            text = (
                decode_bytes(headers, "utf-8")
                if isinstance(headers, bytes)
                else _embedded_text(part)
            )
            found = MESSAGE_ID.findall(_header_from(text, "Message-ID"))
            parsed.bounce_message_id = parsed.bounce_message_id or (found[0] if found else "")
        elif kind == "message/delivery-status":
            text = _embedded_text(part)
            parsed.bounce_recipients += re.findall(
                r"^Final-Recipient:\s*rfc822;\s*<?([^\s>]+@[^\s>]+)>?", text, re.I | re.M
            )


def _embedded_text(part: MimePart) -> str:
    inner = part.get_payload()
    if isinstance(inner, list):
        return "\n".join(p.as_string() if isinstance(p, MimePart) else str(p) for p in inner)
    return str(inner)


def _header_from(text: str, name: str) -> str:
    match = re.search(rf"^{name}:\s*(.+(?:\n[ \t].+)*)", text, re.I | re.M)
    return match.group(1) if match else ""
