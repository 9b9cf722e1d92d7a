"""Django admin for tasks, their labels and state changes, and label import jobs."""

from django.contrib import admin

from labeling.models import ImportJob, Task, TaskEvent, TaskLabels


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "media", "state", "labeler", "reviewer", "version", "state_changed_at")
    list_filter = ("state", "project")
    search_fields = ("media__original_name", "labeler__username", "reviewer__username", "id")
    list_select_related = ("project", "media", "labeler", "reviewer")
    raw_id_fields = ("media",)
    autocomplete_fields = ["labeler", "reviewer"]
    readonly_fields = ("version", "created_at", "state_changed_at")


@admin.register(TaskLabels)
class TaskLabelsAdmin(admin.ModelAdmin):
    list_display = ("task", "geometry_count", "imported_count", "updated_by", "updated_at")
    list_filter = ("task__project",)
    search_fields = ("task__media__original_name", "task__id")
    list_select_related = ("task", "updated_by")
    raw_id_fields = ("task",)
    readonly_fields = ("updated_at",)


@admin.register(TaskEvent)
class TaskEventAdmin(admin.ModelAdmin):
    list_display = ("task", "from_state", "to_state", "user", "at")
    list_filter = ("to_state", "project")
    search_fields = ("task__id", "user__username", "task__media__original_name")
    list_select_related = ("task", "user")
    raw_id_fields = ("task",)
    date_hierarchy = "at"


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "original_name", "state", "progress", "dry_run", "created_by", "created_at")
    list_filter = ("state", "dry_run")
    search_fields = ("project__name", "original_name")
    raw_id_fields = ("project", "created_by")
    readonly_fields = ("progress", "attempts", "summary", "errors")
