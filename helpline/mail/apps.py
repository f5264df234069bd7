from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "helpline.mail"
    label = "mail"

    def ready(self) -> None:
        from anymail.signals import inbound

        from helpline.mail.webhooks import store_inbound

        # The one receiver: it hands the message to the pipeline's `receive` action.
        inbound.connect(store_inbound, dispatch_uid="helpline-inbound")
