"""PostgreSQL: the words of each message and subject kept in a stored column.

Migration 0007 indexed `to_tsvector('simple', …)` as an expression. The index answers
"which rows hold these words" without computing anything, but every test of one row
(a common word tested ticket by ticket, the snippets of a page, a subject tested while
the list is read in order) computed the vector again from the text: 20-30 ms for a
page of a common word at 100,000 tickets. A generated column holds the vector once,
written with the row, and the GIN index is built on that column instead.

The columns are not fields of the Django models (SQLite has no tsvector, and nothing
reads them but helpline/tickets/search.py). PostgreSQL refuses to change the type of
`body_text` or `subject` while a generated column is computed from it: a later
migration that must do so drops the column first and adds it back after.

The SQL is written out here, not imported, so this migration never changes.
"""

from django.db import migrations

PG_FORWARD = [
    "ALTER TABLE tickets_message ADD COLUMN body_words tsvector GENERATED ALWAYS AS"
    " (to_tsvector('simple'::regconfig, left(body_text, 100000))) STORED",
    "DROP INDEX IF EXISTS tickets_message_words",
    "CREATE INDEX tickets_message_words ON tickets_message USING gin (body_words)",
    "ALTER TABLE tickets_ticket ADD COLUMN subject_words tsvector GENERATED ALWAYS AS"
    " (to_tsvector('simple'::regconfig, subject)) STORED",
    "DROP INDEX IF EXISTS tickets_ticket_subject_words",
    "CREATE INDEX tickets_ticket_subject_words ON tickets_ticket USING gin (subject_words)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS tickets_message_words",
    "ALTER TABLE tickets_message DROP COLUMN IF EXISTS body_words",
    "CREATE INDEX tickets_message_words ON tickets_message"
    " USING gin (to_tsvector('simple'::regconfig, left(body_text, 100000)))",
    "DROP INDEX IF EXISTS tickets_ticket_subject_words",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS subject_words",
    "CREATE INDEX tickets_ticket_subject_words ON tickets_ticket"
    " USING gin (to_tsvector('simple'::regconfig, subject))",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0008_search_requester_index"),
    ]

    operations = [
        migrations.RunPython(_run(PG_FORWARD), _run(PG_BACKWARD)),
    ]
