"""Creating datasets, and attaching them to projects: one task per (project, image), created and
removed together."""

from django.db import IntegrityError, transaction

from labeling.models import Task
from projects import unique_names
from projects.models import Dataset, Media

BATCH_SIZE = 2000


class DatasetRejected(ValueError):
    """The dataset cannot be created as asked; the message says why."""


def create_dataset(name, owner, short_description=""):
    """Create a dataset of `owner`; DatasetRejected when they already have one named `name`."""
    message = unique_names.check(Dataset, name, owner, acting=owner)
    if message is not None:
        raise DatasetRejected(message)
    try:
        with transaction.atomic():
            return Dataset.objects.create(name=name, short_description=short_description, created_by=owner)
    except IntegrityError as error:
        # A parallel request took the name between the check and the insert.
        raise DatasetRejected(unique_names.taken_message(Dataset, name, owner, acting=owner)) from error


@transaction.atomic
def attach_dataset(project, dataset):
    """Attach `dataset` and create the missing tasks; returns how many were created. Idempotent."""
    project.datasets.add(dataset)
    return create_missing_tasks(project, dataset)


def create_missing_tasks(project, dataset):
    existing = set(Task.objects.filter(project=project, media__dataset=dataset).values_list("media_id", flat=True))
    media_ids = Media.objects.filter(dataset=dataset).values_list("id", flat=True)
    new = [Task(project=project, media_id=m) for m in media_ids.iterator() if m not in existing]
    Task.objects.bulk_create(new, batch_size=BATCH_SIZE, ignore_conflicts=True)
    if new:
        project.bump_revision()
    return len(new)


def create_tasks_for_dataset(dataset):
    """Create the tasks of new images in every project `dataset` is attached to."""
    return sum(create_missing_tasks(project, dataset) for project in dataset.projects.all())


@transaction.atomic
def detach_dataset(project, dataset):
    """Detach `dataset` and delete its tasks in `project` (with their labels); returns the count."""
    project.datasets.remove(dataset)
    deleted, _ = Task.objects.filter(project=project, media__dataset=dataset).delete()
    project.bump_revision()
    return deleted


@transaction.atomic
def create_tasks_for_media(media):
    """One task for a new image in every project its dataset is attached to; returns the count."""
    projects = list(media.dataset.projects.all())
    Task.objects.bulk_create([Task(project=p, media=media) for p in projects], ignore_conflicts=True)
    for project in projects:
        project.bump_revision()
    return len(projects)
