"""Per-user limits: how many projects a user may create, and how many bytes of images their datasets
may hold (settings LABELYARD_MAX_PROJECTS_PER_USER and LABELYARD_MAX_STORED_BYTES_PER_USER; 0 turns
a limit off).

A project counts against the user who created it (its owner), an image against the owner of its
dataset, whoever uploads it: an admin of a project adding images to a dataset someone else made
fills that person's allowance. Superusers are not limited: they can change every setting in the
admin anyway. Staff users are limited like everyone else; staff only means they may open the admin.
Projects and datasets without an owner (made by a command without --owner) are not limited.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum

from projects.models import Media, Project


class QuotaExceeded(ValueError):
    """The owner is at a limit; the message names it and the setting that sets it."""


def limited(user):
    return user is not None and not user.is_superuser


def lock(user):
    """Hold `user`'s row until the transaction ends, so parallel requests count one after another."""
    if user is not None:
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()


def check_projects(owner):
    """Raise QuotaExceeded when `owner` may not create another project."""
    limit = settings.LABELYARD_MAX_PROJECTS_PER_USER
    if not limit or not limited(owner):
        return
    count = Project.objects.filter(created_by=owner).count()
    if count >= limit:
        raise QuotaExceeded(
            f"{owner.get_username()} has {count} projects, the most one user may create "
            f"(LABELYARD_MAX_PROJECTS_PER_USER = {limit}); delete one to create another."
        )


def stored_bytes(owner):
    """Bytes of the images stored for `owner`'s datasets; images that stay in a bucket source
    (projects/buckets.py) are not stored here and do not count."""
    stored = Media.objects.filter(dataset__created_by=owner, source__isnull=True)
    return stored.aggregate(total=Sum("size"))["total"] or 0


def check_storage(owner, adding):
    """Raise QuotaExceeded when `adding` more bytes would take `owner`'s images over their limit."""
    limit = settings.LABELYARD_MAX_STORED_BYTES_PER_USER
    if not limit or not limited(owner):
        return
    used = stored_bytes(owner)
    if used + adding > limit:
        raise QuotaExceeded(
            f"Adding {adding} bytes of images would take {owner.get_username()}'s datasets to {used + adding} "
            f"bytes, over the {limit} bytes one user may store (LABELYARD_MAX_STORED_BYTES_PER_USER); "
            "delete images to make room."
        )
