"""App config for labeling: tasks, their labels, the labeler queue, review and import."""

from django.apps import AppConfig


class LabelingConfig(AppConfig):
    name = "labeling"
    verbose_name = "Labeling"
