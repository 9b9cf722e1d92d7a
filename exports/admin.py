"""Admin declarations for export jobs, releases and their chunks."""

from django.contrib import admin

from exports.models import ExportChunk, ExportJob, Release, ReleaseChunk


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "state", "progress", "size", "created_by", "created_at", "finished_at")
    list_filter = ("state",)
    search_fields = ("project__name",)
    raw_id_fields = ("project", "created_by")
    readonly_fields = ("heartbeat", "attempts", "chunks_total", "chunks_done")


@admin.register(ExportChunk)
class ExportChunkAdmin(admin.ModelAdmin):
    list_display = ("job", "index", "start", "stop", "done")
    list_filter = ("done",)
    search_fields = ("job__project__name", "job__id")
    raw_id_fields = ("job",)


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("id", "project", "name", "task_type", "state", "progress", "sample_count", "created_at")
    list_filter = ("state", "task_type")
    search_fields = ("project__name", "name")
    raw_id_fields = ("project", "created_by")
    readonly_fields = ("heartbeat", "attempts", "chunks_total", "chunks_done", "snapshot", "file", "coco_file")


@admin.register(ReleaseChunk)
class ReleaseChunkAdmin(admin.ModelAdmin):
    list_display = ("job", "index", "start", "stop", "done")
    list_filter = ("done",)
    search_fields = ("job__project__name", "job__name")
    raw_id_fields = ("job",)
    exclude = ("result",)
