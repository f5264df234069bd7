from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "helpline.jobs"
    label = "jobs"
