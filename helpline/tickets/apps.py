from datetime import timedelta

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TicketsConfig(AppConfig):
    name = "helpline.tickets"
    label = "tickets"

    def ready(self) -> None:
        from helpline.jobs import schedule
        from helpline.tickets import tasks
        from helpline.tickets.search import reinstall_sqlite_triggers

        schedule.every(timedelta(hours=1), tasks.close_solved_tickets)
        post_migrate.connect(reinstall_sqlite_triggers, sender=self)
