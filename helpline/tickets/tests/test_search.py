"""Free-text search (tickets/search.py): what it finds, what it shows, and to whom.

Runs on SQLite (FTS5 trigram) and, with DATABASE_URL, on PostgreSQL (tsvector + pg_trgm).
"""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpline.contacts.actions import update_contact
from helpline.testing_threads import ON_POSTGRES
from helpline.tickets import access, actions, search
from helpline.tickets.models import Message, Ticket


def found(user, text: str, **kwargs: Any) -> list[str]:
    tickets = search.matching(access.tickets_for(user), text, **kwargs)
    return sorted(tickets.values_list("subject", flat=True))


def listed(response: Any) -> dict[str, str | None]:
    assert response.status_code == 200, response.content
    return {item["subject"]: item["snippet"] for item in response.json()["items"]}


@pytest.fixture
def desk(carol, dana, eve, tech_team, success_team) -> dict[str, Ticket]:
    make = actions.create_ticket
    tickets = {
        "printer": make(
            acting_user=None, requester=dana, subject="Printer on fire", team=tech_team,
            body="It started smoking after the firmware update.", channel="email",
        ),
        "invoice": make(
            acting_user=None, requester=eve, subject="Invoice sent twice", team=success_team,
            body="We were charged twice for the March invoice.", channel="email",
        ),
        "japanese": make(
            acting_user=None, requester=eve, subject="印刷できません", team=tech_team,
            body="プリンターが動きません。至急対応をお願いします。", channel="email",
        ),
    }  # fmt: skip
    actions.add_note(
        ticket=tickets["printer"], acting_user=carol, body="Internal: supplier is Zorbatron."
    )
    return tickets


@pytest.fixture(params=["rare", "common"])
def mode(request, monkeypatch) -> None:
    """Rare and common words are asked in two forms (search.RARE): a list of the
    matching tickets, or each ticket tested in list order. Both must agree."""
    if request.param == "common":
        monkeypatch.setattr(search, "RARE", 0)


@pytest.mark.django_db
@pytest.mark.usefixtures("mode")
class TestWhatItFinds:
    def test_it_finds_words_in_the_subject_and_the_messages(self, carol, desk):
        assert found(carol, "fire") == ["Printer on fire"]
        assert found(carol, "smoking") == ["Printer on fire"]
        assert found(carol, "MARCH invoice") == ["Invoice sent twice"]
        assert found(carol, "twice") == ["Invoice sent twice"]

    def test_it_needs_every_word(self, carol, desk):
        assert found(carol, "charged twice") == ["Invoice sent twice"]
        assert found(carol, "charged smoking") == []

    def test_it_finds_the_number_with_or_without_a_hash(self, carol, desk):
        number = desk["invoice"].number
        assert found(carol, str(number)) == ["Invoice sent twice"]
        assert found(carol, f"#{number}") == ["Invoice sent twice"]

    def test_it_finds_the_requester_by_name_and_email(self, carol, desk):
        assert found(carol, "Dana Customer") == ["Printer on fire"]
        assert found(carol, "eve@globex.example") == ["Invoice sent twice", "印刷できません"]
        assert found(carol, "EVE@GLOBEX.EXAMPLE") == ["Invoice sent twice", "印刷できません"]

    def test_it_finds_an_email_address_written_in_a_message(self, carol, desk):
        actions.add_note(
            ticket=desk["invoice"], acting_user=carol, body="Copy finance@globex.example please."
        )
        assert found(carol, "finance@globex.example") == ["Invoice sent twice"]

    def test_it_finds_text_written_without_spaces(self, carol, desk):
        assert found(carol, "プリンター") == ["印刷できません"]  # a word inside a sentence
        assert found(carol, "至急対応") == ["印刷できません"]
        assert found(carol, "印刷") == ["印刷できません"]  # two characters: under a trigram
        assert found(carol, "動きます") == []

    def test_it_finds_internal_notes_for_agents_but_not_public_only(self, carol, desk):
        assert found(carol, "Zorbatron") == ["Printer on fire"]
        assert found(carol, "Zorbatron", public_only=True) == []
        assert found(carol, "smoking", public_only=True) == ["Printer on fire"]

    def test_it_treats_search_syntax_as_text(self, carol, desk):
        for text in ['"', "fire OR invoice", "NEAR(fire)", "fire*", "%", "_", "'; --", "a:b"]:
            assert "Invoice sent twice" not in found(carol, text)
        # Quotes are characters to find on SQLite; PostgreSQL's word parser drops them.
        expected = [] if connection.vendor == "sqlite" else ["Printer on fire"]
        assert found(carol, '"fire"') == expected


@pytest.mark.django_db
@pytest.mark.usefixtures("mode")
class TestTheIndexFollowsTheRows:
    """Messages are moved, split and merged with bulk update()s: the index must follow."""

    def test_it_follows_a_message_moved_to_another_ticket(self, carol, desk):
        message = desk["printer"].messages.get(is_public=True)
        actions.move_message(message=message, target=desk["invoice"], acting_user=carol)
        assert found(carol, "smoking") == ["Invoice sent twice"]
        assert found(carol, "fire") == ["Printer on fire"]

    def test_it_follows_a_merge(self, carol, desk):
        actions.merge(source=desk["printer"], target=desk["invoice"], acting_user=carol)
        assert found(carol, "Zorbatron") == ["Invoice sent twice"]

    def test_it_follows_text_changed_and_rows_deleted_in_bulk(self, carol, desk):
        Message.objects.filter(ticket=desk["invoice"]).update(body_text="Now about a refund.")
        Ticket.objects.filter(pk=desk["printer"].pk).update(subject="Toner low")
        assert found(carol, "refund") == ["Invoice sent twice"]
        assert found(carol, "charged") == []
        assert found(carol, "Toner") == ["Toner low"]
        assert found(carol, "fire") == []
        Message.objects.filter(ticket=desk["invoice"]).delete()
        assert found(carol, "refund") == []
        assert found(carol, "Toner") == ["Toner low"]

    def test_it_follows_a_requester_renamed_or_given_new_emails(self, carol, dana, desk):
        update_contact(
            contact=dana, acting_user=carol, name="Dana Quoxley",
            emails=["dana@quoxley.example", "d.q@northwind.example"],
        )  # fmt: skip
        assert found(carol, "Quoxley") == ["Printer on fire"]
        assert found(carol, "dana@quoxley") == ["Printer on fire"]
        assert found(carol, "d.q@north") == ["Printer on fire"]
        assert found(carol, "Dana Customer") == []
        assert found(carol, "dana@northwind") == []

    def test_text_under_three_letters_finds_requesters_too(self, carol, desk):
        # Too short for a trigram index: read with LIKE instead.
        assert found(carol, "ev") == ["Invoice sent twice", "印刷できません"]
        assert found(carol, "Da") == ["Printer on fire"]


@pytest.mark.django_db
class TestWhatItShows:
    def test_it_marks_the_match_in_an_html_safe_snippet(self, api_as, carol, dana, tech_team):
        actions.create_ticket(
            acting_user=None, requester=dana, team=tech_team, channel="email",
            subject="<script>alert(1)</script> printer", body="A <b>bold</b> printer & co",
        )  # fmt: skip
        snippet = listed(api_as(carol).get("/tickets", q="printer"))[
            "<script>alert(1)</script> printer"
        ]
        assert snippet == "A &lt;b&gt;bold&lt;/b&gt; <mark>printer</mark> &amp; co"

    def test_it_escapes_the_subject_when_the_match_is_there(self, api_as, carol, dana, tech_team):
        actions.create_ticket(
            acting_user=None, requester=dana, team=tech_team, channel="email",
            subject="<script>alert(1)</script> scanner", body="Nothing here.",
        )  # fmt: skip
        snippet = listed(api_as(carol).get("/tickets", q="scanner"))[
            "<script>alert(1)</script> scanner"
        ]
        assert snippet == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>scanner</mark>"

    def test_it_cuts_a_long_message_around_the_match(self):
        text = "word " * 100 + "needle " + "word " * 100
        snippet = search.highlight(text, ["needle"])
        assert snippet.startswith("…")
        assert snippet.endswith("…")
        assert "<mark>needle</mark>" in snippet
        assert len(snippet) < 200

    def test_it_marks_japanese_text(self, api_as, carol, desk):
        snippet = listed(api_as(carol).get("/tickets", q="至急"))["印刷できません"]
        assert snippet == "プリンターが動きません。<mark>至急</mark>対応をお願いします。"

    def test_it_shows_a_note_to_agents(self, api_as, carol, lee, desk):
        for agent in (carol, lee):
            snippet = listed(api_as(agent).get("/tickets", q="Zorbatron"))["Printer on fire"]
            assert snippet == "Internal: supplier is <mark>Zorbatron</mark>."

    def test_public_only_snippets_never_come_from_a_note(self, carol, desk):
        actions.add_note(ticket=desk["invoice"], acting_user=carol, body="Secret: twice is fraud.")
        rows = {
            t.pk: [t.subject]
            for t in search.matching(Ticket.objects.all(), "twice", public_only=True)
        }
        shown = search.snippets(rows, "twice", public_only=True)
        assert (
            shown[desk["invoice"].pk] == "We were charged <mark>twice</mark> for the March invoice."
        )
        everything = search.snippets(rows, "fraud")
        assert everything[desk["invoice"].pk] == "Secret: twice is <mark>fraud</mark>."
        assert search.snippets(rows, "fraud", public_only=True) == {}


@pytest.mark.django_db
@pytest.mark.usefixtures("mode")
class TestAccess:
    def test_it_never_finds_a_ticket_the_agent_cannot_see(self, api_as, bob, carol, desk):
        # Bob (Customer Success) cannot see Technical Support's printer ticket.
        assert listed(api_as(bob).get("/tickets", q="smoking")) == {}
        assert listed(api_as(bob).get("/tickets", q=str(desk["printer"].number))) == {}
        assert listed(api_as(bob).get("/tickets", q="Zorbatron")) == {}
        assert list(listed(api_as(bob).get("/tickets", q="twice"))) == ["Invoice sent twice"]
        assert list(listed(api_as(carol).get("/tickets", q="smoking"))) == ["Printer on fire"]

    def test_a_snippet_never_shows_a_message_moved_out_of_sight(self, api_as, bob, carol, desk):
        # The invoice ticket (Bob's) keeps its own match; the printer text went elsewhere.
        note = desk["printer"].messages.get(is_public=False)
        Message.objects.filter(pk=note.pk).update(body_text="Zorbatron was charged twice.")
        got = listed(api_as(bob).get("/tickets", q="twice"))
        assert got == {
            "Invoice sent twice": "We were charged <mark>twice</mark> for the March invoice."
        }
        assert "Zorbatron" not in str(got)
        assert "Printer on fire" in listed(api_as(carol).get("/tickets", q="twice"))


@pytest.mark.django_db
def test_searching_the_list_costs_a_fixed_number_of_queries(api_as, carol, dana, tech_team):
    api = api_as(carol)

    def make(count: int) -> None:
        for index in range(count):
            ticket = actions.create_ticket(
                acting_user=carol, requester=dana, subject=f"Printer {index}", team=tech_team,
                body="The printer jams.", tags=["a", "b"], assignee=carol,
            )  # fmt: skip
            actions.reply(ticket=ticket, acting_user=carol, body="Try the printer again.")

    def queries() -> int:
        api.get("/tickets", q="printer")  # warm-up (token last-used time)
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/tickets", q="printer")
        assert response.status_code == 200
        assert all(item["snippet"] for item in response.json()["items"])
        return len(captured)

    make(2)
    small = queries()
    make(15)
    assert queries() == small


@pytest.mark.django_db
def test_it_puts_back_triggers_a_sqlite_table_rebuild_dropped(carol, desk):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's indexes and stored vectors have no triggers to lose")
    with connection.cursor() as cursor:  # what Django's copy-drop-rename of a table does
        for trigger in ("insert", "delete", "update"):
            cursor.execute(f"DROP TRIGGER tickets_message_words_{trigger}")
    actions.add_note(ticket=desk["invoice"], acting_user=carol, body="Ask about Quuxcorp.")
    assert found(carol, "Quuxcorp") == []
    search.reinstall_sqlite_triggers()
    assert found(carol, "Quuxcorp") == ["Invoice sent twice"]
    actions.add_note(ticket=desk["printer"], acting_user=carol, body="Quuxcorp again.")
    assert found(carol, "Quuxcorp") == ["Invoice sent twice", "Printer on fire"]


@pytest.mark.django_db
def test_it_puts_back_the_requester_triggers_a_table_rebuild_dropped(carol, dana, desk):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's trigram indexes have no triggers to lose")
    with connection.cursor() as cursor:
        for table in ("contacts_contact_fts", "contacts_identity_fts"):
            for trigger in ("insert", "delete", "update"):
                cursor.execute(f"DROP TRIGGER {table}_{trigger}")
    update_contact(contact=dana, acting_user=carol, name="Dana Quoxley", emails=["dq@x.example"])
    assert found(carol, "Quoxley") == []
    search.reinstall_sqlite_triggers()
    assert found(carol, "Quoxley") == ["Printer on fire"]
    assert found(carol, "dq@x.example") == ["Printer on fire"]
    update_contact(contact=dana, acting_user=carol, name="Dana Zed", emails=["dz@x.example"])
    assert found(carol, "Dana Zed") == ["Printer on fire"]
    assert found(carol, "dz@x.example") == ["Printer on fire"]
    assert found(carol, "Quoxley") == []


@pytest.mark.django_db
def test_a_word_in_many_subjects_is_read_in_list_order(carol, dana, tech_team, monkeypatch):
    """PostgreSQL lists a rare word's tickets by message and by subject; when the
    subjects alone reach RARE, it reads tickets in list order instead: same result."""
    monkeypatch.setattr(search, "RARE", 3)
    for index in range(4):
        actions.create_ticket(
            acting_user=None, requester=dana, team=tech_team, subject=f"Toner {index} low",
            body="Nothing else here.",
        )  # fmt: skip
    actions.create_ticket(
        acting_user=None, requester=dana, team=tech_team, subject="Other", body="Toner again."
    )
    assert found(carol, "toner") == ["Other", "Toner 0 low", "Toner 1 low", "Toner 2 low",
                                     "Toner 3 low"]  # fmt: skip
    assert found(carol, "toner low") == ["Toner 0 low", "Toner 1 low", "Toner 2 low", "Toner 3 low"]


def plan(sql: str, params: Any = None) -> str:
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.django_db
def test_a_common_word_tests_each_ticket_in_list_order(carol, desk, monkeypatch):
    """For a common word the page is read in list order, each ticket tested on its own
    (a subquery per ticket), not every match collected and sorted first; on PostgreSQL
    that subquery must not be run once for all matches ("hashed")."""
    monkeypatch.setattr(search, "RARE", 0)  # every word counts as common
    tickets = search.matching(access.tickets_for(carol), "smoking").order_by("-updated_at")
    assert list(tickets.values_list("subject", flat=True)) == ["Printer on fire"]
    shown = plan(*tickets.values("pk")[:51].query.sql_with_params())
    if connection.vendor == "sqlite":
        assert "CORRELATED" in shown, shown
    else:
        assert "SubPlan" in shown, shown
        assert "hashed SubPlan" not in shown, shown
        # Each row is tested against its stored vectors (migration 0009), not the
        # vector of its text computed again.
        assert "body_words" in shown, shown
        assert "subject_words" in shown, shown
        assert "to_tsvector" not in shown, shown


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="pg_trgm indexes are PostgreSQL's (set DATABASE_URL)")
@pytest.mark.django_db
def test_it_finds_requesters_through_trigram_indexes(carol, desk):
    """Names and emails are looked up in their pg_trgm indexes (migration 0008), not
    by reading every contact: the index must fit the SQL that Django writes."""
    with CaptureQueriesContext(connection) as captured:
        assert search.matching(access.tickets_for(carol), "dana").exists()
    contacts = next(q["sql"] for q in captured if "contacts_contactidentity" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # tiny tables: make it show
    shown = plan(contacts)
    assert "contacts_contact_name_trigrams" in shown, shown
    assert "contacts_identity_value_trigrams" in shown, shown
