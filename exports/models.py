"""Export jobs: one request to export a project's labels, its progress, and the files it produced.

A job's files live under MEDIA_ROOT/exports/<project>/<job>/ (exports/build.py); the row only points
at them once they are complete, so an unfinished job never serves a partial file. Mask rendering is
split into ExportChunk rows so parallel Celery tasks can count their completion without a result
backend.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse


class BackgroundJob(models.Model):
    """What export jobs and releases share: a lifecycle claimed by exports.claims, progress, files."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    # Scheme and host the URLs written into the files start with (the request's, or the command's).
    base_url = models.CharField(max_length=300)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # Project.revision the files show: requested at creation, the one read at snapshot time after.
    revision = models.PositiveBigIntegerField(default=0)
    # Paths relative to MEDIA_ROOT. The snapshot is the frozen input of the writers and chunk tasks;
    # file is set only when complete.
    snapshot = models.CharField(max_length=255, blank=True)
    file = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    # Claims so far; a job that keeps killing its worker stops being retried (exports.claims.MAX_ATTEMPTS).
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class ExportJob(BackgroundJob):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="export_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="export_jobs"
    )
    # Normalised by exports.build.normalise_options(), so equal options compare equal in queries.
    options = models.JSONField(default=dict)
    archive = models.CharField(max_length=255, blank=True)
    archive_size = models.PositiveBigIntegerField(default=0)
    task_count = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)

    class Meta(BackgroundJob.Meta):
        indexes = [models.Index(fields=["project", "revision"], name="export_job_project_revision")]

    def __str__(self):
        return f"Export {self.pk} of project {self.project_id} ({self.state})"

    def get_absolute_url(self):
        return reverse("api:export", args=[self.pk])

    @property
    def with_masks(self):
        return bool(self.options.get("masks"))


class ExportChunk(models.Model):
    """A run of tasks in a job's snapshot whose masks one Celery task renders."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    # Byte range of the snapshot's lines (one task per line) this chunk covers.
    start = models.PositiveBigIntegerField()
    stop = models.PositiveBigIntegerField()
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="unique_export_chunk")]

    def __str__(self):
        return f"Chunk {self.index} of export {self.job_id}"


class Release(BackgroundJob):
    """A named, immutable snapshot of a project's labels, written as a Segments.ai release file and as COCO.

    The files are written once, under MEDIA_ROOT/releases/<project>/<release>/, from a snapshot frozen
    when the release is built; later label edits never reach them (decisions.md "Releases").
    """

    class TaskType(models.TextChoices):
        SEGMENTATION_BITMAP = "segmentation-bitmap", "Segmentation bitmap"
        VECTOR = "vector", "Vector"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="releases")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    # Task states written as LABELED and as REVIEWED; the other states keep their own label status.
    labeled_states = models.JSONField(default=list)
    reviewed_states = models.JSONField(default=list)
    task_type = models.CharField(max_length=32, choices=TaskType.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="releases"
    )
    # Counts of the finished release: samples (tasks), samples labelled and reviewed, objects written.
    sample_count = models.PositiveIntegerField(default=0)
    labeled_count = models.PositiveIntegerField(default=0)
    reviewed_count = models.PositiveIntegerField(default=0)
    annotation_count = models.PositiveIntegerField(default=0)
    # Relative to MEDIA_ROOT, set only once complete, like `file`.
    coco_file = models.CharField(max_length=255, blank=True)
    coco_size = models.PositiveBigIntegerField(default=0)

    class Meta(BackgroundJob.Meta):
        # The SDK caches files by release name: a name reused for other content would serve stale files.
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_release_name")]

    def __str__(self):
        return f"Release {self.name} of project {self.project_id} ({self.state})"

    def get_absolute_url(self):
        return reverse("api:release", args=[self.pk])
