from datetime import timedelta

from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "helpline.mail"
    label = "mail"

    def ready(self) -> None:
        from anymail.signals import inbound

        from helpline.jobs import schedule
        from helpline.mail import tasks
        from helpline.mail.subscribers import email_sources, mail_agent_reply
        from helpline.mail.webhooks import store_inbound
        from helpline.tickets import events, sources
        from helpline.tickets.models import EventKind

        # The one receiver: it hands the message to the pipeline's `receive` action.
        inbound.connect(store_inbound, dispatch_uid="helpline-inbound")
        events.subscribe(mail_agent_reply, kinds=[EventKind.REPLY], durable=True)
        sources.register(email_sources)
        schedule.every(timedelta(minutes=5), tasks.requeue_stuck_inbound)
        schedule.every(timedelta(minutes=1), tasks.send_due_outbound)
        schedule.every(timedelta(minutes=1), tasks.poll_imap_mailboxes)
        schedule.every(timedelta(days=1), tasks.forget_old_awaited_mail)
