"""Hostile and broken MIME: nothing escapes the pipeline, and nothing is lost."""

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpline.mail import actions
from helpline.mail.models import InboundEmail, InboundState
from helpline.mail.parsing import UnparseableEmail, parse

HEADER_NAMES = st.sampled_from(
    ["From", "To", "Subject", "Message-ID", "In-Reply-To", "References", "Content-Type",
     "Content-Transfer-Encoding", "Content-Disposition", "X-Junk"]
)  # fmt: skip
NASTY_VALUES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([
        b"=?UTF-8?B?!!!notbase64?=", b"=?x-unknown?Q?abc?=", b"multipart/mixed; boundary=",
        b'multipart/mixed; boundary="' + b"b" * 200 + b'"', b"base64", b"quoted-printable",
        b"attachment; filename*=UTF-8''%FF%FE%00", b"<" * 50, b"a@b" + b"\x00" * 10,
        b"=?UTF-8?Q?=E6=97?= =?UTF-8?Q?=A5?=", b"\xff\xfe\xfa", b"x" * 5000,
    ]),
)  # fmt: skip


@st.composite
def hostile_messages(draw) -> bytes:
    headers = draw(st.lists(st.tuples(HEADER_NAMES, NASTY_VALUES), max_size=12))
    lines = [name.encode() + b": " + value for name, value in headers]
    if draw(st.booleans()):
        lines.insert(0, b"From: someone@client.example")
    body = draw(st.one_of(st.binary(max_size=2000), nested_multipart(draw(st.integers(0, 30)))))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def nested_multipart(depth: int) -> st.SearchStrategy[bytes]:
    part = b"Content-Type: text/plain\r\n\r\nleaf\r\n"
    for level in range(depth):
        part = (
            f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n--b{level}\r\n'.encode()
            + part
            + f"--b{level}\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@not base64@@@\r\n".encode()
        )  # no closing boundary on purpose
    return st.just(part)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=hostile_messages())
def test_every_input_ends_as_a_ticket_message_or_a_quarantine_entry(raw):
    received = actions.receive(raw=raw, via="fuzz", mailbox=None)
    inbound = actions.process(inbound_id=received.inbound.pk)
    assert inbound.state in {InboundState.PROCESSED, InboundState.QUARANTINED}
    assert bytes(InboundEmail.objects.get(pk=inbound.pk).raw) == bytes(received.inbound.raw)
    if inbound.state == InboundState.QUARANTINED:
        assert inbound.error
        assert inbound.attempts == 1  # quarantined by a decision, not by a crash


@given(raw=hostile_messages())
@settings(max_examples=300, deadline=None)
def test_the_parser_raises_nothing_but_its_own_error(raw):
    with contextlib.suppress(UnparseableEmail):
        parse(raw)


def test_a_thousand_parts_are_refused_clearly():
    parts = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(1000))
    raw = (
        b'From: a@client.example\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        + parts + b"--b--\r\n"
    )  # fmt: skip
    with pytest.raises(UnparseableEmail, match="1001 MIME parts; at most 500"):
        parse(raw)


def test_nul_bytes_and_huge_headers_are_survived():
    raw = b"From: a@client.example\r\nSubject: " + b"\x00A" * 50_000 + b"\r\n\r\nbody\x00text"
    parsed = parse(raw)
    assert "\x00" not in parsed.subject
    assert len(parsed.subject) == 250
    assert parsed.text == "bodytext"
