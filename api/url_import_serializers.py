"""Request and response bodies of the URL import API (api/url_imports.py)."""

from rest_framework import serializers

from labeling import url_imports
from projects.models import UrlImportItem, UrlImportJob


class UrlImportRequestSerializer(serializers.Serializer):
    urls = serializers.ListField(
        child=serializers.CharField(),
        help_text=f"Up to {url_imports.MAX_URLS} http or https image URLs; each must end in a file name.",
    )

    def validate_urls(self, urls):
        try:
            return url_imports.check_urls(urls)
        except url_imports.UrlsRejected as rejected:
            raise serializers.ValidationError(rejected.errors) from rejected


class UrlImportItemSerializer(serializers.ModelSerializer):
    media = serializers.SerializerMethodField(help_text="The stored image's id once added, else null.")

    class Meta:
        model = UrlImportItem
        fields = ["url", "state", "media", "error"]
        read_only_fields = fields

    def get_media(self, item) -> str | None:
        return str(item.media_id) if item.state == UrlImportItem.State.ADDED else None


class UrlImportSerializer(serializers.ModelSerializer):
    """A URL import with its counts (from url_imports.with_counts)."""

    total = serializers.IntegerField(read_only=True, help_text="URLs in the job.")
    added = serializers.IntegerField(read_only=True, help_text="URLs whose image is stored.")
    failed = serializers.IntegerField(read_only=True, help_text="URLs that could not be added; see `items`.")
    progress = serializers.SerializerMethodField(help_text="Percent of the URLs done, added or failed.")
    status = serializers.ChoiceField(source="state", choices=UrlImportJob.State.choices, read_only=True)
    message = serializers.CharField(
        source="error", read_only=True, help_text="Why a failed job stopped; single URLs fail in `items`."
    )

    class Meta:
        model = UrlImportJob
        fields = ["id", "dataset", "status", "progress", "total", "added", "failed", "message", "created_at",
                  "finished_at"]  # fmt: skip
        read_only_fields = fields

    def get_progress(self, job) -> int:
        return url_imports.progress(job)


class UrlImportDetailSerializer(UrlImportSerializer):
    items = UrlImportItemSerializer(many=True, read_only=True)

    class Meta(UrlImportSerializer.Meta):
        fields = [*UrlImportSerializer.Meta.fields, "items"]
        read_only_fields = fields
