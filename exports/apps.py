"""App config for exports: export jobs, releases, format writers and mask rendering."""

from django.apps import AppConfig

from exports import allocator


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"

    def ready(self):
        # Every process that renders (worker processes, the export and release commands, the web
        # process serving masks) keeps freed memory for the next mask: exports/allocator.py.
        allocator.keep_freed_memory()
        # Connects the receivers that delete export and release files with their rows.
        from exports import stored_files  # noqa: F401
