"""The export and release endpoints of the API: start and list export jobs and releases, read one.

Every member of a project may export (docs/decisions.md "Who may export"); releases are made by its admins.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.export_serializers import (
    ExportJobSerializer,
    ExportRequestSerializer,
    ReleaseRequestSerializer,
    ReleaseSerializer,
)
from exports import build, releases, views
from labeling import dashboard
from projects import access


class ProjectExportsView(APIView):
    """GET: the project's export jobs, newest first. POST {states?, masks?}: start (or reuse) an export."""

    @extend_schema(responses=ExportJobSerializer(many=True))
    def get(self, request, project_id):
        project = access.get_project(request.user, project_id)
        jobs = project.export_jobs.all()[: views.HISTORY_LENGTH]
        return Response(ExportJobSerializer(jobs, many=True, context={"request": request}).data)

    @extend_schema(request=ExportRequestSerializer, responses={200: ExportJobSerializer, 201: ExportJobSerializer})
    def post(self, request, project_id):
        project = access.get_project(request.user, project_id)
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if not dashboard.has_labels(project):
            # As the page's disabled button says.
            raise ValidationError("This project has no labelled tasks to export yet.")
        options = build.normalise_options(serializer.validated_data.get("states"), serializer.validated_data["masks"])
        job, created = build.start_export(project, request.user, options, views.base_url(request))
        return Response(
            ExportJobSerializer(job, context={"request": request}).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ExportJobView(APIView):
    """GET: one export job's state, progress and download URLs."""

    @extend_schema(responses=ExportJobSerializer)
    def get(self, request, pk):
        job = views.job_for(request.user, pk)
        return Response(ExportJobSerializer(job, context={"request": request}).data)


class ProjectReleasesView(APIView):
    """GET: the project's releases, newest first. POST {name, ...}: create a release (project admins)."""

    @extend_schema(responses=ReleaseSerializer(many=True))
    def get(self, request, project_id):
        project = access.get_project(request.user, project_id)
        return Response(ReleaseSerializer(project.releases.all(), many=True, context={"request": request}).data)

    @extend_schema(request=ReleaseRequestSerializer, responses={201: ReleaseSerializer})
    def post(self, request, project_id):
        project = access.get_project(request.user, project_id, roles={access.Role.ADMIN})
        serializer = ReleaseRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            release = releases.create_release(
                project,
                request.user,
                name=data["name"],
                description=data["description"],
                labeled_states=data["labeled_states"],
                reviewed_states=data["reviewed_states"],
                task_type=data.get("task_type") or releases.default_task_type(project),
                base_url=views.base_url(request),
            )
        except releases.ReleaseError as error:
            raise ValidationError({error.field: [str(error)]}) from error
        return Response(ReleaseSerializer(release, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ReleaseView(APIView):
    """GET: one release's state, progress, counts and download URLs."""

    @extend_schema(responses=ReleaseSerializer)
    def get(self, request, pk):
        return Response(ReleaseSerializer(views.release_for(request.user, pk), context={"request": request}).data)
