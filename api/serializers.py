"""Request and response bodies of the native REST API (api/projects.py), one serializer per shape."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from labeling.models import Task
from labeling.states import State
from projects import unique_names
from projects.models import Dataset, Media, Project, ProjectMember


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="The caller's role in the project.")
    configuration = serializers.JSONField(
        write_only=True,
        required=False,
        help_text="Label configuration for a new project (Labelyard JSON or a DataGym upload body).",
    )

    class Meta:
        model = Project
        fields = ["id", "name", "short_description", "description", "created_at", "revision", "role", "configuration"]
        read_only_fields = ["created_at", "revision"]

    def get_role(self, project) -> str | None:
        return getattr(project, "user_role", None)

    def validate_name(self, name):
        """Unique among the owner's projects: the caller's for a new project, the creator's on a rename."""
        acting = self.context["request"].user
        owner = acting if self.instance is None else self.instance.created_by
        message = unique_names.check(Project, name, owner, acting=acting, exclude=self.instance)
        if message is not None:
            raise serializers.ValidationError(message)
        return name


class ProjectUpdateSerializer(ProjectSerializer):
    class Meta(ProjectSerializer.Meta):
        fields = ["id", "name", "short_description", "description", "created_at", "revision", "role"]


class DatasetSerializer(serializers.ModelSerializer):
    media_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Dataset
        fields = ["id", "name", "short_description", "created_at", "media_count"]
        read_only_fields = ["created_at"]

    def validate_name(self, name):
        """Unique among the caller's datasets (only creating goes through this serializer)."""
        user = self.context["request"].user
        message = unique_names.check(Dataset, name, user, acting=user)
        if message is not None:
            raise serializers.ValidationError(message)
        return name


class AttachDatasetSerializer(serializers.Serializer):
    dataset = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Id of a dataset you can manage.")


class MediaSerializer(serializers.ModelSerializer):
    file_url = serializers.SerializerMethodField()
    # Empty for uploaded images, so not declared as a URI (which "" is not).
    source_url = serializers.CharField(read_only=True, help_text="The address the image was fetched from, or empty.")
    bucket_source = serializers.IntegerField(
        source="source_id", read_only=True, allow_null=True, help_text="The bucket source the image stays in, or null."
    )
    object_key = serializers.CharField(read_only=True, help_text="Its key in that bucket, or empty.")

    class Meta:
        model = Media
        fields = [
            "id",
            "dataset",
            "original_name",
            "width",
            "height",
            "mime_type",
            "size",
            "sha256",
            "source_url",
            "bucket_source",
            "object_key",
            "created_at",
            "file_url",
        ]
        read_only_fields = fields

    def get_file_url(self, media) -> str:
        return reverse("api:media-file", args=[media.pk])


class MediaUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="One image (JPEG, PNG, GIF, BMP, TIFF or WebP).")
    name = serializers.CharField(required=False, max_length=255, help_text="File name to keep; default: the upload's.")


@extend_schema_field(OpenApiTypes.OBJECT)
class ConfigurationField(serializers.JSONField):
    """A configuration document: ``{"entries": [...]}`` or a DataGym entry list."""


class ConfigurationSerializer(serializers.Serializer):
    revision = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    entries = serializers.JSONField(read_only=True)


class ConfigurationChangeSerializer(serializers.Serializer):
    configuration = ConfigurationField(help_text="Labelyard configuration JSON or a DataGym label-config upload body.")
    confirm = serializers.BooleanField(
        default=False, help_text="Allow deleting labels of classes, questions or options the change removes."
    )


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ProjectMember
        fields = ["id", "user", "username", "role"]
        read_only_fields = ["id", "user"]


class MemberCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=ProjectMember.Role.choices, default=ProjectMember.Role.LABELER)


class MemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ProjectMember.Role.choices)


class TaskSerializer(serializers.ModelSerializer):
    media_name = serializers.CharField(source="media.original_name", read_only=True)
    labeler = serializers.CharField(source="labeler.username", read_only=True, allow_null=True, default=None)
    reviewer = serializers.CharField(source="reviewer.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "media",
            "media_name",
            "state",
            "labeler",
            "reviewer",
            "review_comment",
            "version",
            "created_at",
            "state_changed_at",
        ]
        read_only_fields = fields


class TaskMoveSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=State.choices)


class TaskAssignSerializer(serializers.Serializer):
    labeler = serializers.CharField(
        max_length=150, allow_null=True, help_text="User name of a project member, or null to unassign."
    )
