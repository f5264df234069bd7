"""Every kind of viewer against every kind of object: what each may read and change.

Viewers: agents by role and team, an inactive agent, customers (requester, CC,
colleague in an organisation that does or does not share tickets, a stranger)
and tracking-link holders. Objects: the ticket, its public reply, its internal
note, their attachments, its links, a contact and an organisation."""

import pytest
from django.http import Http404

from helpline.accounts.access import NoPermission
from helpline.contacts import access as contact_access
from helpline.contacts.actions import create_contact
from helpline.contacts.viewers import LinkHolder
from helpline.tickets import access, actions
from helpline.tickets.files import Upload

EVERYTHING = {
    "ticket": True, "reply": True, "note": True, "reply file": True, "note file": True,
    "links": True, "edit": True, "dana": True, "northwind": True,
}  # fmt: skip
NOTHING = dict.fromkeys(EVERYTHING, False)
PUBLIC_SIDE = NOTHING | {"ticket": True, "reply": True, "reply file": True}

EXPECTED = {
    "alice (admin)": EVERYTHING,
    "carol (agent, sees all)": EVERYTHING,
    "bob (agent, other team)": NOTHING | {"dana": True, "northwind": True},
    "lee (light agent)": EVERYTHING | {"edit": False},
    "an inactive agent": NOTHING,
    "dana (requester)": PUBLIC_SIDE | {"dana": True, "northwind": True},
    "frank (CC)": PUBLIC_SIDE,
    "nina (Northwind, not sharing)": NOTHING | {"northwind": True},
    "nina (Northwind, sharing)": PUBLIC_SIDE | {"northwind": True},
    "eve (stranger)": NOTHING,
    "holder of this ticket's link": PUBLIC_SIDE,
    "holder of another ticket's link": NOTHING,
}


@pytest.fixture
def scene(alice, bob, carol, lee, dana, eve, northwind, ticket, tech_team):
    frank = create_contact(emails=["frank@example.net"], name="Frank", acting_user=None)
    nina = create_contact(emails=["nina@northwind.example"], name="Nina", acting_user=None)
    actions.set_ccs(ticket=ticket, contacts=[frank], acting_user=carol)
    reply = actions.reply(
        ticket=ticket, acting_user=carol, body="Here is the fix.",
        attachments=[Upload(filename="fix.txt", content=b"fix")],
    )  # fmt: skip
    note = actions.add_note(
        ticket=ticket, acting_user=carol, body="Customer is on the old plan.",
        attachments=[Upload(filename="internal.txt", content=b"secret")],
    )  # fmt: skip
    other = actions.create_ticket(
        acting_user=None, requester=eve, subject="Eve's own", body="x", team=tech_team
    )
    actions.link(source=ticket, target=other, kind="related", acting_user=carol)
    inactive = type(carol).objects.create_user(
        "gone@helpline.test", "correct horse battery", name="Gone", is_active=False
    )
    return {
        "ticket": ticket, "reply": reply, "note": note, "other": other,
        "viewers": {
            "alice (admin)": alice, "carol (agent, sees all)": carol,
            "bob (agent, other team)": bob, "lee (light agent)": lee,
            "an inactive agent": inactive, "dana (requester)": dana, "frank (CC)": frank,
            "nina (Northwind, not sharing)": nina, "nina (Northwind, sharing)": nina,
            "eve (stranger)": eve, "holder of this ticket's link": LinkHolder(ticket.pk),
            "holder of another ticket's link": LinkHolder(other.pk),
        },
    }  # fmt: skip


def _found(load) -> bool:
    try:
        load()
    except Http404:
        return False
    return True


def observe(viewer, scene, northwind, dana) -> dict[str, bool]:
    ticket, reply, note = scene["ticket"], scene["reply"], scene["note"]
    seen = access.visible_ticket(viewer, ticket.number)
    messages = (
        set(access.messages_for(viewer, seen).values_list("pk", flat=True)) if seen else set()
    )
    try:
        access.ticket_for_edit(viewer, ticket.number)
        edit = True
    except (Http404, NoPermission):
        edit = False
    return {
        "ticket": seen is not None,
        "reply": reply.pk in messages,
        "note": note.pk in messages,
        "reply file": _found(lambda: access.attachment_for(viewer, reply.attachments.get().pk)),
        "note file": _found(lambda: access.attachment_for(viewer, note.attachments.get().pk)),
        "links": bool(seen and access.visible_links(viewer, seen)),
        "edit": edit,
        "dana": _found(lambda: contact_access.contact_for(viewer, dana.pk)),
        "northwind": _found(lambda: contact_access.organization_for(viewer, northwind.pk)),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(EXPECTED))
def test_it_shows_each_viewer_exactly_their_share(name, scene, northwind, dana):
    northwind.shares_tickets = name == "nina (Northwind, sharing)"
    northwind.save()
    viewer = scene["viewers"][name]
    if hasattr(viewer, "refresh_from_db"):
        viewer.refresh_from_db()  # sees the organisation's setting as saved
    assert observe(viewer, scene, northwind, dana) == EXPECTED[name]


@pytest.mark.django_db
def test_a_light_agent_is_told_why_and_a_customer_cannot_edit(scene, lee, dana):
    with pytest.raises(NoPermission, match="Light agents"):
        access.ticket_for_edit(lee, scene["ticket"].number)
    with pytest.raises(NoPermission, match="Only agents"):
        access.ticket_for_edit(dana, scene["ticket"].number)
    with pytest.raises(NoPermission, match="Only agents"):
        contact_access.contact_for(dana, dana.pk, edit=True)
    assert contact_access.contact_for(
        scene["viewers"]["carol (agent, sees all)"], dana.pk, edit=True
    )


@pytest.mark.django_db
def test_a_message_is_loaded_only_through_a_viewer_who_may_read_it(scene, carol, dana):
    ticket, note = scene["ticket"], scene["note"]
    assert access.message_for(carol, ticket, note.pk) == note
    with pytest.raises(Http404):
        access.message_for(dana, ticket, note.pk)
    assert access.message_for(dana, ticket, scene["reply"].pk) == scene["reply"]


@pytest.mark.django_db
def test_free_text_matches_notes_only_for_viewers_who_may_read_them(scene, carol, dana):
    from helpline.tickets.filters import TicketFilter

    def found(viewer, text: str) -> list[int]:
        filters = TicketFilter.from_params({"q": text})
        tickets = filters.apply(access.tickets_for(viewer), viewer=viewer)
        return list(tickets.values_list("number", flat=True))

    number = scene["ticket"].number
    assert found(carol, "plan") == [number]  # only in the internal note
    assert found(dana, "plan") == []
    assert found(dana, "fix") == [number]  # the public reply
    assert found(LinkHolder(scene["ticket"].pk), "plan") == []
