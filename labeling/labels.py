"""Reading and replacing a task's labels as one document, guarded by the task's version and
checked against the label configuration it is stored under."""

from django.db import transaction
from django.db.models import F

from labeling import limits
from labeling.configuring import configuration_for_write
from labeling.models import Task, TaskLabels
from rules import configuration as config
from rules import labels as labels_document


class StaleVersion(Exception):
    """The task changed since the caller read it; saving now would overwrite someone's work."""

    def __init__(self, current):
        self.current = current
        super().__init__(f"The task was changed by someone else (now at version {current}).")


class InvalidLabels(ValueError):
    """The document breaks the configuration; ``errors`` holds (path, message) pairs."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("; ".join(f"{p}: {m}" for p, m in self.errors))


class ConfigurationChanged(InvalidLabels):
    """The label configuration changed while the save was under way and the labels no longer fit it."""


def index_for(project):
    return config.Index(project.label_configuration.data)


def read_labels(task):
    """Return (document, version) for `task`; an unlabeled task gives an empty document."""
    row = TaskLabels.objects.filter(task=task).values_list("document", flat=True).first()
    return (row if row is not None else labels_document.empty()), task.version


def save_labels(task, document, version, user=None):
    """Replace the labels of `task` if it is still at `version`; returns the new version.

    Validation runs first and writes nothing on error (InvalidLabels); a stale version raises
    StaleVersion. The version check and the write are one transaction, which also holds the
    configuration: when it changed since the first check, the labels are checked again against the
    new one and refused with ConfigurationChanged if they no longer fit.
    """
    seen = task.project.label_configuration
    media, bounds = task.media, limits.from_settings()
    errors = labels_document.validate(document, config.Index(seen.data), media.width, media.height, bounds)
    if errors:
        raise InvalidLabels(errors)
    geometry_count, imported_count = labels_document.summarize(document)
    with transaction.atomic():
        current = configuration_for_write(task.project)
        if current.revision != seen.revision:
            errors = labels_document.validate(document, config.Index(current.data), media.width, media.height, bounds)
            if errors:
                raise ConfigurationChanged(errors)
        if not Task.objects.filter(pk=task.pk, version=version).update(version=F("version") + 1):
            raise StaleVersion(Task.objects.values_list("version", flat=True).get(pk=task.pk))
        TaskLabels.objects.update_or_create(
            task=task,
            defaults={
                "document": document,
                "geometry_count": geometry_count,
                "imported_count": imported_count,
                "updated_by": user,
            },
        )
        task.project.bump_revision()
    task.version = version + 1
    return task.version
