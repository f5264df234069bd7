"""Background jobs of the ticket domain."""

from django.tasks import task

from helpline.tickets import actions


@task()
def close_solved_tickets() -> int:
    return actions.close_solved_tickets()
