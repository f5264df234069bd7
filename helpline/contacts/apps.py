from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "helpline.contacts"
    label = "contacts"
