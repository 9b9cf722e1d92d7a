"""API shapes of export jobs and releases: the requests that start them and the rows as clients see them."""

from django.urls import reverse
from rest_framework import serializers

from exports.models import ExportJob, Release
from exports.releases import DEFAULT_LABELED, DEFAULT_REVIEWED
from labeling.states import DONE_STATES, State


def absolute_url(context, name, pk):
    """The URL of route `name` for `pk`, absolute when the serializer has the request to build it."""
    url = reverse(name, args=[pk])
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class ExportRequestSerializer(serializers.Serializer):
    states = serializers.ListField(
        child=serializers.ChoiceField(choices=State.choices), required=False, allow_empty=False, max_length=20
    )
    masks = serializers.BooleanField(required=False, default=False)

    def validate_states(self, value):
        return value or list(DONE_STATES)

    def validate(self, attrs):
        # A misspelt option ("mask") would otherwise be dropped and the export made without it.
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {name: [f"Unknown field; an export takes {' and '.join(self.fields)}."] for name in unknown}
            )
        return attrs


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

    def get_download_url(self, job) -> str | None:
        if job.state != ExportJob.State.DONE or not job.file:
            return None
        return absolute_url(self.context, "exports:download", job.pk)

    def get_archive_url(self, job) -> str | None:
        if job.state != ExportJob.State.DONE or not job.archive:
            return None
        return absolute_url(self.context, "exports:archive", job.pk)


class ReleaseRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    labeled_states = serializers.ListField(
        child=serializers.ChoiceField(choices=State.choices), required=False, max_length=20
    )
    reviewed_states = serializers.ListField(
        child=serializers.ChoiceField(choices=State.choices), required=False, max_length=20
    )
    task_type = serializers.ChoiceField(
        choices=Release.TaskType.choices, required=False, help_text="Default: chosen from the label configuration."
    )

    def validate(self, attrs):
        # Each list left out takes its default (completed, reviewed), less what the other list holds.
        if "labeled_states" not in attrs:
            attrs["labeled_states"] = [s for s in DEFAULT_LABELED if s not in attrs.get("reviewed_states", ())]
        if "reviewed_states" not in attrs:
            attrs["reviewed_states"] = [s for s in DEFAULT_REVIEWED if s not in attrs["labeled_states"]]
        if not attrs["labeled_states"] and not attrs["reviewed_states"]:
            raise serializers.ValidationError("Give at least one state that counts as labelled or reviewed.")
        return attrs


class ReleaseSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    coco_url = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = [
            "id",
            "project",
            "name",
            "description",
            "task_type",
            "labeled_states",
            "reviewed_states",
            "state",
            "progress",
            "error",
            "revision",
            "sample_count",
            "labeled_count",
            "reviewed_count",
            "annotation_count",
            "size",
            "coco_size",
            "created_at",
            "finished_at",
            "download_url",
            "coco_url",
        ]
        read_only_fields = fields

    def get_download_url(self, release) -> str | None:
        if release.state != Release.State.DONE:
            return None
        return absolute_url(self.context, "exports:release_download", release.pk)

    def get_coco_url(self, release) -> str | None:
        if release.state != Release.State.DONE:
            return None
        return absolute_url(self.context, "exports:release_coco", release.pk)
