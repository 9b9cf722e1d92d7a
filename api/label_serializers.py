"""Bodies of the labels API: a labels document with the version it was based on, review comments,
and the answers (declared for the OpenAPI schema)."""

from rest_framework import serializers

from labeling.review import MAX_COMMENT_LENGTH


class LabelsSaveSerializer(serializers.Serializer):
    """PUT /api/tasks/{id}/labels: the whole document plus the version the client last loaded."""

    document = serializers.JSONField()
    version = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


class TaskLabelsSerializer(serializers.Serializer):
    """GET /api/tasks/{id}/labels: the document, its version, and whether the caller may edit it."""

    task = serializers.IntegerField()
    state = serializers.CharField()
    version = serializers.IntegerField()
    editable = serializers.BooleanField()
    document = serializers.JSONField()


class LabelsSavedSerializer(serializers.Serializer):
    task = serializers.IntegerField()
    version = serializers.IntegerField()


class TaskMovedSerializer(serializers.Serializer):
    """The answer of skip, complete, accept and reject: the new state and where to go next."""

    task = serializers.IntegerField()
    state = serializers.CharField()
    next_url = serializers.CharField()


class RejectSerializer(serializers.Serializer):
    """POST /api/tasks/{id}/reject: what the labeler has to fix."""

    comment = serializers.CharField(max_length=MAX_COMMENT_LENGTH, allow_blank=True, trim_whitespace=True)
