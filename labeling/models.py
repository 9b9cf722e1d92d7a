"""Tasks (one image in one project, with its lifecycle), their labels (one document per task) and
the label import jobs started from the project page."""

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse

from background.models import BackgroundJob
from labeling.fields import DocumentField
from labeling.states import State, check_transition


class Task(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="tasks")
    media = models.ForeignKey("projects.Media", on_delete=models.CASCADE, related_name="tasks")
    state = models.CharField(max_length=16, choices=State.choices, default=State.BACKLOG)
    labeler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="labeled_tasks"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviewed_tasks"
    )
    review_comment = models.TextField(blank=True)
    # Bumped by every label change; a save that names an older version is refused (409).
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["project", "media"], name="unique_task_per_project_media")]
        indexes = [models.Index(fields=["project", "state"], name="task_project_state")]

    def __str__(self):
        return f"Task {self.pk} ({self.state})"

    def can_move_to(self, target):
        try:
            check_transition(self.state, target)
        except ValueError:
            return False
        return True


class TaskEvent(models.Model):
    """One state change of a task: the audit trail behind the dashboard's per-day counts."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="task_events")
    from_state = models.CharField(max_length=16, choices=State.choices)
    to_state = models.CharField(max_length=16, choices=State.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="task_events"
    )
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["project", "to_state", "at"], name="task_event_project_state_at")]

    def __str__(self):
        return f"Task {self.task_id}: {self.from_state} -> {self.to_state}"


class TaskLabels(models.Model):
    """The labels of one task as one JSON document, read and replaced as a whole.

    One row per task (not one per geometry) keeps imports and exports of 100,000 images with
    20 geometries each to 100,000 row writes (docs/decisions.md "Measured costs"). The document's
    shape is in rules/labels.py.
    """

    task = models.OneToOneField(Task, primary_key=True, on_delete=models.CASCADE, related_name="labels")
    document = DocumentField(default=dict)
    geometry_count = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "task labels"

    def __str__(self):
        return f"Labels of task {self.task_id}"


def import_upload_to(instance, filename):
    """Stored import files are named by a random id, never by the user's file name."""
    return f"imports/{uuid.uuid4().hex}.json"


class ImportJob(BackgroundJob):
    """One label import from the project page: the stored file, its options, progress and outcome.

    Small files run inside the request; large ones in a Celery worker (labeling/jobs.py). The
    import's writes and the switch to DONE are one transaction, so a redelivered job never
    imports twice (labeling/importing.py). A file that is refused fails the job with `errors`
    listing every problem.
    """

    task_name = "labeling.jobs.run_import"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="import_jobs"
    )
    file = models.FileField(upload_to=import_upload_to, max_length=255, blank=True)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    dry_run = models.BooleanField(default=False)
    match_by_name = models.BooleanField(default=False)
    clip = models.BooleanField(default=False)
    summary = models.JSONField(default=dict, blank=True)
    # Where the file is wrong ({"path", "message"} each) when it was refused; nothing was written then.
    errors = models.JSONField(default=list, blank=True)

    def __str__(self):
        return f"Import {self.pk} of {self.original_name} ({self.state})"

    def get_absolute_url(self):
        return reverse("labeling:import_report", args=[self.project_id, self.pk])

    @property
    def rejected(self):
        """The file was refused (a failure with the file's errors), rather than the server failing."""
        return self.state == self.State.FAILED and bool(self.errors)

    @classmethod
    def exhausted_message(cls, attempts):
        return (
            f"The import stopped {attempts} times without finishing; its worker may run out of memory. "
            "Nothing was imported; split the file into smaller imports."
        )
