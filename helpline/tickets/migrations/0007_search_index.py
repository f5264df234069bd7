"""Full-text search indexes (see helpline/tickets/search.py).

SQLite: FTS5 tables over message text (words and trigrams) and subjects (trigrams),
kept in step by triggers.
PostgreSQL: GIN expression indexes (tsvector for words, pg_trgm for text without
spaces); PostgreSQL maintains them with the rows, so no trigger is needed.
The SQL is written out here, not imported, so this migration never changes.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE tickets_message_fts USING fts5(body_text,"
    " content='tickets_message', content_rowid='id', tokenize='trigram')",
    # Words (fast for common words, whole words like PostgreSQL's tsvector) ...
    "CREATE VIRTUAL TABLE tickets_message_words USING fts5(body_text,"
    " content='tickets_message', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO tickets_message_words(tickets_message_words) VALUES ('rebuild')",
    """CREATE TRIGGER tickets_message_words_insert AFTER INSERT ON tickets_message
    BEGIN INSERT INTO tickets_message_words(rowid, body_text) VALUES (new.id, new.body_text); END""",
    """CREATE TRIGGER tickets_message_words_delete AFTER DELETE ON tickets_message
    BEGIN INSERT INTO tickets_message_words(tickets_message_words, rowid, body_text)
    VALUES ('delete', old.id, old.body_text); END""",
    """CREATE TRIGGER tickets_message_words_update AFTER UPDATE OF id, body_text ON tickets_message
    BEGIN INSERT INTO tickets_message_words(tickets_message_words, rowid, body_text)
    VALUES ('delete', old.id, old.body_text);
    INSERT INTO tickets_message_words(rowid, body_text) VALUES (new.id, new.body_text); END""",
    # ... and trigrams (text without spaces between words, parts of words).
    "CREATE VIRTUAL TABLE tickets_ticket_fts USING fts5(subject,"
    " content='tickets_ticket', content_rowid='id', tokenize='trigram')",
    "INSERT INTO tickets_message_fts(tickets_message_fts) VALUES ('rebuild')",
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts) VALUES ('rebuild')",
    """CREATE TRIGGER tickets_message_fts_insert AFTER INSERT ON tickets_message
    BEGIN INSERT INTO tickets_message_fts(rowid, body_text) VALUES (new.id, new.body_text); END""",
    """CREATE TRIGGER tickets_message_fts_delete AFTER DELETE ON tickets_message
    BEGIN INSERT INTO tickets_message_fts(tickets_message_fts, rowid, body_text)
    VALUES ('delete', old.id, old.body_text); END""",
    """CREATE TRIGGER tickets_message_fts_update AFTER UPDATE OF id, body_text ON tickets_message
    BEGIN INSERT INTO tickets_message_fts(tickets_message_fts, rowid, body_text)
    VALUES ('delete', old.id, old.body_text);
    INSERT INTO tickets_message_fts(rowid, body_text) VALUES (new.id, new.body_text); END""",
    """CREATE TRIGGER tickets_ticket_fts_insert AFTER INSERT ON tickets_ticket
    BEGIN INSERT INTO tickets_ticket_fts(rowid, subject) VALUES (new.id, new.subject); END""",
    """CREATE TRIGGER tickets_ticket_fts_delete AFTER DELETE ON tickets_ticket
    BEGIN INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject)
    VALUES ('delete', old.id, old.subject); END""",
    """CREATE TRIGGER tickets_ticket_fts_update AFTER UPDATE OF id, subject ON tickets_ticket
    BEGIN INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, subject)
    VALUES ('delete', old.id, old.subject);
    INSERT INTO tickets_ticket_fts(rowid, subject) VALUES (new.id, new.subject); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_message_words_insert",
    "DROP TRIGGER IF EXISTS tickets_message_words_delete",
    "DROP TRIGGER IF EXISTS tickets_message_words_update",
    "DROP TABLE IF EXISTS tickets_message_words",
    "DROP TRIGGER IF EXISTS tickets_message_fts_insert",
    "DROP TRIGGER IF EXISTS tickets_message_fts_delete",
    "DROP TRIGGER IF EXISTS tickets_message_fts_update",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_insert",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_delete",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_update",
    "DROP TABLE IF EXISTS tickets_message_fts",
    "DROP TABLE IF EXISTS tickets_ticket_fts",
]

# The first 100,000 characters of a message: to_tsvector refuses a vector over 1 MB.
PG_FORWARD = [
    # pg_trgm is a trusted extension: a database owner may create it (PostgreSQL 13+).
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX tickets_message_words ON tickets_message"
    " USING gin (to_tsvector('simple'::regconfig, left(body_text, 100000)))",
    "CREATE INDEX tickets_message_trigrams ON tickets_message"
    " USING gin (left(body_text, 100000) gin_trgm_ops)",
    "CREATE INDEX tickets_ticket_subject_words ON tickets_ticket"
    " USING gin (to_tsvector('simple'::regconfig, subject))",
    "CREATE INDEX tickets_ticket_subject_trigrams ON tickets_ticket"
    " USING gin (subject gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS tickets_message_words",
    "DROP INDEX IF EXISTS tickets_message_trigrams",
    "DROP INDEX IF EXISTS tickets_ticket_subject_words",
    "DROP INDEX IF EXISTS tickets_ticket_subject_trigrams",
    # The extension stays: other indexes may use it by then.
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_link_one_parent"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": PG_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": PG_BACKWARD}),
        ),
    ]
