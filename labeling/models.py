"""Tasks (one image in one project, with its lifecycle) and their labels (one document per task)."""

from django.conf import settings
from django.db import models

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


class TaskLabels(models.Model):
    """The labels of one task as one JSON document, read and replaced as a whole.

    One row per task (not one per geometry) keeps imports and exports of 100,000 images with
    20 geometries each to 100,000 row writes (spec performance-notes.md). The document's
    shape is in labeling/document.py.
    """

    task = models.OneToOneField(Task, primary_key=True, on_delete=models.CASCADE, related_name="labels")
    document = models.JSONField(default=dict)
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
