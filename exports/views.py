"""Export pages and endpoints: the export form with history and progress, downloads, masks, and the API.

Views are thin: they check access through projects.access, validate, call one function of
exports.build and answer. Every member of a project may export and download its labels
("anyone with access downloads the labels"; DataGym limited this to admins, see docs/decisions.md).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from exports import build
from exports.forms import ExportForm
from exports.models import ExportJob
from exports.serializers import ExportJobSerializer, ExportRequestSerializer
from projects import access

HISTORY_LENGTH = 50


def _job(user, pk, roles=access.ANY_ROLE):
    job = ExportJob.objects.filter(pk=pk).first()
    if job is None:
        raise Http404("No such export.")
    job.project = access.get_project(user, job.project_id, roles=roles)
    return job


def _base_url(request):
    return request.build_absolute_uri("/").rstrip("/")


@login_required
def export_page(request, project_id):
    project = access.get_project(request.user, project_id)
    form = ExportForm(request.POST or None)
    has_labels = build.has_labels(project)
    if request.method == "POST" and form.is_valid():
        if not has_labels:
            messages.error(request, "This project has no labelled tasks to export yet.")
        else:
            options = build.normalise_options(form.cleaned_data["states"], form.cleaned_data["masks"])
            job, created = build.start_export(project, request.user, options, _base_url(request))
            if not created:
                messages.info(request, "Nothing changed since this export: it is reused.")
            return redirect(f"{reverse('exports:page', args=[project.pk])}?job={job.pk}")
    jobs = project.export_jobs.select_related("created_by")[:HISTORY_LENGTH]
    return render(
        request,
        "exports/export_page.html",
        {"project": project, "form": form, "has_labels": has_labels, "jobs": jobs},
    )


def _download(path_name, filename, content_type):
    path = build.media_path(path_name)
    if not path.is_file():
        raise Http404("The export file is missing.")
    return FileResponse(path.open("rb"), as_attachment=True, filename=filename, content_type=content_type)


@login_required
def download_json(request, pk):
    job = _job(request.user, pk)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404("This export is not finished.")
    return _download(job.file, f"labelyard_export_{job.project_id}_{job.pk}.json", "application/json")


@login_required
def download_archive(request, pk):
    job = _job(request.user, pk)
    if job.state != ExportJob.State.DONE or not job.archive:
        raise Http404("This export has no zip file.")
    return _download(job.archive, f"labelyard_export_{job.project_id}_{job.pk}.zip", "application/zip")


@login_required
def mask(request, pk, media_id, key):
    job = _job(request.user, pk)
    if job.state != ExportJob.State.DONE:
        raise Http404("This export is not finished.")
    if job.with_masks:
        path = build.stored_mask(job, media_id, key)
        if path is None:
            raise Http404("No such mask in this export.")
        return FileResponse(path.open("rb"), content_type="image/png")
    png = build.current_mask(job.project_id, media_id, key)
    if png is None:
        raise Http404("No such image or segmentation class in this project.")
    return HttpResponse(png, content_type="image/png")


class ProjectExportsView(APIView):
    """GET: the project's export jobs, newest first. POST {states?, masks?}: start (or reuse) an export."""

    @extend_schema(responses=ExportJobSerializer(many=True))
    def get(self, request, project_id):
        project = access.get_project(request.user, project_id)
        jobs = project.export_jobs.all()[:HISTORY_LENGTH]
        return Response(ExportJobSerializer(jobs, many=True, context={"request": request}).data)

    @extend_schema(request=ExportRequestSerializer, responses={200: ExportJobSerializer, 201: ExportJobSerializer})
    def post(self, request, project_id):
        project = access.get_project(request.user, project_id)
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        options = build.normalise_options(serializer.validated_data.get("states"), serializer.validated_data["masks"])
        job, created = build.start_export(project, request.user, options, _base_url(request))
        return Response(
            ExportJobSerializer(job, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ExportJobView(APIView):
    """GET: one export job's state, progress and download URLs."""

    @extend_schema(responses=ExportJobSerializer)
    def get(self, request, pk):
        job = _job(request.user, pk)
        return Response(ExportJobSerializer(job, context={"request": request}).data)
