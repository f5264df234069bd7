"""PostgreSQL: ticket numbers from a sequence instead of the counter row, so concurrent
creates do not queue on that row's lock until each commits (ADR 0007). It continues
after the highest number given out so far. SQLite keeps the row (one writer anyway).

The SQL is written here, not imported, so this migration never changes.
"""

from django.db import migrations

FORWARD = [
    "CREATE SEQUENCE tickets_ticket_number_seq AS bigint START 1001"
    " OWNED BY tickets_ticket.number",
    """SELECT setval('tickets_ticket_number_seq', GREATEST(
        1000,
        (SELECT value FROM tickets_counter WHERE name = 'ticket'),
        (SELECT max(number) FROM tickets_ticket)
    ))""",
]
# Back to the row: it continues after the sequence's last number.
BACKWARD = [
    """INSERT INTO tickets_counter (name, value)
        SELECT 'ticket', last_value FROM tickets_ticket_number_seq
        ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value""",
    "DROP SEQUENCE tickets_ticket_number_seq",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_search_requester_fts")]

    operations = [migrations.RunPython(forward, backward)]
