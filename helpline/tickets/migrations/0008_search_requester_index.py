"""Indexes for finding requesters by part of their name or email (see
helpline/tickets/search.py, `_matching_contacts`), so a search no longer reads every
contact.

PostgreSQL: pg_trgm GIN indexes on the very expressions Django writes for
`icontains` (`UPPER(column)`), or PostgreSQL would not use them.
The SQL is written out here, not imported, so this migration never changes.
"""

from django.db import migrations

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",  # migration 0007 created it; kept explicit
    "CREATE INDEX contacts_contact_name_trigrams ON contacts_contact"
    " USING gin (UPPER(name) gin_trgm_ops)",
    "CREATE INDEX contacts_identity_value_trigrams ON contacts_contactidentity"
    " USING gin (UPPER(value) gin_trgm_ops)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS contacts_contact_name_trigrams",
    "DROP INDEX IF EXISTS contacts_identity_value_trigrams",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_contactidentity_undeliverable_since"),
        ("tickets", "0007_search_index"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD}),
            _run({"postgresql": PG_BACKWARD}),
        ),
    ]
