"""Export jobs and releases: background jobs (background/models.py) that freeze a project's labels
into a snapshot and write files from it, and the chunks their parallel Celery tasks count done.

A job's files live under MEDIA_ROOT/exports/<project>/<job>/ (exports/build.py), a release's under
MEDIA_ROOT/releases/<project>/<release>/; the row only points at them once they are complete, so
an unfinished job never serves a partial file. Chunks are rows, so parallel Celery tasks count
their completion without a result backend.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from background.models import BackgroundJob, JobChunk
from labeling.fields import DocumentField


class SnapshotJob(BackgroundJob):
    """What export jobs and releases add to a background job: a frozen snapshot and the files written from it."""

    # Scheme and host the URLs written into the files start with (the request's, or the command's).
    base_url = models.CharField(max_length=300)
    # Project.revision the files show: requested at creation, the one read at snapshot time after.
    revision = models.PositiveBigIntegerField(default=0)
    # Paths relative to MEDIA_ROOT. The snapshot is the frozen input of the writers and chunk tasks;
    # file is set only when complete.
    snapshot = models.CharField(max_length=255, blank=True)
    file = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)

    class Meta(BackgroundJob.Meta):
        abstract = True


class ExportJob(SnapshotJob):
    task_name = "exports.jobs.build_export"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="export_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="export_jobs"
    )
    # Normalised by exports.build.normalise_options(), so equal options compare equal in queries.
    options = models.JSONField(default=dict)
    archive = models.CharField(max_length=255, blank=True)
    archive_size = models.PositiveBigIntegerField(default=0)
    task_count = models.PositiveIntegerField(default=0)

    class Meta(SnapshotJob.Meta):
        indexes = [
            *SnapshotJob.Meta.indexes,
            models.Index(fields=["project", "revision"], name="export_job_project_revision"),
        ]

    def __str__(self):
        return f"Export {self.pk} of project {self.project_id} ({self.state})"

    def get_absolute_url(self):
        return reverse("api:export", args=[self.pk])

    @property
    def with_masks(self):
        return bool(self.options.get("masks"))


class ExportChunk(JobChunk):
    """A run of tasks in a job's snapshot whose part of the JSON (and masks) one Celery task writes."""

    job = models.ForeignKey(ExportJob, on_delete=models.CASCADE, related_name="chunks")

    class Meta(JobChunk.Meta):
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="unique_export_chunk")]

    def __str__(self):
        return f"Chunk {self.index} of export {self.job_id}"


class Release(SnapshotJob):
    """A named, immutable snapshot of a project's labels, written as a Segments.ai release file and as COCO.

    The files are written once, under MEDIA_ROOT/releases/<project>/<release>/, from a snapshot frozen
    when the release is built; later label edits never reach them (decisions.md "Releases").
    """

    class TaskType(models.TextChoices):
        SEGMENTATION_BITMAP = "segmentation-bitmap", "Segmentation bitmap"
        VECTOR = "vector", "Vector"

    task_name = "exports.jobs.build_release"

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

    class Meta(SnapshotJob.Meta):
        # The SDK caches files by release name: a name reused for other content would serve stale files.
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="unique_release_name")]

    def __str__(self):
        return f"Release {self.name} of project {self.project_id} ({self.state})"

    def get_absolute_url(self):
        return reverse("api:release", args=[self.pk])


class ReleaseChunk(JobChunk):
    """A run of tasks in a release's snapshot whose COCO part (and bitmaps) one Celery task writes.

    `result` is what the finish needs from the chunk: `images`, [name, width, height, media] of
    the tasks in the COCO file, and for bitmap releases `instances`, [[media, object indexes], ...]
    for every task (exports.releases._write_chunk).
    """

    job = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="chunks")
    result = DocumentField(null=True, blank=True)

    class Meta(JobChunk.Meta):
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="unique_release_chunk")]

    def __str__(self):
        return f"Chunk {self.index} of release {self.job_id}"
