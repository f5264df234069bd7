from django.db import migrations

DEFAULTS = [
    # name, slug, category, pauses_sla
    ("New", "new", "new", False),
    ("Open", "open", "open", False),
    ("Pending", "pending", "pending", True),
    ("On hold", "on-hold", "on_hold", False),
    ("Solved", "solved", "solved", True),
    ("Closed", "closed", "closed", True),
]


def create_statuses(apps, schema_editor):
    Status = apps.get_model("tickets", "Status")
    for position, (name, slug, category, pauses) in enumerate(DEFAULTS):
        Status.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "category": category,
                "pauses_sla": pauses,
                "is_default": True,
                "position": position * 10,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create_statuses, migrations.RunPython.noop)]
