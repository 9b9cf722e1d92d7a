"""Changing a project's label configuration."""

from django.db import transaction
from django.db.models import F

from projects import config
from projects.models import LabelConfiguration


def save_configuration(project, data):
    """Validate `data` (Labelyard JSON or DataGym body) and make it the project's configuration.

    Raises config.ConfigurationError, listing every problem, and then changes nothing.
    """
    normalised = config.parse(data)
    with transaction.atomic():
        configuration, _ = LabelConfiguration.objects.select_for_update().get_or_create(project=project)
        configuration.data = normalised
        configuration.revision = F("revision") + 1
        configuration.save(update_fields=["data", "revision", "updated_at"])
        project.bump_revision()
    configuration.refresh_from_db(fields=["revision"])
    return configuration
