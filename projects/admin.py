"""Django admin for projects, members, label configurations, datasets, media, thumbnail jobs, bucket
sources and their syncs, URL imports and API tokens. A bucket source's secret is write-only here too,
and its settings pass the checks of projects/buckets.py as on the dataset page."""

from django import forms
from django.contrib import admin

from projects import buckets
from projects.models import (
    ApiToken,
    BucketSource,
    BucketSyncJob,
    Dataset,
    LabelConfiguration,
    Media,
    Project,
    ProjectMember,
    ThumbnailJob,
    UrlImportItem,
    UrlImportJob,
)


class ProjectMemberInline(admin.TabularInline):
    model = ProjectMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("name", "short_description", "created_by", "created_at", "revision")
    search_fields = ("name", "short_description", "description")
    list_filter = ("created_at",)
    filter_horizontal = ("datasets",)
    inlines = [ProjectMemberInline]
    readonly_fields = ("revision",)


@admin.register(ProjectMember)
class ProjectMemberAdmin(admin.ModelAdmin):
    list_display = ("project", "user", "role")
    list_filter = ("role", "project")
    search_fields = ("project__name", "user__username")
    autocomplete_fields = ["user", "project"]


@admin.register(LabelConfiguration)
class LabelConfigurationAdmin(admin.ModelAdmin):
    list_display = ("project", "revision", "updated_at")
    search_fields = ("project__name",)
    readonly_fields = ("revision", "updated_at")


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("name", "short_description", "created_by", "created_at")
    search_fields = ("name", "short_description")
    list_filter = ("created_at",)


@admin.register(Media)
class MediaAdmin(admin.ModelAdmin):
    list_display = ("original_name", "dataset", "width", "height", "mime_type", "size", "created_at")
    list_filter = ("mime_type", "dataset")
    search_fields = ("original_name", "sha256", "id")
    readonly_fields = ("id", "width", "height", "mime_type", "sha256", "size", "created_at")
    list_select_related = ("dataset",)


class BucketSourceAdminForm(forms.ModelForm):
    new_secret = forms.CharField(
        label="Secret access key",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Never shown; leave it empty to keep the stored one.",
    )
    # The signed-in user, for the superuser-only choice of the server's credentials (set by get_form).
    user = None

    class Meta:
        model = BucketSource
        fields = ["dataset", "endpoint_url", "bucket", "prefix", "region", "use_server_credentials", "access_key_id",
                  "created_by"]  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        fields = {name: cleaned[name] for name in buckets.SOURCE_FIELDS if name in cleaned}
        fields["secret_access_key"] = cleaned.get("new_secret") or ""
        try:
            self.checked = buckets.clean_source(fields, self.user, self.instance if self.instance.pk else None)
        except buckets.SourceRejected as rejected:
            for field, messages in rejected.errors.items():
                self.add_error("new_secret" if field == "secret_access_key" else field, messages)
        return cleaned

    def save(self, commit=True):
        for name, value in self.checked.items():
            setattr(self.instance, name, value)
        return super().save(commit)


@admin.register(BucketSource)
class BucketSourceAdmin(admin.ModelAdmin):
    form = BucketSourceAdminForm
    list_display = ("bucket", "prefix", "endpoint_url", "dataset", "use_server_credentials", "created_at")
    search_fields = ("bucket", "prefix", "endpoint_url", "dataset__name")
    raw_id_fields = ("dataset", "created_by")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})


@admin.register(BucketSyncJob)
class BucketSyncJobAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "state", "found", "added", "failed", "created_at", "finished_at")
    list_filter = ("state",)
    search_fields = ("source__bucket", "source__dataset__name")
    raw_id_fields = ("source", "created_by")
    readonly_fields = ("attempts", "heartbeat", "error", "found", "checked", "added", "failed", "errors")


@admin.register(ThumbnailJob)
class ThumbnailJobAdmin(admin.ModelAdmin):
    list_display = ("media", "state", "attempts", "heartbeat", "created_at", "finished_at")
    list_filter = ("state",)
    search_fields = ("media__original_name",)
    raw_id_fields = ("media",)
    readonly_fields = ("heartbeat", "attempts", "error")


@admin.register(UrlImportJob)
class UrlImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "dataset", "state", "created_by", "created_at", "finished_at")
    list_filter = ("state",)
    search_fields = ("dataset__name", "items__url")
    raw_id_fields = ("dataset", "created_by")
    readonly_fields = ("attempts", "heartbeat", "finished_at")


@admin.register(UrlImportItem)
class UrlImportItemAdmin(admin.ModelAdmin):
    list_display = ("job", "index", "url", "state", "media_id")
    list_filter = ("state",)
    search_fields = ("url", "error", "job__id")
    raw_id_fields = ("job",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")
