"""App config for projects: projects, datasets, media, label configurations and members."""

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects"

    def ready(self):
        # Connects the receivers that delete images and dataset folders with their rows.
        from projects import stored_files  # noqa: F401
