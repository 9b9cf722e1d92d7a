"""``POST /api/projects/{id}/imports``: import a DataGym JSON file synchronously (labeling/importing.py).

The import page (labeling/views/imports.py) takes the same options and stores a job instead.
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FileUploadParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import ApiError
from labeling import importing
from labeling.views.imports import OPTIONS
from projects import access
from projects.media import MULTIPART_OVERHEAD, declared_body_size

Role = access.Role
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class ImportSummarySerializer(serializers.Serializer):
    """What an import did (or, for a dry run, would do)."""

    tasks = serializers.IntegerField()
    geometries_added = serializers.IntegerField()
    geometries_replaced = serializers.IntegerField()
    classifications_set = serializers.IntegerField()
    dry_run = serializers.BooleanField()


class ImportsView(APIView):
    """POST a DataGym JSON file (multipart ``file``, or the JSON itself as the body) to import it.

    Options ``dry_run``, ``match_by_name`` and ``clip`` come as query or form parameters.
    200 with the summary for a dry run, 201 when written, 400 ``{detail, code, errors}`` listing
    every problem when the file is invalid (nothing written), 409 ``configuration_changed`` when the
    label configuration changed while the file was being checked (nothing written), 413 over
    LABELYARD_MAX_IMPORT_BYTES.
    """

    parser_classes = [MultiPartParser, JSONParser, FileUploadParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    **{name: {"type": "boolean"} for name in OPTIONS},
                },
                "required": ["file"],
            },
            "application/json": {"type": "array", "items": {"type": "object"}},
        },
        parameters=[OpenApiParameter(name, bool, description=f"`{name}` import option") for name in OPTIONS],
        responses={200: ImportSummarySerializer, 201: ImportSummarySerializer},
    )  # fmt: skip
    def post(self, request, pk):
        project = access.get_project(request.user, pk, roles={Role.ADMIN})
        try:
            data = _request_file(request)
            options = {name: _flag(request, name) for name in OPTIONS}
            summary = importing.import_labels(project, data, user=request.user, **options)
        except importing.ImportRejected as rejected:
            raise ApiError(rejected.status_code, str(rejected), rejected.code, rejected.errors) from rejected
        return Response(summary.as_dict(), status=status.HTTP_200_OK if summary.dry_run else status.HTTP_201_CREATED)


def _flag(request, name):
    value = request.query_params.get(name)
    if value is None and request.content_type.startswith("multipart/"):
        value = request.data.get(name)
    return str(value).strip().lower() in TRUE_WORDS


def _request_file(request):
    """The import file's bytes, read without letting DRF parse a JSON body into Python objects."""
    if request.content_type.startswith("multipart/"):
        importing.check_size(declared_body_size(request) - MULTIPART_OVERHEAD)
        upload = request.data.get("file")
        if upload is None or isinstance(upload, str):
            raise importing.ImportRejected([("", "Send the file as the multipart field `file`.")])
        importing.check_size(upload.size)
        return upload.read()
    length = int(request.headers.get("Content-Length") or 0)
    importing.check_size(length)
    # Reading the stream, not request.body, so DATA_UPLOAD_MAX_MEMORY_SIZE (meant for forms)
    # does not cap imports; the import limit above applies instead.
    limit = settings.LABELYARD_MAX_IMPORT_BYTES
    data = request.stream.read(limit + 1) if request.stream is not None else b""
    importing.check_size(len(data))
    return data
