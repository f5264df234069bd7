"""Who mail to a reply address may act as (docs/email.md, "What a reply address proves").

A reply address proves only that its sender received our mail to one recipient; a
From header proves nothing. Mail acts as an agent only when the mailbox allows it
and our receiving server verified the sender's domain (Authentication-Results).
"""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from helpline.mail import actions as mail_actions
from helpline.mail.models import InboundResult, Mailbox, OutboundEmail, OutboundState
from helpline.mail.secrets import legacy_reply_token, reply_token, signature_matches
from helpline.mail.sending import send
from helpline.mail.tests.factories import raw_email
from helpline.mail.tests.smtp_server import SmtpServer
from helpline.tickets import actions
from helpline.tickets.models import LinkKind, Message, Ticket, TicketLink

DANA = "dana@northwind.example"
FRANK = "frank@northwind.example"
TRUSTED = "mx.helpline.example"
VERIFIED_CAROL = f"{TRUSTED}; dkim=pass header.d=helpline.test header.s=sel1"


@pytest.fixture
def mailbox(tech_team) -> Mailbox:
    return Mailbox.objects.create(
        address="support@helpline.example", display_name="Support", team=tech_team
    )


@pytest.fixture
def agents_by_email(mailbox) -> Mailbox:
    mailbox.agents_may_reply_by_email = True
    mailbox.trusted_authserv_ids = TRUSTED
    mailbox.save()
    return mailbox


def deliver(raw: bytes, mailbox: Mailbox):
    received = mail_actions.receive(raw=raw, via="test", mailbox=mailbox)
    return mail_actions.process(inbound_id=received.inbound.pk)


def send_all() -> list[str | None]:
    return [send(pk) for pk in OutboundEmail.objects.due().values_list("pk", flat=True)]


def clear(smtp: SmtpServer) -> None:
    smtp.received.clear()
    smtp.envelopes.clear()


@pytest.fixture
def conversation(smtp, mailbox, carol) -> Ticket:
    """Dana wrote in with Frank in Cc; Carol answered, and the answer went out."""
    ticket = deliver(raw_email(cc=FRANK, subject="Printer on fire"), mailbox).ticket
    actions.reply(ticket=ticket, acting_user=carol, body="Please restart the printer.")
    send_all()
    return ticket


def reply_address_of(smtp: SmtpServer, address: str) -> str:
    """The Reply-To of the mail `address` received (what anyone holding it can write to)."""
    for mail, envelope in zip(smtp.received, smtp.envelopes, strict=True):
        if address in envelope and mail["Auto-Submitted"] == "no":
            return str(mail["Reply-To"].addresses[0].addr_spec)  # type: ignore[union-attr]
    raise AssertionError(f"no reply was mailed to {address}")


def linked_to(ticket: Ticket) -> list[Ticket]:
    links = TicketLink.objects.filter(target=ticket, kind=LinkKind.RELATED)
    return [link.source for link in links]


@pytest.mark.django_db
class TestForgedFrom:
    """Agents may not reply by email (the default): an agent's From is just a stranger's."""

    def test_it_makes_a_forged_agent_mail_to_the_reply_address_a_new_linked_ticket(
        self, smtp, mailbox, conversation, carol
    ):
        messages_before = conversation.messages.count()
        to = reply_address_of(smtp, DANA)  # anyone who saw Dana's mail has it
        clear(smtp)
        forged = raw_email(
            sender=f"Carol Agent <{carol.email}>", to=to,
            subject="Re: Printer on fire", body="Refund approved, send your card number.",
        )  # fmt: skip
        inbound = deliver(forged, mailbox)
        send_all()
        assert inbound.result == InboundResult.CREATED
        assert inbound.ticket != conversation
        assert linked_to(conversation) == [inbound.ticket]
        assert inbound.ticket.requester.primary_email == carol.email
        assert inbound.ticket_message.body_text == "Refund approved, send your card number."
        assert conversation.messages.count() == messages_before
        assert not Message.objects.filter(
            author_user=carol, body_text__startswith="Refund"
        ).exists()
        mailed_to = {address for envelope in smtp.envelopes for address in envelope}
        assert mailed_to == {carol.email}  # only the acknowledgement of the new ticket
        assert DANA not in mailed_to
        assert FRANK not in mailed_to

    def test_it_makes_no_note_of_a_forged_light_agent_mail(self, smtp, mailbox, conversation, lee):
        to = reply_address_of(smtp, DANA)
        inbound = deliver(raw_email(sender=lee.email, to=to, body="Internal: VIP"), mailbox)
        assert inbound.ticket != conversation
        assert linked_to(conversation) == [inbound.ticket]
        assert inbound.ticket_message.body_text == "Internal: VIP"
        assert inbound.ticket_message.is_public
        assert not conversation.messages.filter(is_public=False).exists()
        assert not Message.objects.filter(author_user=lee).exists()

    def test_it_does_not_believe_an_agent_even_with_their_own_token(self, mailbox, ticket, carol):
        to = f"support+{reply_token(ticket.number, carol.email)}@helpline.example"
        headers = {"Authentication-Results": VERIFIED_CAROL}  # the mailbox does not allow it
        inbound = deliver(raw_email(sender=carol.email, to=to, headers=headers), mailbox)
        assert inbound.ticket != ticket
        assert inbound.placement == f"new: sender not a participant of #{ticket.number}"
        assert linked_to(ticket) == [inbound.ticket]
        assert not Message.objects.filter(author_user=carol).exists()


@pytest.mark.django_db
class TestTokensBoundToTheirRecipient:
    def test_it_mails_each_recipient_a_copy_with_their_own_token(self, smtp, conversation):
        replies = [
            (mail, envelope)
            for mail, envelope in zip(smtp.received, smtp.envelopes, strict=True)
            if mail["Auto-Submitted"] == "no"
        ]
        assert sorted(envelope for _mail, envelope in replies) == [[DANA], [FRANK]]
        for mail, [recipient] in replies:
            assert (mail["To"], mail["Cc"]) == (DANA, FRANK)  # everyone sees the conversation
            tag = mail["Reply-To"].addresses[0].username.partition("+")[2]
            assert signature_matches(tag, recipient)
            assert not signature_matches(tag, DANA if recipient == FRANK else FRANK)
        assert len({mail["Message-ID"] for mail, _ in replies}) == 2
        assert len({mail["Reply-To"] for mail, _ in replies}) == 2

    def test_it_shows_each_copys_state_on_the_ticket_page(self, conversation, carol):
        OutboundEmail.objects.filter(envelope_to=FRANK).update(
            state=OutboundState.FAILED, last_error="550 no such user"
        )
        client = Client()
        client.force_login(carol)
        page = client.get(f"/tickets/{conversation.number}/").content.decode()
        assert f"Emailed to {DANA}: Sent" in page
        assert f"Emailed to {FRANK}: Failed permanently: 550 no such user" in page

    def test_it_treats_a_cc_using_the_requesters_token_as_a_stranger(
        self, smtp, mailbox, conversation
    ):
        danas, franks = reply_address_of(smtp, DANA), reply_address_of(smtp, FRANK)
        borrowed = deliver(raw_email(sender=FRANK, to=danas, body="Me too"), mailbox)
        assert borrowed.ticket != conversation
        assert borrowed.placement == (
            f"new: reply token of #{conversation.number} was sent to someone else"
        )
        assert linked_to(conversation) == [borrowed.ticket]
        own = deliver(raw_email(sender=FRANK, to=franks, body="Still smoking"), mailbox)
        assert (own.ticket, own.placement) == (conversation, "reply token")
        assert own.ticket_message.author_contact.primary_email == FRANK

    def test_it_places_a_reply_to_their_own_token_from_the_requester(
        self, smtp, mailbox, conversation
    ):
        inbound = deliver(raw_email(to=reply_address_of(smtp, DANA), body="Restarted"), mailbox)
        assert (inbound.ticket, inbound.placement) == (conversation, "reply token")
        assert inbound.ticket_message.author_contact.primary_email == DANA

    def test_it_still_places_an_old_token_from_a_participant_but_not_from_an_agent(
        self, mailbox, ticket, carol
    ):
        to = f"support+{legacy_reply_token(ticket.number)}@helpline.example"
        from_dana = deliver(raw_email(sender=DANA, to=to, body="Any news?"), mailbox)
        assert (from_dana.ticket, from_dana.placement) == (ticket, "reply token (old format)")
        from_carol = deliver(raw_email(sender=carol.email, to=to, body="Done"), mailbox)
        assert from_carol.ticket != ticket
        assert linked_to(ticket) == [from_carol.ticket]
        assert not Message.objects.filter(author_user=carol).exists()

    def test_it_ignores_a_token_issued_to_nobody(self, mailbox, ticket):
        forged = f"{ticket.number}.{'a' * 21}"
        inbound = deliver(raw_email(to=f"support+{forged}@helpline.example"), mailbox)
        assert inbound.ticket != ticket
        assert inbound.placement == "new: no known Message-ID, reply token or ticket number"
        assert ticket.messages.count() == 1


def agent_mail(
    agent_email: str, to: str, results: list[str], body: str = "Fixed, try now.",
    subject: str = "Re: Printer on fire",
) -> bytes:  # fmt: skip
    """Mail as our receiving server hands it over: its headers are added on top."""
    raw = raw_email(sender=agent_email, to=to, subject=subject, body=body)
    added = "".join(f"Authentication-Results: {value}\r\n" for value in results)
    return added.encode() + raw


@pytest.mark.django_db
class TestAgentsByEmail:
    def test_it_takes_a_verified_agents_mail_as_their_reply_and_mails_it(
        self, smtp, agents_by_email, conversation, carol
    ):
        to = reply_address_of(smtp, DANA)
        clear(smtp)
        inbound = deliver(agent_mail(carol.email, to, [VERIFIED_CAROL]), agents_by_email)
        assert inbound.ticket == conversation
        assert inbound.placement == (
            f"reply token, from agent {carol.email} (dkim=pass header.d=helpline.test by {TRUSTED})"
        )
        message = inbound.ticket_message
        assert (message.author_user, message.is_public) == (carol, True)
        send_all()
        assert sorted(smtp.envelopes) == [[DANA], [FRANK]]

    def test_it_takes_a_verified_light_agents_mail_as_a_note(
        self, smtp, agents_by_email, conversation, lee
    ):
        results = [f"{TRUSTED}; dkim=pass header.d=helpline.test"]
        mail = agent_mail(lee.email, reply_address_of(smtp, DANA), results, "VIP customer")
        inbound = deliver(mail, agents_by_email)
        assert inbound.ticket == conversation
        assert (inbound.ticket_message.author_user, inbound.ticket_message.is_public) == (
            lee,
            False,
        )

    @pytest.mark.parametrize(
        ("results", "why"),
        [
            ([], "missing"),
            ([VERIFIED_CAROL.replace(TRUSTED, "mx.attacker.example")], "untrusted authserv-id"),
            ([f"{TRUSTED}; dkim=pass header.d=attacker.example"], "signed by another domain"),
            ([f"{TRUSTED}; dkim=pass header.d=mail.helpline.test"], "signed by a subdomain"),
            ([f"{TRUSTED}; dkim=fail header.d=helpline.test"], "failed"),
            ([f"{TRUSTED}; dkim=none; spf=pass smtp.mailfrom=helpline.test"], "SPF only"),
            (
                [
                    "mx.other.example; none",
                    f"{TRUSTED}; dkim=fail header.d=helpline.test",
                    VERIFIED_CAROL,
                ],
                "a forged pass below our server's fail",
            ),
            (["this is not ;;; an Authentication-Results header", VERIFIED_CAROL], "unreadable"),
        ],
        ids=lambda value: value if isinstance(value, str) else None,
    )
    def test_it_does_not_take_unverified_mail_as_an_agents(
        self, smtp, agents_by_email, conversation, carol, results, why
    ):
        to = reply_address_of(smtp, DANA)
        clear(smtp)
        inbound = deliver(agent_mail(carol.email, to, results), agents_by_email)
        send_all()
        assert inbound.ticket != conversation
        assert linked_to(conversation) == [inbound.ticket]
        assert inbound.placement.startswith(
            f"new: reply token of #{conversation.number} was sent to someone else"
            " (not taken as an agent's: "
        )
        assert inbound.ticket_message.body_text == "Fixed, try now."
        assert not Message.objects.filter(author_user=carol, body_text="Fixed, try now.").exists()
        mailed_to = {address for envelope in smtp.envelopes for address in envelope}
        assert mailed_to == {carol.email}  # the new ticket's acknowledgement, nothing else

    def test_it_reads_the_trusted_header_below_others_and_folded(
        self, agents_by_email, ticket, carol
    ):
        """Headers above ours were added after our server (a forwarder of our own): they
        neither help nor hurt. A folded header is read unfolded."""
        results = [
            "mx.forwarder.example; dkim=fail",
            f"{TRUSTED};\r\n\tdkim=pass header.d=helpline.test",
        ]
        subject = f"Re: [#{ticket.number}]"  # the subject names the ticket
        mail = agent_mail(carol.email, "support@helpline.example", results, "On it", subject)
        inbound = deliver(mail, agents_by_email)
        assert inbound.ticket == ticket
        assert inbound.ticket_message.author_user == carol

    def test_it_does_not_let_an_agent_answer_a_ticket_they_cannot_see(
        self, agents_by_email, ticket, bob
    ):
        results = [f"{TRUSTED}; dkim=pass header.d=helpline.test"]
        subject = f"Re: [#{ticket.number}]"  # the subject names the ticket
        mail = agent_mail(bob.email, "support@helpline.example", results, "Closing this", subject)
        inbound = deliver(mail, agents_by_email)
        assert inbound.ticket != ticket
        assert linked_to(ticket) == [inbound.ticket]
        assert inbound.placement == (
            f"new: sender not a participant of #{ticket.number}"
            f" (not taken as an agent's: the agent cannot see #{ticket.number})"
        )
        assert not Message.objects.filter(author_user=bob).exists()


@pytest.mark.django_db
class TestTheSetting:
    def test_it_is_off_for_a_new_mailbox(self, mailbox):
        assert mailbox.agents_may_reply_by_email is False

    def test_it_needs_a_trusted_authserv_id(self, mailbox, settings):
        mailbox.agents_may_reply_by_email = True
        with pytest.raises(ValidationError) as refused:
            mailbox.full_clean()
        assert "trusted_authserv_ids" in refused.value.message_dict
        settings.HELPLINE_TRUSTED_AUTHSERV_IDS = "mx.helpline.example, mx2.helpline.example"
        mailbox.full_clean()
        assert mailbox.authserv_ids() == ["mx.helpline.example", "mx2.helpline.example"]

    def test_an_admin_can_turn_it_on(self, mailbox, alice):
        client = Client()
        client.force_login(alice)
        url = f"/admin/mail/mailbox/{mailbox.pk}/change/"
        page = client.get(url)
        assert b'name="agents_may_reply_by_email"' in page.content
        form = {
            "address": mailbox.address, "display_name": mailbox.display_name,
            "team": mailbox.team_id, "language": "en", "transport": "http", "is_active": "on",
            "imap_port": 993, "imap_security": "ssl", "imap_folder": "INBOX",
            "agents_may_reply_by_email": "on",
        }  # fmt: skip
        refused = client.post(url, form)
        assert refused.status_code == 200  # the form again, saying what is missing
        assert b"name its authserv-id" in refused.content
        saved = client.post(url, {**form, "trusted_authserv_ids": TRUSTED})
        assert saved.status_code == 302
        mailbox.refresh_from_db()
        assert (mailbox.agents_may_reply_by_email, mailbox.trusted_authserv_ids) == (True, TRUSTED)
