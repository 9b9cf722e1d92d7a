"""App config for demo: it sits above labeling, as seeding a demo project creates and labels tasks."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "Demo"
