"""Request and response bodies of the bucket source API (api/buckets.py). The secret access key is
write-only: no answer carries it, only whether one is stored."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from projects.models import BucketSource, BucketSyncJob


class BucketSyncSerializer(serializers.ModelSerializer):
    found = serializers.IntegerField(read_only=True, help_text="Image objects under the prefix.")
    checked = serializers.IntegerField(read_only=True, help_text="Of them, looked at so far (new or already there).")
    added = serializers.IntegerField(read_only=True, help_text="New images made (with their tasks).")
    failed = serializers.IntegerField(read_only=True, help_text="Objects refused; `errors` says why (the first 100).")
    errors = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = BucketSyncJob
        fields = ["id", "source", "state", "progress", "found", "checked", "added", "failed", "errors", "error",
                  "created_at", "finished_at"]  # fmt: skip
        read_only_fields = fields


class BucketSourceSerializer(serializers.ModelSerializer):
    has_secret = serializers.SerializerMethodField(help_text="Whether a secret access key is stored (never shown).")
    media_count = serializers.SerializerMethodField(help_text="Images of the dataset that stay in this bucket.")
    last_sync = serializers.SerializerMethodField(help_text="The newest sync, or null.")

    class Meta:
        model = BucketSource
        fields = ["id", "dataset", "endpoint_url", "bucket", "prefix", "region", "use_server_credentials",
                  "access_key_id", "has_secret", "media_count", "last_sync", "created_at"]  # fmt: skip
        read_only_fields = fields

    def get_has_secret(self, source) -> bool:
        return bool(source.secret_access_key)

    def get_media_count(self, source) -> int:
        return source.media.count()

    @extend_schema_field(BucketSyncSerializer(allow_null=True))
    def get_last_sync(self, source):
        job = source.syncs.first()
        return BucketSyncSerializer(job).data if job else None


class BucketSourceRequestSerializer(serializers.Serializer):
    """A new source (POST; `bucket` required) or changes to one (PATCH; bucket and prefix cannot change)."""

    endpoint_url = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="An S3-compatible server, like https://minio.example.com; empty: AWS S3.",
    )
    bucket = serializers.CharField(required=False)
    prefix = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text="Only keys starting with it; empty: all."
    )
    region = serializers.CharField(required=False, allow_blank=True)
    use_server_credentials = serializers.BooleanField(
        required=False, help_text="Superusers only: the server's own endpoint and credentials (AWS_* settings)."
    )
    access_key_id = serializers.CharField(required=False, allow_blank=True)
    secret_access_key = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, write_only=True,
        help_text="Stored on the server and never shown again; on PATCH, leave it out to keep the stored one.",
    )  # fmt: skip
