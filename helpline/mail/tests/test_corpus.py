"""Real-world-shaped mail (corpus/, see its README) parsed to the exact expected result."""

import email
import email.policy
import json
from email.message import Message
from pathlib import Path

import pytest

from helpline.lib.html import html_to_text
from helpline.lib.tests.test_html import scriptable
from helpline.mail.parsing import parse
from helpline.mail.rules import suppresses_automatic_answers

CORPUS = Path(__file__).parent / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())


def case_id(entry: dict) -> str:
    return entry["file"].removesuffix(".eml")


@pytest.fixture(params=MANIFEST, ids=case_id)
def case(request):
    entry = request.param
    return entry, parse((CORPUS / entry["file"]).read_bytes())


def test_headers(case):
    expected, parsed = case
    assert parsed.from_address == expected["from_address"].lower()
    assert parsed.from_name == (expected["from_name"] or "")
    assert parsed.subject == expected["subject"]
    assert parsed.message_id == (expected["message_id"] or "")
    assert parsed.in_reply_to[:1] == ([expected["in_reply_to"]] if expected["in_reply_to"] else [])
    assert parsed.references == expected["references"][-50:]


def test_text(case):
    expected, parsed = case
    for fragment in expected["text_contains"]:
        assert fragment in parsed.text
    if expected["reply_text"] is not None:
        assert parsed.reply_text == expected["reply_text"]


def test_attachments(case):
    expected, parsed = case
    got = [(a.filename, a.content_type, a.inline, a.content_id or None) for a in parsed.attachments]
    want = [
        (a["filename"], a["content_type"], a["inline"], a["content_id"])
        for a in expected["attachments"]
    ]
    assert got == want
    for attachment, spec in zip(parsed.attachments, expected["attachments"], strict=True):
        if spec["content_type"] != "message/rfc822":
            assert len(attachment.content) == spec["size"]


def _words(text: str) -> str:
    return " ".join(text.split())


def _raw_html_parts(entry: dict) -> list[str]:
    """The mail's text/html parts decoded independently of our parser (stdlib email)."""
    raw = email.message_from_bytes(
        (CORPUS / entry["file"]).read_bytes(), policy=email.policy.default
    )
    return [
        _decoded(part)
        for part in raw.walk()
        if part.get_content_type() == "text/html" and part.get_content_disposition() != "attachment"
    ]


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    charset = part.get_content_charset() or "utf-8"
    # As browsers do (WHATWG Encoding): a Latin-1 or ASCII label means windows-1252.
    if charset in {"iso-8859-1", "latin1", "us-ascii"}:
        charset = "cp1252"
    return payload.decode(charset, errors="replace")


def test_html_is_safe(case):
    """Nothing that could run script survives, and sanitising keeps every visible word."""
    expected, parsed = case
    assert scriptable(parsed.html) == []
    for forbidden in expected["html_must_not_contain"]:
        assert forbidden not in parsed.html
    raw_parts = _raw_html_parts(expected)
    if not raw_parts:
        assert parsed.html == ""  # no HTML is invented for a plain-text mail
        return
    visible = _words(html_to_text(parsed.html))
    assert visible == _words(html_to_text("\n".join(raw_parts)))
    for fragment in expected["text_contains"]:
        assert _words(fragment) in visible


@pytest.mark.django_db
def test_automatic_mail_and_bounces(case):
    expected, parsed = case
    assert suppresses_automatic_answers(parsed) == expected["is_auto_reply"]
    assert parsed.is_bounce == expected["is_bounce"]
    assert parsed.bounce_message_id == (expected["bounce_original_message_id"] or "")
