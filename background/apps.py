"""App config for background: the one background-job framework every job kind is built on."""

from django.apps import AppConfig


class BackgroundConfig(AppConfig):
    name = "background"
    verbose_name = "Background jobs"
