"""SQLite: FTS5 trigram tables over contact names and identity values (emails, phones),
so a search finds requesters by part of their name or email without reading every
contact (6-8 ms at 20,000 contacts; see helpline/tickets/search.py, `_matching_contacts`).
They are kept in step by triggers, as the tables of migration 0007 are. PostgreSQL
has pg_trgm indexes for the same (migration 0008).

The SQL is made here, not imported, so this migration never changes.
"""

from django.db import migrations


def _fts_table(index: str, table: str, column: str) -> list[str]:
    """An FTS5 trigram table over `table.column`, filled, and its three triggers."""
    add = f"INSERT INTO {index}(rowid, {column}) VALUES (new.id, new.{column});"
    remove = (
        f"INSERT INTO {index}({index}, rowid, {column}) VALUES ('delete', old.id, old.{column});"
    )
    return [
        f"CREATE VIRTUAL TABLE {index} USING fts5({column},"
        f" content='{table}', content_rowid='id', tokenize='trigram')",
        f"INSERT INTO {index}({index}) VALUES ('rebuild')",
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF id, {column} ON {table}"
        f" BEGIN {remove} {add} END",
    ]


TABLES = [
    ("contacts_contact_fts", "contacts_contact", "name"),
    ("contacts_identity_fts", "contacts_contactidentity", "value"),
]
SQLITE_FORWARD = [sql for spec in TABLES for sql in _fts_table(*spec)]
SQLITE_BACKWARD = [
    f"DROP {kind} IF EXISTS {index}{suffix}"
    for index, _, _ in TABLES
    for kind, suffix in [("TRIGGER", "_insert"), ("TRIGGER", "_delete"), ("TRIGGER", "_update"),
                         ("TABLE", "")]
]  # fmt: skip


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_contactidentity_undeliverable_since"),
        ("tickets", "0009_search_stored_vectors"),
    ]

    operations = [
        migrations.RunPython(_run(SQLITE_FORWARD), _run(SQLITE_BACKWARD)),
    ]
