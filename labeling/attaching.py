"""Attaching datasets to projects: one task per (project, image), created and removed together."""

from django.db import transaction

from labeling.models import Task
from projects.models import Media

BATCH_SIZE = 2000


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
def create_tasks_for_new_media(dataset, media_ids):
    """One task per new image of `dataset` in every project it is attached to, one revision bump per
    project; returns the count."""
    projects = list(dataset.projects.all()) if media_ids else []
    tasks = [Task(project=p, media_id=m) for p in projects for m in media_ids]
    Task.objects.bulk_create(tasks, batch_size=BATCH_SIZE, ignore_conflicts=True)
    for project in projects:
        project.bump_revision()
    return len(tasks)


@transaction.atomic
def create_tasks_for_media(media):
    """One task for a new image in every project its dataset is attached to; returns the count."""
    projects = list(media.dataset.projects.all())
    Task.objects.bulk_create([Task(project=p, media=media) for p in projects], ignore_conflicts=True)
    for project in projects:
        project.bump_revision()
    return len(projects)
