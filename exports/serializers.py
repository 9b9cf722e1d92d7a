"""API shapes of export jobs: the request to start one and the job as clients see it."""

from django.urls import reverse
from rest_framework import serializers

from exports.models import ExportJob
from labeling.states import DONE_STATES, State


class ExportRequestSerializer(serializers.Serializer):
    states = serializers.ListField(
        child=serializers.ChoiceField(choices=State.choices), required=False, allow_empty=False, max_length=20
    )
    masks = serializers.BooleanField(required=False, default=False)

    def validate_states(self, value):
        return value or list(DONE_STATES)


class ExportJobSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    archive_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "project",
            "state",
            "progress",
            "error",
            "options",
            "revision",
            "task_count",
            "size",
            "archive_size",
            "created_at",
            "finished_at",
            "download_url",
            "archive_url",
        ]
        read_only_fields = fields

    def _absolute(self, name, job):
        url = reverse(name, args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_download_url(self, job) -> str | None:
        return self._absolute("exports:download", job) if job.state == ExportJob.State.DONE and job.file else None

    def get_archive_url(self, job) -> str | None:
        return self._absolute("exports:archive", job) if job.state == ExportJob.State.DONE and job.archive else None
