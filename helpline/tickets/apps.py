from datetime import timedelta

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "helpline.tickets"
    label = "tickets"

    def ready(self) -> None:
        from helpline.jobs import schedule
        from helpline.tickets import tasks

        schedule.every(timedelta(hours=1), tasks.close_solved_tickets)
