"""Deleting stored files once the rows that own them are deleted: images and thumbnails with their
media, a dataset's folder with the dataset.

Receivers of post_delete, so a deletion from a page, the API, the admin or a cascade (a deleted
dataset takes its media) removes the files too. Files go only after the deletion is committed: a
rolled-back deletion keeps rows that still point at them. Everything goes through Django's storage
API (names, listdir, delete), never through paths, so an object store works as the file system does.
labeling/stored_files.py does the same for label import uploads, exports/stored_files.py for export
and release files.
"""

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from projects.models import Dataset, Media

logger = logging.getLogger(__name__)


def delete_tree(prefix, storage=default_storage):
    """Delete every file under the storage folder `prefix`, then the folder itself where it is one."""
    try:
        folders, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{prefix}/{name}")
    for name in folders:
        delete_tree(f"{prefix}/{name}", storage)
    # The file system keeps empty folders; an object store has none, and deleting a missing name is no error.
    storage.delete(prefix)


def delete_after_commit(names, storage=default_storage):
    """Delete the stored files `names` once the current transaction commits (at once outside one)."""
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: _delete(names, storage), robust=True)


def delete_tree_after_commit(prefix, storage=default_storage):
    """Delete the storage folder `prefix` and everything in it once the current transaction commits."""
    transaction.on_commit(lambda: delete_tree(prefix, storage), robust=True)


def _delete(names, storage):
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            # The row is gone either way; a file left behind must not fail the request that deleted it.
            logger.exception("Could not delete stored file %s", name)


@receiver(post_delete, sender=Media, dispatch_uid="projects.stored_files.media")
def media_deleted(sender, instance, **kwargs):
    delete_after_commit([instance.file.name, instance.thumbnail.name], instance.file.storage)


@receiver(post_delete, sender=Dataset, dispatch_uid="projects.stored_files.dataset")
def dataset_deleted(sender, instance, **kwargs):
    # Each image went with its Media row above; this removes the folder they were stored in.
    delete_tree_after_commit(f"datasets/{instance.pk}")
