"""Creating datasets: a dataset of images, owned by the user who made it, with a name unique among
that owner's datasets (projects/unique_names.py). Attaching one to a project, which creates its
tasks, is labeling/attaching.py.
"""

from django.db import IntegrityError, transaction

from projects import unique_names
from projects.models import Dataset


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
