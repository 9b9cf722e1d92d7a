"""Deleting export and release files once their rows are deleted: a deleted project takes its
exports/<project>/ and releases/<project>/ folders (JSON, zip, masks, bitmaps, COCO, snapshots);
a single export job or release deleted in the admin takes its own folder.

Like projects/stored_files.py: post_delete receivers, files removed after the commit, through the
storage API. exports/build.py and exports/releases.py name the folders.
"""

from pathlib import PurePosixPath

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver

from exports.build import job_dir
from exports.models import ExportJob, Release
from exports.releases import release_dir
from projects.models import Project
from projects.stored_files import delete_tree, delete_tree_after_commit


@receiver(post_delete, sender=Project, dispatch_uid="exports.stored_files.project")
def project_deleted(sender, instance, **kwargs):
    delete_tree_after_commit(f"exports/{instance.pk}")
    delete_tree_after_commit(f"releases/{instance.pk}")


@receiver(post_delete, sender=Release, dispatch_uid="exports.stored_files.release")
def release_deleted(sender, instance, **kwargs):
    delete_tree_after_commit(release_dir(instance).as_posix())


@receiver(post_delete, sender=ExportJob, dispatch_uid="exports.stored_files.export_job")
def export_job_deleted(sender, instance, **kwargs):
    # exports.build._reuse points a job of an unchanged project at an earlier job's files, so a job's
    # files may live in another job's folder, and its own folder may serve another job.
    folders = {job_dir(instance).as_posix()}
    folders.update(
        PurePosixPath(name).parent.as_posix() for name in (instance.file, instance.archive, instance.snapshot) if name
    )
    transaction.on_commit(lambda: _delete_unused(folders), robust=True)


def _delete_unused(folders):
    """Delete each job folder that no remaining job's files are in."""
    for folder in sorted(folders):
        inside = f"{folder}/"
        used = Q(file__startswith=inside) | Q(archive__startswith=inside) | Q(snapshot__startswith=inside)
        if not ExportJob.objects.filter(used).exists():
            delete_tree(folder)
