"""Mail naming hundreds of addresses: a few CCs, the rest listed for agents."""

import pytest

from helpline.contacts.models import Contact
from helpline.mail import actions as mail_actions
from helpline.mail.models import Mailbox
from helpline.mail.tests.factories import raw_email


@pytest.fixture(autouse=True)
def support(db) -> Mailbox:
    return Mailbox.objects.create(address="support@helpline.example", display_name="Support")


def deliver(raw: bytes):
    received = mail_actions.receive(raw=raw, via="test", mailbox=Mailbox.objects.get())
    return mail_actions.process(inbound_id=received.inbound.pk)


def addresses(count: int) -> list[str]:
    return [f"person{index:03}@lists.example" for index in range(count)]


@pytest.mark.django_db
class TestManyRecipients:
    def test_only_the_first_addresses_become_ccs_and_a_note_lists_the_rest(self, db):
        everyone = addresses(180)
        ticket = deliver(
            raw_email(to=", ".join(["support@helpline.example", *everyone[:90]]),
                      cc=", ".join(everyone[90:]))
        ).ticket  # fmt: skip
        assert sorted(c.primary_email for c in ticket.ccs.all()) == everyone[:20]
        # No contact for the addresses left out: a mass mailing does not fill the address book.
        assert Contact.objects.count() == 1 + 20
        note = ticket.messages.get(is_public=False)
        assert note.body_text.startswith(
            "This email was also addressed to 160 more people than the 20 copied on the ticket"
        )
        assert all(address in note.body_text for address in everyone[20:])
        assert not any(f"{address}\n" in note.body_text for address in everyone[:20])

    def test_the_limit_is_a_setting(self, settings):
        settings.HELPLINE_MAX_MAIL_CCS = 3
        ticket = deliver(raw_email(cc=", ".join(addresses(5)))).ticket
        assert ticket.ccs.count() == 3
        note = ticket.messages.get(is_public=False)
        assert note.body_text.endswith("person003@lists.example\nperson004@lists.example")

    def test_a_few_addresses_are_all_ccs_without_a_note(self, db):
        ticket = deliver(raw_email(cc=", ".join(addresses(20)))).ticket
        assert ticket.ccs.count() == 20
        assert not ticket.messages.filter(is_public=False).exists()
        assert ticket.messages.count() == 1

    def test_our_own_addresses_and_the_sender_are_never_ccs(self, db):
        ticket = deliver(
            raw_email(cc="support+tag@helpline.example, dana@northwind.example, x@other.example")
        ).ticket
        assert [c.primary_email for c in ticket.ccs.all()] == ["x@other.example"]
