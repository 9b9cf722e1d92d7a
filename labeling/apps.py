"""App config for labeling: tasks, their labels, the labeler queue, review and import."""

from django.apps import AppConfig
from django.db.backends.signals import connection_created

from labeling.fields import load_json_as_text


class LabelingConfig(AppConfig):
    name = "labeling"
    verbose_name = "Labeling"

    def ready(self):
        connection_created.connect(load_json_as_text, dispatch_uid="labeling.load_json_as_text")
        # Connects the receiver that deletes an import's upload with its row.
        from labeling import stored_files  # noqa: F401
