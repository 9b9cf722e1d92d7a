"""Projects, their members and label configuration, and the datasets of images they label."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F
from django.urls import reverse

from background.models import BackgroundJob
from projects.names import validate_visible


class Project(models.Model):
    # Unique per owner (projects/unique_names.py), so a taken name tells nothing about other teams.
    name = models.CharField(max_length=128, validators=[validate_visible])
    short_description = models.CharField(max_length=256, blank=True)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="created_projects"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped by every change that can alter an export (labels, states, configuration, media), so an
    # export of an unchanged project can reuse the last file.
    revision = models.PositiveBigIntegerField(default=0)
    datasets = models.ManyToManyField("Dataset", blank=True, related_name="projects")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ProjectMember", related_name="member_projects", blank=True
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["created_by", "name"], name="unique_project_name_per_owner")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("projects:detail", args=[self.pk])

    def bump_revision(self):
        """Mark the project's exportable content as changed (one row update, no read)."""
        Project.objects.filter(pk=self.pk).update(revision=F("revision") + 1)


class ProjectMember(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        REVIEWER = "reviewer", "Reviewer"
        LABELER = "labeler", "Labeler"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.LABELER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="unique_project_member")]

    def __str__(self):
        return f"{self.user} ({self.role}) in {self.project}"


class LabelConfiguration(models.Model):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="label_configuration")
    # The normalised tree produced by rules.configuration.parse(): {"entries": [...]}.
    data = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Label configuration of {self.project}"

    @property
    def entries(self):
        return self.data.get("entries", [])


class Dataset(models.Model):
    # Unique per owner like project names; a dataset can be attached to several projects.
    name = models.CharField(max_length=128, validators=[validate_visible])
    short_description = models.CharField(max_length=256, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="created_datasets"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["created_by", "name"], name="unique_dataset_name_per_owner")]

    def __str__(self):
        return self.name


def media_upload_to(instance, filename):
    """Stored names never contain the user's file name, so names cannot traverse paths."""
    return f"datasets/{instance.dataset_id}/{instance.pk}{filename[filename.rfind('.') :]}"


class BucketSource(models.Model):
    """An S3-compatible bucket and prefix whose images a dataset uses where they are: its Media refer
    to the objects by key and are read through the bucket (projects/buckets.py); nothing is copied."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="bucket_sources")
    # Empty: AWS S3 itself. Any other address is checked like a URL to fetch (projects/fetching.py).
    endpoint_url = models.CharField(max_length=500, blank=True)
    bucket = models.CharField(max_length=255)
    prefix = models.CharField(max_length=1024, blank=True)
    region = models.CharField(max_length=64, blank=True)
    # The server's own endpoint and credentials (the AWS_* settings) instead of the fields below;
    # only a superuser may choose it, as they may reach the server's own bucket.
    use_server_credentials = models.BooleanField(default=False)
    access_key_id = models.CharField(max_length=128, blank=True)
    # Write-only: no page, API answer or admin screen shows it (projects/buckets.py).
    secret_access_key = models.CharField(max_length=256, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bucket_sources"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dataset", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "endpoint_url", "bucket", "prefix"], name="unique_bucket_source")
        ]

    def __str__(self):
        return f"s3://{self.bucket}/{self.prefix} for dataset {self.dataset_id}"


class Media(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="media")
    file = models.FileField(upload_to=media_upload_to, max_length=255, blank=True)
    source_url = models.URLField(max_length=2000, blank=True)
    # An image that stays in a bucket: read from `source` by `object_key`, never copied (`file` is empty).
    # RESTRICT: a source goes only with its images (projects/buckets.py remove_source) or its dataset.
    source = models.ForeignKey(BucketSource, null=True, blank=True, on_delete=models.RESTRICT, related_name="media")
    object_key = models.CharField(max_length=1024, blank=True)
    original_name = models.CharField(max_length=255)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    mime_type = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(default=0)
    thumbnail = models.FileField(upload_to="thumbnails/", max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["original_name"]
        verbose_name_plural = "media"
        constraints = [
            models.UniqueConstraint(fields=["dataset", "original_name"], name="unique_media_name"),
            # A sync that runs again finds the keys it added before (labeling/bucket_syncs.py).
            models.UniqueConstraint(
                fields=["source", "object_key"], condition=models.Q(source__isnull=False), name="unique_media_object"
            ),
        ]

    def __str__(self):
        return self.original_name


class ThumbnailJob(BackgroundJob):
    """The making of one image's thumbnail (projects.media.make_thumbnail), queued with the upload.

    A row, like every background job, so a thumbnail whose message or worker was lost is sent again
    by the sweeper (background/sweeping.py) a bounded number of times, and one that cannot be made
    ends failed with its reason instead of being sent again every sweep.
    """

    task_name = "projects.jobs.make_thumbnail"

    # The image's id is the job's: the task is sent the image's id, as before jobs had rows.
    media = models.OneToOneField(Media, primary_key=True, on_delete=models.CASCADE, related_name="thumbnail_job")

    class Meta(BackgroundJob.Meta):
        ordering = ["-created_at"]

    def __str__(self):
        return f"Thumbnail of {self.media_id} ({self.state})"


class ApiToken(models.Model):
    """A named, revocable API key of one user; only a hash of the key is stored (projects/tokens.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=64)
    # The first characters of the key, shown in lists so a user can tell their tokens apart.
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["key_hash"], name="unique_api_token_hash")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…) of {self.user}"

    @property
    def is_active(self):
        return self.revoked_at is None


class UrlImportJob(BackgroundJob):
    """Images being added to a dataset from URLs: fetched one by one by a Celery worker
    (labeling/url_imports.py), each URL an item with its own outcome. `error` says why a failed job
    stopped (a crash, or a worker lost too often); single URLs fail in their item."""

    task_name = "labeling.jobs.fetch_url_images"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="url_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="url_imports"
    )

    def __str__(self):
        return f"URL import {self.pk} into dataset {self.dataset_id} ({self.state})"

    @classmethod
    def exhausted_message(cls, attempts):
        return f"The worker fetching these URLs stopped {attempts} times."

    @classmethod
    def stopped(cls, pks):
        UrlImportItem.objects.filter(job__in=pks, state=UrlImportItem.State.QUEUED).update(
            state=UrlImportItem.State.FAILED, error="Not fetched: the job stopped."
        )


class UrlImportItem(models.Model):
    """One URL of a UrlImportJob and what became of it."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        ADDED = "added", "Added"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(UrlImportJob, on_delete=models.CASCADE, related_name="items")
    index = models.PositiveIntegerField()
    url = models.URLField(max_length=2000)
    # The id the image gets when it is stored, chosen up front: the DataGym v1 API answers with it
    # before the image is fetched. Not a foreign key: until then no such Media exists.
    media_id = models.UUIDField(default=uuid.uuid4)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="unique_url_import_item")]

    def __str__(self):
        return f"{self.url} ({self.state})"


class BucketSyncJob(BackgroundJob):
    """One listing of a BucketSource by a Celery worker (labeling/bucket_syncs.py): its image objects
    not yet in the dataset become Media and tasks. Counts grow as it goes; `error` says why a failed
    sync stopped (the bucket refused, a crash), single objects fail in `errors`."""

    task_name = "labeling.jobs.sync_bucket"

    source = models.ForeignKey(BucketSource, on_delete=models.CASCADE, related_name="syncs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bucket_syncs"
    )
    # Image objects under the prefix (the first listing), those looked at so far, added as new images,
    # and refused; `errors` holds the first reasons, one "key: reason" each.
    found = models.PositiveIntegerField(default=0)
    checked = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"Sync {self.pk} of {self.source} ({self.state})"

    @classmethod
    def exhausted_message(cls, attempts):
        return f"The worker syncing this bucket stopped {attempts} times."
