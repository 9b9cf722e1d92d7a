"""Label import: the project page's upload form and report, and ``POST /api/projects/{id}/imports``.

Views only validate and answer; labeling/importing.py does the work. The page stores each upload
as an ImportJob (run inline when small, by a worker when large); the API imports synchronously.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FileUploadParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from labeling import importing
from labeling.models import ImportJob
from projects import access
from projects.media import MULTIPART_OVERHEAD, declared_body_size

Role = access.Role
OPTIONS = ("dry_run", "match_by_name", "clip")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A DataGym JSON file: [{internal_media_ID, labels, ...}, ...]")
    dry_run = forms.BooleanField(required=False, label="Dry run: check the file and report, write nothing")
    clip = forms.BooleanField(required=False, label="Clip geometries to the image instead of refusing them")
    match_by_name = forms.BooleanField(
        required=False, label="Match images by file name (external_media_ID) when the ids are from elsewhere"
    )


def _too_large(request):
    limit = settings.LABELYARD_MAX_IMPORT_BYTES + MULTIPART_OVERHEAD
    return request.method == "POST" and declared_body_size(request) > limit


@login_required
def import_page(request, pk):
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    status_code = 200
    if _too_large(request):
        # Refused before Django copies the body to a temporary file: the form is shown empty.
        form = ImportForm(data={})
        size = declared_body_size(request) - MULTIPART_OVERHEAD
        error = importing.FileTooLarge(size, settings.LABELYARD_MAX_IMPORT_BYTES).errors[0]["message"]
        form.errors["file"] = form.error_class([error])
        status_code = 413
    else:
        form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and status_code == 200 and form.is_valid():
        options = {name: form.cleaned_data[name] for name in OPTIONS}
        try:
            job = importing.start_import(project, form.cleaned_data["file"], user=request.user, **options)
        except importing.FileTooLarge as error:
            form.add_error("file", error.errors[0]["message"])
            status_code = 413
        else:
            return redirect(job)
    jobs = project.import_jobs.all()[:10]
    return render(
        request, "labeling/import_form.html", {"project": project, "form": form, "jobs": jobs}, status=status_code
    )


@login_required
def import_report(request, pk, job_id):
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    job = get_object_or_404(ImportJob, project=project, pk=job_id)
    return render(request, "labeling/import_report.html", {"project": project, "job": job})


@login_required
def import_status(request, pk, job_id):
    """The job's progress for the report page's progress bar."""
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    job = get_object_or_404(ImportJob, project=project, pk=job_id)
    return JsonResponse({"status": job.status, "progress": job.progress, "finished": job.finished})


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
    200 with the summary for a dry run, 201 when written, 400 ``{"errors": [{path, message}]}``
    when the file is invalid (nothing written), 413 over LABELYARD_MAX_IMPORT_BYTES.
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
        responses={200: ImportSummarySerializer, 201: ImportSummarySerializer, 400: OpenApiTypes.OBJECT,
                   413: OpenApiTypes.OBJECT},
    )  # fmt: skip
    def post(self, request, pk):
        project = access.get_project(request.user, pk, roles={Role.ADMIN})
        try:
            data = _request_file(request)
            options = {name: _flag(request, name) for name in OPTIONS}
            summary = importing.import_labels(project, data, user=request.user, **options)
        except importing.ImportRejected as rejected:
            return Response(
                {"detail": str(rejected), "code": rejected.code, "errors": rejected.errors},
                status=rejected.status_code,
            )
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
