# ruff: noqa: F401, F811  (fixtures imported from test_reply_security)
"""Probe finding: an RFC 2047 encoded-word in From's display name can carry a comma and
another address. Helpline decodes the whole header before splitting it into addresses,
so it reads the address hidden in the display name, while the sending service (which
checked that the account owns the From address before DKIM-signing) and every mail
client read the real one in <...>. Any user of the agents' mail domain (for agents on
a shared domain such as gmail.com: anyone) can then act as an agent when
"agents may reply by email" is on.
"""

import base64

import pytest

from helpline.mail.parsing import parse
from helpline.mail.tests.test_reply_security import (
    DANA,
    TRUSTED,
    VERIFIED_CAROL,
    agents_by_email,
    conversation,
    deliver,
    mailbox,
    reply_address_of,
)
from helpline.tickets.models import Message

MALLORY = "mallory@helpline.test"  # a colleague on the agents' domain, not an agent


def hidden_from(shown: str, real: str) -> str:
    word = base64.b64encode(f"{shown},".encode()).decode()
    return f"=?utf-8?b?{word}?= <{real}>"


def raw(sender: str, to: str, results: list[str]) -> bytes:
    lines = [f"Authentication-Results: {value}" for value in results]
    lines += [f"From: {sender}", f"To: {to}", "Subject: Refund approved",
              "Message-ID: <probe-encoded-from@helpline.test>", "", "Refund approved, go ahead."]  # fmt: skip
    return "\r\n".join(lines).encode() + b"\r\n"


def test_it_reads_the_real_address_not_one_hidden_in_an_encoded_display_name(carol):
    parsed = parse(raw(hidden_from(carol.email, MALLORY), "support@helpline.example", []))
    assert parsed.from_address != carol.email
    assert parsed.from_address == MALLORY  # what the signer and mail clients see


@pytest.mark.django_db
def test_it_does_not_take_a_hidden_agent_address_as_the_agent(
    smtp,
    agents_by_email,
    conversation,
    carol,
):
    # (test_reply_security.TestAgentsByEmail shows the same mail from her real address is hers)
    to = reply_address_of(smtp, DANA)
    sender = hidden_from(carol.email, MALLORY)
    inbound = deliver(raw(sender, to, [VERIFIED_CAROL]), agents_by_email)
    assert not Message.objects.filter(author_user=carol, body_text__startswith="Refund").exists()
    assert inbound.ticket_message is not None
    assert inbound.ticket_message.author_user is None
    assert TRUSTED not in inbound.placement or "from agent" not in inbound.placement


# A second variant of the same differential: two From headers. Helpline reads the topmost. DKIM signs and verifies
# the bottom-most From (RFC 6376 5.4.2, 8.15), so Mallory's own signed mail with a
# `From: carol@…` added on top still verifies as dkim=pass header.d=helpline.test at
# many receiving servers; Helpline reads the topmost one.
def test_it_does_not_take_an_added_topmost_from_as_the_sender(carol):
    mail = raw(MALLORY, "support@helpline.example", [])
    mail = mail.replace(b"From: ", f"From: {carol.email}\r\nFrom: ".encode(), 1)
    try:
        parsed = parse(mail)
    except Exception:  # refusing such a message (quarantine) is a fine answer too
        return
    assert parsed.from_address != carol.email
    assert parsed.from_address == MALLORY


@pytest.mark.django_db
def test_it_does_not_take_a_mail_with_two_froms_as_the_agent(
    smtp, agents_by_email, conversation, carol
):
    to = reply_address_of(smtp, DANA)
    mail = raw(MALLORY, to, [VERIFIED_CAROL])
    mail = mail.replace(b"From: ", f"From: {carol.email}\r\nFrom: ".encode(), 1)
    deliver(mail, agents_by_email)
    assert not Message.objects.filter(author_user=carol, body_text__startswith="Refund").exists()
    # (the positive case, her own verified mail, is TestAgentsByEmail's first test)
    assert Message.objects.filter(ticket=conversation, author_user=None).exists()


@pytest.mark.django_db
def test_it_does_not_take_an_agents_signed_mail_with_a_second_from_as_theirs(
    smtp, agents_by_email, conversation, carol
):
    # The bottom-most From (the one read, and the one DKIM verified) is Carol's; mail
    # clients may show the other one, so the mail is not taken as hers.
    to = reply_address_of(smtp, DANA)
    mail = raw(carol.email, to, [VERIFIED_CAROL])
    mail = mail.replace(b"From: ", f"From: {MALLORY}\r\nFrom: ".encode(), 1)
    inbound = deliver(mail, agents_by_email)
    assert inbound.placement == (
        f"new: reply token of #{conversation.number} was sent to someone else"
        " (not taken as an agent's: the mail names more than one sender)"
    )
    assert inbound.ticket != conversation
    assert inbound.ticket_message.author_contact.primary_email == carol.email
    assert not Message.objects.filter(author_user=carol, body_text__startswith="Refund").exists()
