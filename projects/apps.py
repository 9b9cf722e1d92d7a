"""App config for projects: projects, datasets, media, label configurations and members."""

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "Projects"
