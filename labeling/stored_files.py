"""Deleting a label import's uploaded file once its import job is deleted (from the admin, or with
its project): like projects/stored_files.py, a post_delete receiver, the file removed after the commit
through the storage API.
"""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from labeling.models import ImportJob
from projects.stored_files import delete_after_commit


@receiver(post_delete, sender=ImportJob, dispatch_uid="labeling.stored_files.import_job")
def import_job_deleted(sender, instance, **kwargs):
    # A queued or failed import still holds its upload (labeling/importing.py deletes it once run).
    delete_after_commit([instance.file.name], instance.file.storage)
