"""Free-text search over tickets: one entry point, two databases.

`matching(tickets, text)` narrows a queryset to the tickets whose number, subject,
message text (public replies and, unless `public_only`, internal notes), requester name
or email match every word of `text`; `snippets(tickets, text)` gives each an HTML-safe
excerpt with the matches in `<mark>`. Both take only what the caller may see, so a
ticket outside `tickets` is never matched and a note never shows for `public_only`.

How each database finds the words (the indexes are created by migrations 0007 and 0009):

- SQLite: FTS5 tables over `tickets_message.body_text` (one of words, `unicode61`, and
  one of trigrams) and `tickets_ticket.subject` (trigrams). They are "external
  content" tables (the text is not copied) and triggers keep them in step with every
  INSERT, UPDATE of the text and DELETE, including bulk `update()`s; a message moved
  to another ticket changes no text, so nothing needs re-indexing. Words are looked up
  in the word table (whole words, as on PostgreSQL); text without spaces (Japanese,
  Chinese) in the trigram tables, or with LIKE when shorter than three characters.
- PostgreSQL: each message's and subject's words as a stored generated column
  (`to_tsvector('simple', …)`, written with the row, whichever statement changed it)
  with a GIN index, and `gin_trgm_ops` (pg_trgm) expression indexes for text without
  spaces. A row is tested against its stored vector, never a vector computed anew.

Requester names and emails are matched as a case-insensitive substring of the whole
text, in one query: on PostgreSQL through pg_trgm indexes on `UPPER(name)` and
`UPPER(value)` (migration 0008), on SQLite through FTS5 trigram tables over contact
names and identity values (migration 0010; LIKE for text under three characters).

A search costs the same queries whatever it finds: the contacts, how many messages
match (stopped at RARE; on PostgreSQL this also lists their tickets and those of the
subjects), the page.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Exists,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In
from django.db.models.sql.compiler import SQLCompiler
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpline.contacts.models import Contact, ContactIdentity
from helpline.tickets.models import Message, Ticket

MAX_TERMS = 8
# PostgreSQL: each searched column's stored word vector (migration 0009) and how many
# of its first characters the trigram index holds (migration 0007). A message's first
# 100,000 only: to_tsvector refuses text whose vector would pass 1 MB, and an index
# error would refuse the message itself.
PG_VECTORS: dict[str, tuple[str, int | None]] = {
    "body_text": ("body_words", 100_000),
    "subject": ("subject_words", None),
}
TRIGRAM = 3  # shortest word the FTS5 trigram index can answer
# Scripts written without spaces between words.
NO_SPACES = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f]"
)
SNIPPET_CHARS = 160
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def terms(text: str) -> list[str]:
    """The words to find: split on spaces, without repeats, at most MAX_TERMS."""
    # "#1042" is the ticket number 1042.
    words = dict.fromkeys(re.sub(r"^#(?=[0-9]+$)", "", word) for word in text.split())
    return [w for w in words if w][:MAX_TERMS]


def matching(
    tickets: QuerySet[Ticket], text: str, *, public_only: bool = False
) -> QuerySet[Ticket]:
    """The tickets among `tickets` that match every word of `text` in one place
    (the subject, one message, the requester) or whose number is `text`.

    Two forms of one condition, chosen by how many messages match (RARE):
    - rare words: on PostgreSQL the tickets of those messages and subjects, fetched
      as a list (`_listed_tickets`), OR the requesters and the number, each of which an
      index answers directly (the number is a lookup of its unique index); on SQLite one
      UNION of the ids of each place, which it joins faster than a long list. Either
      way the database reads only the matching tickets and sorts those few;
    - common words: each ticket, read in the list's order, is tested on its own (its
      messages, its subject, its requester, its number) until a page is full. Collecting
      and sorting the 30,000 tickets a common word is in cost 50-110 ms; reading ~150
      tickets in order and their messages by ticket costs a few."""
    words = terms(text)
    if not words:
        return tickets
    requesters = _matching_contacts(" ".join(words))
    number = _number(words)
    if connection.vendor == "sqlite":
        if not _fts5_is_rare(words):
            return tickets.filter(_each_ticket(words, requesters, number, public_only=public_only))
        return tickets.filter(pk__in=_union_of_places(words, requesters, number, public_only))
    listed = _listed_tickets(words, public_only=public_only)
    if listed is None:
        return tickets.filter(_each_ticket(words, requesters, number, public_only=public_only))
    condition = Q(_IdInArray(listed)) if listed else Q(pk__in=[])
    if requesters:
        condition |= Q(requester_id__in=requesters)
    if number is not None:
        condition |= Q(number=number)
    return tickets.filter(condition)


RARE = 2_000  # matching messages up to which listing their tickets first is the faster way


def _listed_tickets(words: list[str], *, public_only: bool) -> list[int] | None:
    """PostgreSQL: the tickets whose subject or a message holds every word, or None
    when RARE or more messages or subjects do (or the planner expects as many).

    Each place is read up to RARE rows. A common word is told by the planner's
    estimate alone (from the column's statistics): reading RARE matching messages
    only to learn that cost 8 ms, most of it heap pages from outside shared buffers.
    The subject joins the list, so the page is read by id alone, with no text tested
    per ticket (an ILIKE on each subject read in list order cost ~9 ms for Japanese)."""
    messages = _matching_messages(words, public_only=public_only).order_by()
    if _estimated_rows(messages) >= RARE:
        return None
    subjects = Ticket.objects.filter(_subject_matches(words)).order_by()
    found = set()
    for place, column in ((messages, "ticket_id"), (subjects, "pk")):
        ids = list(place.values_list(column, flat=True)[:RARE])
        if len(ids) >= RARE:
            return None
        found.update(ids)
    return sorted(found)


def _estimated_rows(rows: QuerySet[Any]) -> float:
    """PostgreSQL's estimate of how many rows a query finds (EXPLAIN, nothing run)."""
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    return float(plan[0]["Plan"]["Plan Rows"])


def _union_of_places(
    words: list[str], requesters: list[int], number: int | None, public_only: bool
) -> QuerySet[Message, Any]:
    """SQLite, rare words: the ids of the tickets matching in each place, one UNION."""
    places = [Ticket.objects.filter(_subject_matches(words)).order_by().values("pk")]
    if requesters:
        places.append(Ticket.objects.filter(requester_id__in=requesters).order_by().values("pk"))
    if number is not None:
        places.append(Ticket.objects.filter(number=number).order_by().values("pk"))
    messages = _matching_messages(words, public_only=public_only).order_by()
    return messages.values("ticket_id").union(*places)


def _each_ticket(
    words: list[str], requesters: list[int], number: int | None, *, public_only: bool
) -> Q:
    """The search as a test of one ticket (the outer row), for reading in list order."""
    messages = _matching_messages(words, public_only=public_only, by_ticket=True)
    messages = messages.filter(ticket_id=OuterRef("pk"))
    if connection.vendor == "postgresql":
        # PostgreSQL may run an `EXISTS (… ticket_id = outer.id)` as "hashed": every
        # matching message listed once, which is the very cost this form avoids. It can
        # only hash plain equalities with the outer row, so this always-true `>=`
        # keeps the test per ticket (through the ticket_id index, as before).
        messages = messages.filter(ticket_id__gte=OuterRef("pk"))
    condition = Q(Exists(messages)) | _subject_matches(words)
    if requesters:
        condition |= Q(requester_id__in=requesters)
    if number is not None:
        condition |= Q(number=number)
    return condition


def snippets(
    tickets: Mapping[int, Sequence[str]], text: str, *, public_only: bool = False
) -> dict[int, SafeString]:
    """For each ticket (by pk) an HTML-safe excerpt around the first match: from the
    earliest matching message the viewer may see, else from the first of the ticket's
    other texts given here (its subject, its requester's name and email) that matches."""
    words = terms(text)
    if not words or not tickets:
        return {}
    found: dict[int, SafeString] = {}
    messages = (
        _matching_messages(words, public_only=public_only, by_ticket=True)
        .filter(ticket_id__in=list(tickets))
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "body_text")
    )
    for ticket_id, body in messages:
        if ticket_id not in found:
            found[ticket_id] = highlight(body, words)
    pattern = _pattern(words)
    for pk, others in tickets.items():
        if pk not in found:
            first = next((candidate for candidate in others if pattern.search(candidate)), None)
            if first is not None:
                found[pk] = highlight(first, words)
    return found


def highlight(text: str, words: Iterable[str], width: int = SNIPPET_CHARS) -> SafeString:
    """`width` characters of `text` around the first match, escaped, matches in <mark>.

    Escaping comes first and marks are added around escaped pieces only, so nothing in
    the text (a `<script>` in a subject, say) can become markup."""
    flat = " ".join(text.split())
    pattern = _pattern(list(words))
    first = pattern.search(flat)
    start = max(0, first.start() - width // 3) if first else 0
    end = min(len(flat), start + width)
    window = flat[start:end]
    pieces = ["…" if start else ""]
    position = 0
    for match in pattern.finditer(window):
        pieces += [
            escape(window[position : match.start()]),
            MARK_OPEN,
            escape(match.group()),
            MARK_CLOSE,
        ]
        position = match.end()
    pieces += [escape(window[position:]), "…" if end < len(flat) else ""]
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of text is escaped above


def _pattern(words: list[str]) -> re.Pattern[str]:
    longest_first = sorted(words, key=len, reverse=True)
    return re.compile("|".join(re.escape(w) for w in longest_first), re.IGNORECASE)


def _number(words: list[str]) -> int | None:
    if len(words) == 1 and re.fullmatch(r"[0-9]{1,18}", words[0]):
        return int(words[0])
    return None


MAX_CONTACTS = 200  # requesters a name or email may match; more is not a useful search


def _matching_contacts(text: str) -> list[int]:
    """Ids of contacts whose name or an email contains `text`, fetched first: as a
    list the database knows how few tickets they mean, while a LIKE subquery's guess
    (half the contacts) made PostgreSQL join every ticket.

    Names and emails are a UNION, not an OR with a subquery: an OR made PostgreSQL
    read every contact, while each half alone uses its trigram index (migration 0008);
    SQLite asks its FTS5 trigram tables (migration 0010)."""
    contacts, identities = Contact.objects.all(), ContactIdentity.objects.all()
    if connection.vendor == "sqlite":
        by_name = contacts.filter(pk__in=_fts5_rowids("contacts_contact_fts", "name", [text]))
        by_email = identities.filter(
            pk__in=_fts5_rowids("contacts_identity_fts", "value", [text.lower()])
        )
    else:
        by_name = contacts.filter(name__icontains=text)
        by_email = identities.filter(value__icontains=text.lower())
    ids = by_name.order_by().values_list("pk").union(by_email.order_by().values_list("contact_id"))
    return [pk for (pk,) in ids.order_by()[:MAX_CONTACTS]]


def _matching_messages(
    words: list[str], *, public_only: bool, by_ticket: bool = False
) -> QuerySet[Message]:
    """Messages holding every word. `by_ticket`: the caller narrows them to a few
    tickets, so SQLite must read them by ticket and test each against the word index
    (`+id`), not read every match the index lists and then test its ticket."""
    messages = Message.objects.all()
    if public_only:
        messages = messages.filter(is_public=True)
    if connection.vendor == "postgresql":
        return messages.filter(_PgMatch("body_text", words))
    spaced = [w for w in words if not NO_SPACES.search(w)]
    unspaced = [w for w in words if NO_SPACES.search(w)]
    if spaced:
        messages = messages.filter(
            _id_in(_fts5_words("tickets_message_words", spaced), plain=by_ticket)
        )
    if unspaced:
        messages = messages.filter(
            _id_in(_fts5_rowids("tickets_message_fts", "body_text", unspaced), plain=by_ticket)
        )
    return messages


def _id_in(rowids: RawSQL, *, plain: bool) -> Q:
    if not plain:
        return Q(pk__in=rowids)
    # `+id` is SQLite's way to say "do not look rows up by this": an expression is no index.
    plain_id = Func(F("pk"), template="+%(expressions)s", output_field=BigIntegerField())
    return Q(In(plain_id, rowids))


def _subject_matches(words: list[str]) -> Q:
    """The ticket's subject holds every word: PostgreSQL tests the row (its GIN
    index answers it, or ORs it with other indexes), SQLite asks the FTS5 table."""
    if connection.vendor == "postgresql":
        return Q(_PgMatch("subject", words))
    return Q(pk__in=_fts5_rowids("tickets_ticket_fts", "subject", words))


def _fts5_is_rare(words: list[str]) -> bool:
    """Whether fewer than RARE messages hold the words, counted in the FTS5 index
    alone (no message row is read); False for words only LIKE can find."""
    spaced = [w for w in words if not NO_SPACES.search(w)]
    if spaced:
        table, where, params = (
            "tickets_message_words",
            "tickets_message_words MATCH %s",
            [_fts5_phrases(spaced)],
        )
    elif any(len(w) >= TRIGRAM for w in words):
        table = "tickets_message_fts"
        where, params = _fts5_where(table, "body_text", words)
    else:
        return False  # LIKE alone reads every row either way: read in list order
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {where} LIMIT {RARE})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return bool(cursor.fetchone()[0] < RARE)


def _fts5_rowids(table: str, column: str, words: list[str]) -> RawSQL:
    """Rows of an FTS5 trigram table holding every word (a phrase each, ANDed)."""
    where, params = _fts5_where(table, column, words)
    # Table and column names are this module's constants; the words are parameters.
    return RawSQL(f"SELECT rowid FROM {table} WHERE {where}", params)  # noqa: S608, S611


def _fts5_words(table: str, words: list[str]) -> RawSQL:
    """Rows of an FTS5 word (unicode61) table with every word, each as a phrase: an
    email address or "foo-bar" is then its words in a row."""
    return RawSQL(f"SELECT rowid FROM {table} WHERE {table} MATCH %s", [_fts5_phrases(words)])  # noqa: S608, S611


def _fts5_phrases(words: list[str]) -> str:
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def _fts5_where(table: str, column: str, words: list[str]) -> tuple[str, list[str]]:
    long = [w for w in words if len(w) >= TRIGRAM]
    short = [w for w in words if len(w) < TRIGRAM]
    where, params = [], []
    if long:
        where.append(f"{table} MATCH %s")
        params.append(_fts5_phrases(long))
    for word in short:  # trigrams cannot answer these: LIKE reads the text
        where.append(f"{column} LIKE %s ESCAPE '\\'")
        params.append(f"%{_like_escape(word)}%")
    return " AND ".join(where), params


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class _IdInArray(Func):
    """PostgreSQL: `id = ANY(%s::bigint[])`, the ids as one parameter. As `IN (%s, %s, …)`
    each of up to RARE ids is a parameter for Django to prepare, psycopg to quote and
    PostgreSQL to parse and estimate one by one: ~10 ms for 1,000 ids on this machine.
    The array goes as its text form: psycopg's list adapter runs in Python (~1 ms), and
    would send small ints as int4[], and `bigint = ANY(int4[])` is neither hashed nor
    well estimated (a parallel scan of the whole list, 300 ms)."""

    output_field = BooleanField()

    def __init__(self, ids: list[int]) -> None:
        super().__init__(F("pk"))
        self.ids = ids

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        column, column_params = compiler.compile(self.source_expressions[0])
        array = "{" + ",".join(str(int(pk)) for pk in self.ids) + "}"
        return f"{column} = ANY(%s::bigint[])", [*column_params, array]


class _PgMatch(Func):
    """`column` holds every word: its stored vector (migration 0009) `@@
    plainto_tsquery(…)` for words, `ILIKE` (pg_trgm's index, migration 0007) for text
    without spaces. The ILIKE repeats that index's expression exactly, or PostgreSQL
    would not use it."""

    output_field = BooleanField()

    def __init__(self, column: str, words: list[str]) -> None:
        super().__init__(F(column))
        self.words = [w for w in words if not NO_SPACES.search(w)]
        self.patterns = [f"%{_like_escape(w)}%" for w in words if NO_SPACES.search(w)]
        self.vector, self.chars = PG_VECTORS[column]

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        column, column_params = compiler.compile(self.source_expressions[0])
        assert not column_params  # a plain column: `"alias"."name"`
        parts, params = [], []
        if self.words:
            # The stored vector is a column of the same row, so of the same table alias.
            table = column.rsplit(".", 1)[0]
            parts.append(f"{table}.\"{self.vector}\" @@ plainto_tsquery('simple'::regconfig, %s)")
            params.append(" ".join(self.words))
        target = f"left({column}, {self.chars})" if self.chars else column
        for pattern in self.patterns:
            parts.append(f"{target} ILIKE %s")
            params.append(pattern)
        return "(" + " AND ".join(parts) + ")", params


# --- Keeping the SQLite index installed --------------------------------------------
# Django rebuilds a SQLite table for some schema changes (copy, drop, rename), and
# dropping the table drops its triggers. After every `migrate` they are put back.

# (FTS5 table, the table it indexes, the indexed column): each kept by three triggers.
SQLITE_INDEXES = [
    ("tickets_message_fts", "tickets_message", "body_text"),
    ("tickets_message_words", "tickets_message", "body_text"),
    ("tickets_ticket_fts", "tickets_ticket", "subject"),
    ("contacts_contact_fts", "contacts_contact", "name"),
    ("contacts_identity_fts", "contacts_contactidentity", "value"),
]
TRIGGER_EVENTS = ("insert", "delete", "update")


def _sync_trigger(index: str, table: str, column: str, event: str) -> str:
    """The trigger that keeps the external-content FTS5 table `index` in step with
    `table.column` on `event` (an update deletes the old text, then adds the new).
    The names come from SQLITE_INDEXES only, never from input."""
    add = f"INSERT INTO {index}(rowid, {column}) VALUES (new.id, new.{column});"  # noqa: S608
    remove = (
        f"INSERT INTO {index}({index}, rowid, {column}) VALUES ('delete', old.id, old.{column});"  # noqa: S608
    )
    when, body = {
        "insert": ("AFTER INSERT", add),
        "delete": ("AFTER DELETE", remove),
        "update": (f"AFTER UPDATE OF id, {column}", f"{remove} {add}"),
    }[event]
    return f"CREATE TRIGGER IF NOT EXISTS {index}_{event} {when} ON {table} BEGIN {body} END"


def reinstall_sqlite_triggers(using: str = "default", **_: Any) -> None:
    """A post_migrate receiver: the triggers again if a table rebuild dropped them, and
    the index rebuilt from the table then, since rows may have changed without them.
    Only for the FTS5 tables that exist (before their migration, or after it was
    reversed, there is nothing to keep)."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    with conn.cursor() as cursor:
        names = {row[0] for row in cursor.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"
        )}  # fmt: skip
        for index, table, column in SQLITE_INDEXES:
            triggers = {f"{index}_{event}" for event in TRIGGER_EVENTS}
            if index not in names or triggers <= names:
                continue
            for event in TRIGGER_EVENTS:
                cursor.execute(_sync_trigger(index, table, column, event))
            cursor.execute(f"INSERT INTO {index}({index}) VALUES ('rebuild')")  # noqa: S608
