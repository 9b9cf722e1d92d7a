"""App config for exports: export jobs, releases, format writers and mask rendering."""

from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"
