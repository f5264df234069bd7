from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TicketsConfig(AppConfig):
    name = "helpline.tickets"
    label = "tickets"

    def ready(self) -> None:
        from helpline.tickets.search import reinstall_sqlite_triggers

        post_migrate.connect(reinstall_sqlite_triggers, sender=self)
