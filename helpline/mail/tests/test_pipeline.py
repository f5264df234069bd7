"""The inbound pipeline: store first, process exactly once, thread with reasons."""

import pytest

from helpline.lib.text import human_size
from helpline.mail import actions
from helpline.mail.models import AwaitedMessage, InboundResult, InboundState, Mailbox
from helpline.mail.secrets import reply_token
from helpline.mail.tests.factories import raw_email, shuffled_conversations
from helpline.tickets.models import EventKind, LinkKind, Message, Status, Ticket, TicketLink


@pytest.fixture
def mailbox(tech_team) -> Mailbox:
    return Mailbox.objects.create(
        address="support@helpline.example", display_name="Support", team=tech_team
    )


def deliver(raw, mailbox=None, via="test"):
    received = actions.receive(raw=raw, via=via, mailbox=mailbox)
    return actions.process(inbound_id=received.inbound.pk)


@pytest.mark.django_db
class TestNewTickets:
    def test_a_new_message_makes_a_ticket_for_its_sender(self, mailbox):
        inbound = deliver(raw_email(message_id="<m1@client.example>"), mailbox)
        assert (inbound.state, inbound.result) == (InboundState.PROCESSED, InboundResult.CREATED)
        ticket = inbound.ticket
        assert ticket.subject == "Printer on fire"
        assert ticket.channel == "email"
        assert ticket.team == mailbox.team
        assert ticket.requester.primary_email == "dana@northwind.example"
        assert ticket.requester.name == "Dana Customer"
        message = ticket.messages.get()
        assert message.body_text == "It started smoking."
        assert (inbound.full_text, inbound.full_html) == ("", "")  # nothing cut, nothing kept apart
        assert inbound.placement == "new: no known Message-ID, reply token or ticket number"

    @pytest.mark.parametrize("subject", ["", "\x01", " \t\x1f "])
    def test_a_subject_of_nothing_but_control_characters_is_no_subject(self, mailbox, subject):
        raw = b"From: someone@client.example\r\nSubject: " + subject.encode() + b"\r\n\r\nHi"
        assert deliver(raw, mailbox).ticket.subject == "(no subject)"

    def test_a_content_id_cannot_break_out_of_the_image_it_names(self, mailbox):
        from email.message import EmailMessage

        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "dana@northwind.example", mailbox.address, "Hi"
        mail.set_content("hi")
        mail.add_alternative(
            '<p><img src="cid:Z"><img title=" onerror=alert(1) "><img src="cid:ok@x"></p>',
            subtype="html",
        )
        html = next(part for part in mail.iter_parts() if part.get_content_type() == "text/html")
        html.add_related(b"x", maintype="image", subtype="png", cid='<Z"><img title=>')
        html.add_related(b"y", maintype="image", subtype="png", cid="<ok@x>")
        message = deliver(bytes(mail), mailbox).ticket_message
        ok = message.attachments.get(content_id="ok@x")
        # The hostile Content-ID matches no reference and opens no attribute.
        assert message.body_html.strip() == (
            '<p><img src="cid:Z"><img title=" onerror=alert(1) ">'
            f'<img src="/attachments/{ok.pk}/inline"></p>'
        )

    def test_ccs_become_ticket_ccs_but_not_our_own_addresses(self, mailbox):
        raw = raw_email(cc="Bo <bo@northwind.example>, support@helpline.example")
        ticket = deliver(raw, mailbox).ticket
        assert [c.primary_email for c in ticket.ccs.all()] == ["bo@northwind.example"]

    def test_attachments_keep_their_names(self, mailbox):
        raw = raw_email(attachments=[("Rapport März.pdf", b"%PDF-1.4 x", "application/pdf")])
        attachment = deliver(raw, mailbox).ticket.messages.get().attachments.get()
        assert (attachment.filename, attachment.size) == ("Rapport März.pdf", 10)


@pytest.mark.django_db
class TestExactlyOnce:
    @pytest.mark.django_db(transaction=True)
    def test_a_store_refused_for_another_reason_says_that_reason(self, mailbox):
        """Probe finding: every IntegrityError was taken for the dedupe key, and a
        mailbox deleted meanwhile read as "No InboundEmail matches"."""
        from django.db import IntegrityError

        gone = Mailbox(pk=mailbox.pk + 1000, address="gone@helpline.example")
        with pytest.raises(IntegrityError):
            actions.receive(raw=raw_email(message_id="<x1@c.example>"), via="test", mailbox=gone)

    def test_the_same_message_twice_is_one_ticket(self, mailbox):
        raw = raw_email(message_id="<same@client.example>")
        first = actions.receive(raw=raw, via="imap", mailbox=mailbox)
        again = actions.receive(raw=raw, via="http", mailbox=mailbox)
        assert (first.duplicate, again.duplicate) == (False, True)
        actions.process(inbound_id=first.inbound.pk)
        actions.process(inbound_id=first.inbound.pk)
        assert Ticket.objects.count() == 1
        assert Message.objects.count() == 1

    def test_one_message_to_two_of_our_mailboxes_is_one_ticket(self, mailbox):
        other = Mailbox.objects.create(address="billing@helpline.example", display_name="Billing")
        raw = raw_email(
            message_id="<both@client.example>",
            to="support@helpline.example, billing@helpline.example",
        )
        deliver(raw, mailbox)
        deliver(raw, other)
        assert Ticket.objects.count() == 1

    def test_without_a_message_id_the_content_decides(self, mailbox):
        raw = raw_email(message_id="")
        assert b"Message-ID" not in raw
        deliver(raw, mailbox)
        assert actions.receive(raw=raw, via="imap", mailbox=mailbox).duplicate
        assert not actions.receive(raw=raw + b"\nmore", via="imap", mailbox=mailbox).duplicate

    def test_a_crash_while_processing_loses_nothing(self, mailbox, monkeypatch):
        received = actions.receive(raw=raw_email(), via="imap", mailbox=mailbox)

        def crash(*args, **kwargs):
            raise RuntimeError("worker killed")

        monkeypatch.setattr(actions, "_new_ticket", crash)
        failed = actions.process(inbound_id=received.inbound.pk)
        assert (failed.state, failed.attempts) == (InboundState.PENDING, 1)
        assert Ticket.objects.count() == 0
        monkeypatch.undo()
        done = actions.process(inbound_id=received.inbound.pk)
        assert done.state == InboundState.PROCESSED
        assert Ticket.objects.count() == 1

    def test_a_message_that_keeps_failing_ends_in_quarantine(self, mailbox, monkeypatch):
        received = actions.receive(raw=raw_email(), via="imap", mailbox=mailbox)
        monkeypatch.setattr(actions, "_new_ticket", lambda *a: 1 / 0)
        for _ in range(actions.MAX_ATTEMPTS):
            inbound = actions.process(inbound_id=received.inbound.pk)
        assert inbound.state == InboundState.QUARANTINED
        assert inbound.error == "ZeroDivisionError: division by zero"
        assert bytes(inbound.raw) == bytes(received.inbound.raw)

    def test_a_reply_processed_before_its_stored_original_still_joins_it(self, mailbox):
        original = actions.receive(
            raw=raw_email(message_id="<o@client.example>"), via="imap", mailbox=mailbox
        )
        reply = deliver(
            raw_email(
                message_id="<r@client.example>", references="<x@elsewhere> <o@client.example>"
            ),
            mailbox,
        )
        original.inbound.refresh_from_db()
        assert original.inbound.result == InboundResult.CREATED
        assert (reply.result, reply.ticket) == (InboundResult.APPENDED, original.inbound.ticket)
        assert reply.placement == "References <o@client.example>"
        assert actions.process(inbound_id=original.inbound.pk).ticket == reply.ticket
        assert Ticket.objects.count() == 1

    def test_a_chain_of_stored_originals_is_processed_once_each(self, mailbox):
        def store(raw):
            return actions.receive(raw=raw, via="imap", mailbox=mailbox).inbound

        store(raw_email(message_id="<b@c>", in_reply_to="<a@c>", body="B body"))
        store(raw_email(message_id="<a@c>", body="A body"))
        deliver(raw_email(message_id="<x@c>", references="<a@c> <b@c>", body="X body"), mailbox)
        bodies = sorted(Message.objects.values_list("body_text", flat=True))
        assert bodies == ["A body", "B body", "X body"]
        assert Ticket.objects.count() == 1

    def test_messages_that_name_each_other_are_each_processed_once(self, mailbox):
        one = actions.receive(
            raw=raw_email(message_id="<1@client.example>", in_reply_to="<2@client.example>"),
            via="imap", mailbox=mailbox,
        )  # fmt: skip
        deliver(
            raw_email(message_id="<2@client.example>", in_reply_to="<1@client.example>"), mailbox
        )
        assert actions.process(inbound_id=one.inbound.pk).state == InboundState.PROCESSED
        assert Ticket.objects.count() == 1
        assert Message.objects.count() == 2

    def test_an_original_that_fails_does_not_hold_up_its_reply(self, mailbox, monkeypatch):
        original = actions.receive(
            raw=raw_email(message_id="<o@client.example>"), via="imap", mailbox=mailbox
        )
        real_new_ticket = actions._new_ticket
        monkeypatch.setattr(
            actions, "_new_ticket",
            lambda inbound, *a: 1 / 0 if inbound.pk == original.inbound.pk else real_new_ticket(inbound, *a),
        )  # fmt: skip
        reply = deliver(raw_email(in_reply_to="<o@client.example>"), mailbox)
        assert reply.result == InboundResult.CREATED
        original.inbound.refresh_from_db()
        assert (original.inbound.state, original.inbound.attempts) == (InboundState.PENDING, 0)


@pytest.mark.django_db
class TestThreading:
    def test_in_reply_to_a_known_message_appends(self, mailbox):
        first = deliver(raw_email(message_id="<a@client.example>"), mailbox)
        reply = deliver(
            raw_email(message_id="<b@client.example>", in_reply_to="<a@client.example>",
                      body="More detail.\n\nOn Mon, Support wrote:\n> old"),
            mailbox,
        )  # fmt: skip
        assert reply.result == InboundResult.APPENDED
        assert reply.ticket == first.ticket
        assert reply.placement == "In-Reply-To <a@client.example>"
        assert reply.ticket_message.body_text == "More detail."
        assert "> old" in reply.full_text

    def test_references_append_when_in_reply_to_is_unknown(self, mailbox):
        first = deliver(raw_email(message_id="<a@client.example>"), mailbox)
        reply = deliver(
            raw_email(in_reply_to="<unknown@x>", references="<a@client.example> <unknown@x>"),
            mailbox,
        )
        assert reply.ticket == first.ticket
        assert reply.placement == "References <a@client.example>"

    def test_a_signed_reply_token_appends(self, mailbox, ticket, dana):
        to = f"support+{reply_token(ticket.number, 'dana@northwind.example')}@helpline.example"
        inbound = deliver(raw_email(to=to, subject="no number here"), mailbox)
        assert (inbound.ticket, inbound.placement) == (ticket, "reply token")

    def test_a_genuine_token_for_a_ticket_that_is_gone_starts_a_new_one(self, mailbox, ticket):
        gone = ticket.number + 1000
        to = f"support+{reply_token(gone, 'dana@northwind.example')}@helpline.example"
        inbound = deliver(raw_email(to=to, subject="no number here"), mailbox)
        assert (inbound.state, inbound.result) == (InboundState.PROCESSED, InboundResult.CREATED)
        assert inbound.ticket != ticket
        assert inbound.placement == "new: no known Message-ID, reply token or ticket number"

    def test_a_subject_token_of_no_ticket_starts_a_new_one(self, mailbox, ticket):
        cited = deliver(raw_email(subject=f"Re: [#{ticket.number}] Printer"), mailbox)
        assert (cited.result, cited.ticket) == (InboundResult.APPENDED, ticket)
        unknown = deliver(raw_email(subject=f"Re: [#{ticket.number + 1000}] Printer"), mailbox)
        assert (unknown.state, unknown.result) == (InboundState.PROCESSED, InboundResult.CREATED)
        assert unknown.ticket != ticket
        assert unknown.placement == "new: no known Message-ID, reply token or ticket number"

    @pytest.mark.parametrize("cited_by", ["subject token", "reply token"])
    def test_mail_citing_a_merged_ticket_goes_where_it_was_merged(
        self, mailbox, ticket, carol, dana, cited_by
    ):
        from helpline.tickets import actions as ticket_actions

        middle, last = (
            ticket_actions.create_ticket(
                acting_user=None, requester=dana, subject=subject, body="b", team=ticket.team
            )
            for subject in ("Middle", "Last")
        )
        ticket_actions.merge(source=ticket, target=middle, acting_user=carol)
        ticket_actions.merge(source=middle, target=last, acting_user=carol)
        if cited_by == "subject token":
            raw = raw_email(subject=f"Re: [#{ticket.number}] Printer")
        else:
            raw = raw_email(
                to=f"support+{reply_token(ticket.number, 'dana@northwind.example')}@helpline.example"
            )
        inbound = deliver(raw, mailbox)
        assert inbound.result == InboundResult.APPENDED
        assert inbound.ticket == last
        assert inbound.placement.startswith(cited_by)

    def test_a_subject_token_appends(self, mailbox, ticket):
        inbound = deliver(raw_email(subject=f"Re: [#{ticket.number}] Printer"), mailbox)
        assert inbound.ticket == ticket
        assert inbound.placement == f"subject token [#{ticket.number}]"

    def test_a_reply_to_a_closed_ticket_is_a_follow_up_that_says_so(self, mailbox, carol):
        from helpline.tickets import actions as ticket_actions

        first = deliver(raw_email(message_id="<c1@client.example>"), mailbox)
        closed = Status.objects.filter(category="closed").earliest("position")
        ticket_actions.update_ticket(ticket=first.ticket, acting_user=carol, status=closed)
        reply = deliver(
            raw_email(in_reply_to="<c1@client.example>", body="Again.\n\nOn Mon, I wrote:\n> old"),
            mailbox,
        )
        expected = f"follow-up of closed #{first.ticket.number} (In-Reply-To <c1@client.example>)"
        assert (reply.result, reply.placement) == (InboundResult.CREATED, expected)
        assert reply.ticket != first.ticket
        assert reply.ticket_message.ticket == reply.ticket
        assert "> old" in reply.full_text

    def test_a_customer_reply_by_email_reopens_a_solved_ticket(self, mailbox, ticket, carol):
        from helpline.tickets import actions as ticket_actions

        ticket_actions.update_ticket(
            ticket=ticket, acting_user=carol, status=Status.objects.get(slug="solved")
        )
        deliver(raw_email(subject=f"Re: [#{ticket.number}]"), mailbox)
        ticket.refresh_from_db()
        assert ticket.status.slug == "open"


@pytest.mark.django_db
class TestLateOriginals:
    """A reply that arrives before the mail it answers starts a ticket; the original,
    when it comes, joins that ticket and says why."""

    def test_the_late_original_joins_the_ticket_its_reply_started(self, mailbox):
        reply = deliver(
            raw_email(message_id="<r@client.example>", in_reply_to="<o@client.example>"), mailbox
        )
        assert reply.result == InboundResult.CREATED
        original = deliver(raw_email(message_id="<o@client.example>"), mailbox)
        assert (original.result, original.ticket) == (InboundResult.APPENDED, reply.ticket)
        assert original.placement == (
            f"late original <o@client.example>: a reply on #{reply.ticket.number} came first"
        )
        assert Ticket.objects.count() == 1
        assert not AwaitedMessage.objects.exists()

    def test_every_reply_that_came_before_the_original_joins_one_ticket(self, mailbox):
        first = deliver(
            raw_email(message_id="<r1@client.example>", in_reply_to="<o@client.example>"), mailbox
        )
        second = deliver(
            raw_email(message_id="<r2@client.example>", in_reply_to="<o@client.example>",
                      body="And another thing."),
            mailbox,
        )  # fmt: skip
        third = deliver(
            raw_email(message_id="<r3@client.example>", references="<o@client.example>",
                      body="Still waiting."),
            mailbox,
        )  # fmt: skip
        assert first.result == InboundResult.CREATED
        assert (second.result, second.ticket) == (InboundResult.APPENDED, first.ticket)
        assert second.placement == (
            f"In-Reply-To <o@client.example>, not come yet, awaited on #{first.ticket.number}"
        )
        assert (third.result, third.ticket) == (InboundResult.APPENDED, first.ticket)
        assert third.placement.startswith("References <o@client.example>, not come yet")
        original = deliver(raw_email(message_id="<o@client.example>"), mailbox)
        assert (original.result, original.ticket) == (InboundResult.APPENDED, first.ticket)
        assert Ticket.objects.count() == 1
        assert first.ticket.messages.count() == 4

    def test_a_hundred_replies_delivered_in_any_order_are_threaded_without_a_miss(self, mailbox):
        """30 conversations of 2-6 messages, each reply answering the one before or the
        first, delivered shuffled (an mbox out of order): 56 of the 100 replies come before
        the mail they answer, and 10 messages are answered early more than once."""
        conversations = shuffled_conversations()
        assert (conversations.replies, conversations.early, conversations.early_twice) == (
            100, 56, 10,
        )  # fmt: skip
        for _, raw in conversations.order:
            deliver(raw, mailbox)
        assert conversations.misthreaded() == {}
        assert Ticket.objects.count() == len(conversations.threads)

    def test_an_early_reply_never_joins_a_strangers_ticket_awaiting_the_same_mail(self, mailbox):
        lure = deliver(
            raw_email(sender="m@evil.example", in_reply_to="<o@client.example>"), mailbox
        )
        dana = deliver(raw_email(in_reply_to="<o@client.example>"), mailbox)
        assert dana.result == InboundResult.CREATED
        assert dana.ticket != lure.ticket
        assert dana.ticket.requester.primary_email == "dana@northwind.example"
        later = deliver(raw_email(in_reply_to="<o@client.example>", body="Me again."), mailbox)
        assert later.ticket == dana.ticket

    def test_replies_to_the_late_original_follow_it(self, mailbox):
        first_reply = deliver(raw_email(in_reply_to="<o@client.example>"), mailbox)
        deliver(raw_email(message_id="<o@client.example>"), mailbox)
        later = deliver(raw_email(in_reply_to="<o@client.example>", subject="Re: again"), mailbox)
        assert later.ticket == first_reply.ticket
        assert later.placement == "In-Reply-To <o@client.example>"

    def test_a_late_original_from_someone_else_starts_its_own_ticket(self, mailbox):
        reply = deliver(raw_email(in_reply_to="<o@client.example>"), mailbox)
        stranger = deliver(
            raw_email(message_id="<o@client.example>", sender="Mallory <m@evil.example>"), mailbox
        )
        assert stranger.result == InboundResult.CREATED
        assert stranger.ticket != reply.ticket

    def test_a_colleagues_reply_all_that_came_first_is_joined_by_the_original(self, mailbox):
        reply = deliver(
            raw_email(sender="Bo <bo@northwind.example>", cc="dana@northwind.example",
                      in_reply_to="<o@client.example>"),
            mailbox,
        )  # fmt: skip
        original = deliver(
            raw_email(message_id="<o@client.example>", cc="bo@northwind.example"), mailbox
        )
        assert original.ticket == reply.ticket

    def test_a_stranger_cannot_claim_a_message_by_naming_it_and_ccing_its_author(self, mailbox):
        lure = deliver(
            raw_email(sender="m@evil.example", cc="dana@northwind.example",
                      in_reply_to="<secret@northwind.example>", subject="hello"),
            mailbox,
        )  # fmt: skip
        real = deliver(
            raw_email(message_id="<secret@northwind.example>", subject="My password reset"),
            mailbox,
        )
        assert real.result == InboundResult.CREATED
        assert real.ticket != lure.ticket
        assert real.ticket.requester.primary_email == "dana@northwind.example"

    def test_a_strangers_mail_citing_a_ticket_awaits_nothing(self, mailbox, ticket):
        deliver(
            raw_email(sender="m@evil.example", subject=f"[#{ticket.number}]", in_reply_to="<o@x>"),
            mailbox,
        )
        assert not AwaitedMessage.objects.exists()
        assert deliver(raw_email(message_id="<o@x>"), mailbox).result == InboundResult.CREATED

    def test_an_original_not_come_in_30_days_is_not_awaited_any_more(self, mailbox):
        from datetime import timedelta

        from django.utils import timezone

        from helpline.mail.tasks import forget_old_awaited_mail

        deliver(raw_email(in_reply_to="<old@client.example>"), mailbox)
        deliver(raw_email(in_reply_to="<recent@client.example>"), mailbox)
        AwaitedMessage.objects.filter(message_id="old@client.example").update(
            created_at=timezone.now() - timedelta(days=31)
        )
        assert forget_old_awaited_mail.call() == 1
        assert list(AwaitedMessage.objects.values_list("message_id", flat=True)) == [
            "recent@client.example"
        ]

    def test_a_late_original_follows_its_ticket_into_a_merge(self, mailbox, carol):
        from helpline.tickets import actions as ticket_actions

        reply = deliver(raw_email(in_reply_to="<o@client.example>"), mailbox)
        target = deliver(raw_email(subject="Another request"), mailbox).ticket
        ticket_actions.merge(source=reply.ticket, target=target, acting_user=carol)
        original = deliver(raw_email(message_id="<o@client.example>"), mailbox)
        assert original.ticket == target


@pytest.mark.django_db
class TestSpoofing:
    """Mail from a stranger never lands in someone else's ticket."""

    def test_a_stranger_citing_a_ticket_number_gets_a_new_linked_ticket(self, mailbox, ticket):
        raw = raw_email(sender="eve@globex.example", subject=f"Re: [#{ticket.number}]")
        inbound = deliver(raw, mailbox)
        assert inbound.ticket != ticket
        assert inbound.placement == f"new: sender not a participant of #{ticket.number}"
        assert TicketLink.objects.filter(
            source=inbound.ticket, target=ticket, kind=LinkKind.RELATED
        ).exists()
        assert ticket.messages.count() == 1

    def test_a_forged_in_reply_to_from_a_stranger_does_not_append(self, mailbox):
        first = deliver(raw_email(message_id="<private@client.example>"), mailbox)
        forged = deliver(
            raw_email(sender="eve@globex.example", in_reply_to="<private@client.example>"), mailbox
        )
        assert forged.ticket != first.ticket
        assert first.ticket.messages.count() == 1
        # Not dropped: the stranger's mail is a ticket of its own.
        assert forged.result == InboundResult.CREATED
        assert forged.ticket.requester.primary_email == "eve@globex.example"

    def test_a_forged_token_is_refused(self, mailbox, ticket):
        to = f"support+{ticket.number}.aaaaaaaaaaaaaaaa@helpline.example"
        inbound = deliver(raw_email(to=to, subject="hello"), mailbox)
        assert inbound.ticket != ticket
        assert ticket.messages.count() == 1
        # Not dropped: it becomes a new ticket, as mail without any token would.
        assert inbound.result == InboundResult.CREATED
        assert (inbound.ticket.subject, inbound.ticket.requester) == ("hello", ticket.requester)
        assert inbound.ticket_message.body_text == "It started smoking."

    def test_a_forged_agent_from_without_token_is_not_an_agent_reply(self, mailbox, ticket, carol):
        raw = raw_email(sender=f"Carol <{carol.email}>", subject=f"Re: [#{ticket.number}]")
        inbound = deliver(raw, mailbox)
        assert inbound.ticket != ticket
        assert not Message.objects.filter(author_user=carol).exists()
        # Not dropped: a new ticket from a contact with her address, linked to the one cited.
        assert inbound.result == InboundResult.CREATED
        assert inbound.placement == f"new: sender not a participant of #{ticket.number}"
        assert inbound.ticket_message.author_contact.primary_email == carol.email
        assert ticket.messages.count() == 1

    def test_an_agent_replying_with_our_token_is_an_agent_reply(self, mailbox, ticket, carol):
        """Only with the mailbox setting and a verified DKIM signature: tests/test_reply_security.py."""
        mailbox.agents_may_reply_by_email = True
        mailbox.trusted_authserv_ids = "mx.helpline.example"
        mailbox.save()
        to = f"support+{reply_token(ticket.number, carol.email)}@helpline.example"
        verified = {
            "Authentication-Results": "mx.helpline.example; dkim=pass header.d=helpline.test"
        }
        raw = raw_email(sender=carol.email, to=to, body="Fixed, try now.", headers=verified)
        inbound = deliver(raw, mailbox)
        assert inbound.ticket == ticket
        assert inbound.ticket_message.author_user == carol
        assert inbound.ticket_message.is_public


@pytest.mark.django_db
class TestAutomaticMail:
    def test_an_out_of_office_is_a_note_and_does_not_reopen(self, mailbox, ticket, carol):
        from helpline.tickets import actions as ticket_actions

        pending = Status.objects.get(slug="pending")
        ticket_actions.reply(ticket=ticket, acting_user=carol, body="Try this", status=pending)
        raw = raw_email(
            subject=f"Out of office [#{ticket.number}]", headers={"Auto-Submitted": "auto-replied"}
        )
        inbound = deliver(raw, mailbox)
        assert inbound.result == InboundResult.AUTO_REPLY
        ticket.refresh_from_db()
        assert ticket.status.slug == "pending"
        assert not inbound.ticket_message.is_public

    def test_a_bounce_is_attached_to_the_ticket_it_bounces_from(self, mailbox, ticket):
        from helpline.mail.models import MessageReference

        MessageReference.objects.create(
            message_id="sent-1@helpline.example", ticket=ticket, outgoing=True
        )
        dsn = (
            b"From: MAILER-DAEMON@mx.example\r\nTo: support@helpline.example\r\n"
            b"Subject: Undelivered Mail\r\nMessage-ID: <dsn1@mx.example>\r\n"
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
            b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n"
            b"Final-Recipient: rfc822; gone@northwind.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <sent-1@helpline.example>\r\n"
            b"Subject: Re: Printer\r\n--b--\r\n"
        )
        inbound = deliver(dsn, mailbox)
        assert (inbound.result, inbound.ticket) == (InboundResult.BOUNCE, ticket)
        assert "Delivery failed to gone@northwind.example" in inbound.ticket_message.body_text
        assert Ticket.objects.count() == 1

    def test_mail_from_our_own_mailbox_is_ignored(self, mailbox):
        inbound = deliver(raw_email(sender="support@helpline.example"), mailbox)
        assert (inbound.result, inbound.ticket) == (InboundResult.LOOP, None)


@pytest.mark.django_db
class TestQuarantine:
    def test_an_oversized_message_is_quarantined_with_its_bytes(self, mailbox, settings):
        settings.HELPLINE_MAX_EMAIL_BYTES = 1000
        raw = raw_email(body="x" * 2000)
        inbound = deliver(raw, mailbox)
        assert inbound.state == InboundState.QUARANTINED
        assert inbound.error == f"{human_size(len(raw))} is over the 1000 bytes limit"
        assert bytes(inbound.raw) == raw

    def test_a_message_without_a_sender_is_quarantined_and_can_be_retried(self, mailbox, alice):
        inbound = deliver(b"Subject: hi\r\n\r\nbody", mailbox)
        assert (inbound.state, inbound.error) == (
            InboundState.QUARANTINED,
            "no valid sender address in From:",
        )
        again = actions.retry(inbound=inbound, acting_user=alice)
        assert again.state == InboundState.QUARANTINED

    def test_an_inline_image_points_at_the_stored_file(self, mailbox):
        from email.message import EmailMessage

        mail = EmailMessage()
        mail["From"] = "dana@northwind.example"
        mail["To"] = "support@helpline.example"
        mail["Subject"] = "Screenshot"
        mail.set_content("see picture")
        mail.add_alternative('<p>see <img src="cid:pic1@x"></p>', subtype="html")
        html_part = next(p for p in mail.walk() if p.get_content_type() == "text/html")
        html_part.add_related(b"\x89PNG....", "image", "png", cid="<pic1@x>")
        message = deliver(bytes(mail), mailbox).ticket.messages.get()
        attachment = message.attachments.get()
        assert attachment.is_inline
        assert f'src="/attachments/{attachment.pk}/inline"' in message.body_html


@pytest.mark.django_db
def test_the_timeline_records_the_email_reply(mailbox, ticket):
    deliver(raw_email(subject=f"[#{ticket.number}]"), mailbox)
    assert list(ticket.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.REPLY,
    ]


@pytest.mark.django_db
class TestRethreading:
    def test_a_moved_message_takes_its_thread_along(self, mailbox, carol):
        from helpline.tickets import actions as ticket_actions

        first = deliver(raw_email(message_id="<t1@client.example>", subject="Invoice"), mailbox)
        other = deliver(raw_email(message_id="<t2@client.example>", in_reply_to="<t1@client.example>",
                                  subject="Re: Invoice, and also my login"), mailbox)  # fmt: skip
        target = deliver(
            raw_email(message_id="<t3@client.example>", subject="Login"), mailbox
        ).ticket
        ticket_actions.move_message(message=other.ticket_message, target=target, acting_user=carol)
        assert first.ticket.events.filter(kind=EventKind.MESSAGE_MOVED_OUT).exists()
        assert target.events.filter(kind=EventKind.MESSAGE_MOVED_IN).exists()
        follow_up = deliver(
            raw_email(in_reply_to="<t2@client.example>", subject="Re: login"), mailbox
        )
        assert follow_up.ticket == target

    def test_a_bounce_flags_the_address(self, mailbox, ticket):
        from helpline.contacts.models import ContactIdentity
        from helpline.mail.models import MessageReference

        MessageReference.objects.create(
            message_id="sent-9@helpline.example", ticket=ticket, outgoing=True
        )
        dsn = (
            b"From: MAILER-DAEMON@mx.example\r\nTo: support@helpline.example\r\nSubject: failure\r\n"
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
            b"Final-Recipient: rfc822; dana@northwind.example\r\nAction: failed\r\n"
            b"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <sent-9@helpline.example>\r\n--b--\r\n"
        )
        deliver(dsn, mailbox)
        assert (
            ContactIdentity.objects.get(value="dana@northwind.example").undeliverable_since
            is not None
        )


@pytest.mark.django_db
def test_the_sweep_requeues_only_messages_whose_job_is_not_waiting(mailbox):
    from datetime import timedelta

    import time_machine
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from helpline.mail.tasks import requeue_stuck_inbound

    waiting = actions.receive(raw=raw_email(subject="queued"), via="imap", mailbox=mailbox)
    stuck = actions.receive(raw=raw_email(subject="stuck"), via="imap", mailbox=mailbox)
    DBTaskResult.objects.filter(args_kwargs__args=[stuck.inbound.pk]).update(status="RUNNING")
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert requeue_stuck_inbound.call() == 1
    jobs = DBTaskResult.objects.filter(status="READY")
    assert sorted(j.args_kwargs["args"][0] for j in jobs) == sorted(
        [waiting.inbound.pk, stuck.inbound.pk]
    )


@pytest.mark.django_db
def test_a_body_of_nothing_but_control_characters_still_makes_a_ticket(mailbox):
    inbound = deliver(raw_email(body="\x01\x02\x1b"), mailbox)
    assert (inbound.state, inbound.result) == (InboundState.PROCESSED, InboundResult.CREATED)
    assert inbound.ticket.messages.get().body_text == "(no text)"
