"""The native REST API: projects, datasets, media, label configuration, members and tasks.

Views are thin: they check the caller's role through projects.access (strangers get 404, lesser
roles 403), validate with api/serializers.py and call the same functions the pages use.
A task's labels, imports and exports live in the labeling and exports apps' APIs.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api import serializers
from api.errors import ApiError
from labeling.attaching import attach_dataset, create_tasks_for_dataset, detach_dataset
from labeling.configuring import ConfirmationNeeded, save_configuration
from labeling.creation import ProjectRejected, create_project
from labeling.lifecycle import move
from labeling.models import Task
from labeling.states import TransitionError
from projects import access, members
from projects.datasets import DatasetRejected, create_dataset
from projects.media import ImageRejected, MediaUnavailable, add_image, delete_media, media_response, upload_too_large
from projects.models import Media, ProjectMember
from rules import configuration as config

Role = access.Role
ADMIN = {Role.ADMIN}
# Ids beyond a 64-bit integer cannot exist; refusing them early keeps SQLite from overflowing.
MAX_ID = 2**63 - 1


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The body is larger than one image may be (setting LABELYARD_MAX_UPLOAD_BYTES)."
    default_code = "too_large"


def project_for(request, pk, roles=access.ANY_ROLE):
    if pk > MAX_ID:
        raise NotFound("No such project.")
    return access.get_project(request.user, pk, roles)


def dataset_for(request, pk, manage=False):
    """A dataset the caller can read (404 otherwise); with `manage`, 403 unless they can change it."""
    dataset = access.readable_datasets(request.user).filter(pk=pk).first() if pk <= MAX_ID else None
    if dataset is None:
        raise NotFound("No such dataset.")
    if manage and not access.manageable_datasets(request.user).filter(pk=pk).exists():
        raise PermissionDenied("Changing a dataset needs the admin role in a project using it, or having created it.")
    return dataset


def media_for(request, media_id, manage=False):
    media = Media.objects.filter(pk=media_id).first()
    if media is None:
        raise NotFound("No such image.")
    dataset_for(request, media.dataset_id, manage)
    return media


def task_for(request, task_id, roles=access.ANY_ROLE):
    tasks = Task.objects.select_related("project", "media", "labeler", "reviewer")
    task = tasks.filter(pk=task_id).first() if task_id <= MAX_ID else None
    if task is None:
        raise NotFound("No such task.")
    task.project = project_for(request, task.project_id, roles)
    return task


# Projects -----------------------------------------------------------------------------------


class ProjectList(generics.ListCreateAPIView):
    """Projects you are a member of; create one (you become its admin)."""

    serializer_class = serializers.ProjectSerializer

    def get_queryset(self):
        user = self.request.user
        role = Subquery(ProjectMember.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1])
        if user.is_superuser:
            role = Coalesce(role, Value(Role.ADMIN))
        return access.visible_projects(user).annotate(user_role=role).order_by("name")

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            project = create_project(
                data["name"],
                data.get("configuration"),
                owner=self.request.user,
                short_description=data.get("short_description", ""),
                description=data.get("description", ""),
            )
        except ProjectRejected as error:
            raise ValidationError({"non_field_errors": error.errors}) from error
        project.user_role = Role.ADMIN
        serializer.instance = project


class ProjectDetail(generics.RetrieveUpdateAPIView):
    """One project; changing its name or descriptions needs the admin role."""

    serializer_class = serializers.ProjectUpdateSerializer

    def get_object(self):
        roles = access.ANY_ROLE if self.request.method in ("GET", "HEAD") else ADMIN
        return project_for(self.request, self.kwargs["pk"], roles)


class ConfigurationView(APIView):
    """The project's label configuration. PUT replaces it; every broken rule is reported at once."""

    @extend_schema(responses=serializers.ConfigurationSerializer)
    def get(self, request, pk):
        project = project_for(request, pk)
        return Response(serializers.ConfigurationSerializer(project.label_configuration).data)

    @extend_schema(request=serializers.ConfigurationChangeSerializer, responses=serializers.ConfigurationSerializer)
    def put(self, request, pk):
        project = project_for(request, pk, ADMIN)
        body = serializers.ConfigurationChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            configuration = save_configuration(
                project, body.validated_data["configuration"], body.validated_data["confirm"]
            )
        except config.ConfigurationError as error:
            raise ValidationError({"configuration": error.errors}) from error
        except ConfirmationNeeded as needed:
            raise ApiError(status.HTTP_409_CONFLICT, needed.plan.summary(), "confirmation_needed") from needed
        configuration.refresh_from_db()
        return Response(serializers.ConfigurationSerializer(configuration).data)


# Members ------------------------------------------------------------------------------------


class MemberList(generics.ListCreateAPIView):
    """Members of a project and their roles; adding one needs the admin role."""

    serializer_class = serializers.MemberSerializer

    def get_queryset(self):
        project = project_for(self.request, self.kwargs["pk"])
        return ProjectMember.objects.filter(project=project).select_related("user").order_by("user__username")

    @extend_schema(request=serializers.MemberCreateSerializer, responses={201: serializers.MemberSerializer})
    def post(self, request, pk):
        project = project_for(request, pk, ADMIN)
        body = serializers.MemberCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            member = members.add_member(project, body.validated_data["username"], body.validated_data["role"])
        except members.MembershipError as error:
            raise ValidationError({"username": [str(error)]}) from error
        return Response(serializers.MemberSerializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetail(APIView):
    """Change a member's role or remove them; a project always keeps at least one admin."""

    @extend_schema(request=serializers.MemberRoleSerializer, responses=serializers.MemberSerializer)
    def patch(self, request, pk, member_id):
        project = project_for(request, pk, ADMIN)
        body = serializers.MemberRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            member = members.change_role(project, member_id, body.validated_data["role"])
        except members.MembershipError as error:
            raise ValidationError({"role": [str(error)]}) from error
        return Response(serializers.MemberSerializer(member).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk, member_id):
        project = project_for(request, pk, ADMIN)
        try:
            members.remove_member(project, member_id)
        except members.MembershipError as error:
            raise ValidationError({"member": [str(error)]}) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


# Datasets and media -------------------------------------------------------------------------


class DatasetList(generics.ListCreateAPIView):
    """Datasets you can see: those of your projects and those you created."""

    serializer_class = serializers.DatasetSerializer

    def get_queryset(self):
        return access.readable_datasets(self.request.user).annotate(media_count=Count("media")).order_by("name")

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            dataset = create_dataset(data["name"], self.request.user, data.get("short_description", ""))
        except DatasetRejected as error:
            raise ValidationError({"name": [str(error)]}) from error
        dataset.media_count = 0
        serializer.instance = dataset


class DatasetDetail(generics.RetrieveAPIView):
    serializer_class = serializers.DatasetSerializer

    def get_object(self):
        dataset = dataset_for(self.request, self.kwargs["pk"])
        dataset.media_count = dataset.media.count()
        return dataset


class ProjectDatasetList(generics.ListAPIView):
    """Datasets attached to a project. POST attaches one (a task is created per image)."""

    serializer_class = serializers.DatasetSerializer

    def get_queryset(self):
        project = project_for(self.request, self.kwargs["pk"])
        return project.datasets.annotate(media_count=Count("media")).order_by("name")

    @extend_schema(request=serializers.AttachDatasetSerializer, responses={201: serializers.DatasetSerializer})
    def post(self, request, pk):
        project = project_for(request, pk, ADMIN)
        body = serializers.AttachDatasetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        dataset = dataset_for(request, body.validated_data["dataset"], manage=True)
        attach_dataset(project, dataset)
        dataset.media_count = dataset.media.count()
        return Response(serializers.DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)


class ProjectDatasetDetail(APIView):
    @extend_schema(responses={204: None}, description="Detach a dataset; its tasks in the project and their labels go.")
    def delete(self, request, pk, dataset_id):
        project = project_for(request, pk, ADMIN)
        dataset = project.datasets.filter(pk=dataset_id).first() if dataset_id <= MAX_ID else None
        if dataset is None:
            raise NotFound("The dataset is not attached to this project.")
        detach_dataset(project, dataset)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DatasetMediaList(generics.ListAPIView):
    """Images of a dataset (filter with ?name=); POST uploads one image as multipart form data."""

    serializer_class = serializers.MediaSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(parameters=[OpenApiParameter("name", str, description="Part of the file name.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        dataset = dataset_for(self.request, self.kwargs["pk"])
        media = dataset.media.order_by("original_name")
        if self.request.query_params.get("name"):
            media = media.filter(original_name__icontains=self.request.query_params["name"])
        return media

    @extend_schema(request=serializers.MediaUploadSerializer, responses={201: serializers.MediaSerializer})
    def post(self, request, pk):
        dataset = dataset_for(request, pk, manage=True)
        if upload_too_large(request):
            raise PayloadTooLarge()
        body = serializers.MediaUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        try:
            with transaction.atomic():
                media = add_image(dataset, upload, body.validated_data.get("name") or upload.name)
                create_tasks_for_dataset(dataset)
        except ImageRejected as error:
            raise ValidationError({"file": [str(error)]}) from error
        return Response(serializers.MediaSerializer(media).data, status=status.HTTP_201_CREATED)


class MediaDetail(generics.RetrieveDestroyAPIView):
    """One image; DELETE removes it with its tasks and labels in every project."""

    serializer_class = serializers.MediaSerializer

    def get_object(self):
        return media_for(self.request, self.kwargs["media_id"], manage=self.request.method == "DELETE")

    def perform_destroy(self, instance):
        delete_media(instance)


class MediaFile(APIView):
    # The stored image as uploaded: its own type (projects/media.py accepts only images).
    @extend_schema(responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request, media_id):
        media = media_for(request, media_id)
        try:
            return media_response(media, filename=media.original_name)
        except MediaUnavailable as error:
            raise NotFound(str(error)) from error


# Tasks --------------------------------------------------------------------------------------


class TaskList(generics.ListAPIView):
    """A project's tasks, filtered by state, labeler (user name, or "none") and file name."""

    serializer_class = serializers.TaskSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=[s.value for s in serializers.State]),
            OpenApiParameter("labeler", str, description='User name, or "none" for unassigned tasks.'),
            OpenApiParameter("name", str, description="Part of the image's file name."),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        project = project_for(self.request, self.kwargs["pk"])
        tasks = Task.objects.filter(project=project).select_related("media", "labeler", "reviewer").order_by("id")
        params = self.request.query_params
        if params.get("state"):
            if params["state"] not in serializers.State.values:
                raise ValidationError({"state": [f"Choose one of {', '.join(serializers.State.values)}."]})
            tasks = tasks.filter(state=params["state"])
        if params.get("labeler") == "none":
            tasks = tasks.filter(labeler__isnull=True)
        elif params.get("labeler"):
            tasks = tasks.filter(labeler__username=params["labeler"])
        if params.get("name"):
            tasks = tasks.filter(media__original_name__icontains=params["name"])
        return tasks


class TaskDetail(generics.RetrieveAPIView):
    serializer_class = serializers.TaskSerializer

    def get_object(self):
        return task_for(self.request, self.kwargs["task_id"])


class TaskMove(APIView):
    """Move a task along the lifecycle (labeling/states.py); admins only."""

    @extend_schema(request=serializers.TaskMoveSerializer, responses=serializers.TaskSerializer)
    def post(self, request, task_id):
        task = task_for(request, task_id, ADMIN)
        body = serializers.TaskMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            move(task, body.validated_data["state"])
        except TransitionError as error:
            raise ApiError(status.HTTP_409_CONFLICT, str(error), "transition") from error
        return Response(serializers.TaskSerializer(task).data)


class TaskAssign(APIView):
    """Assign a task to a project member as labeler, or unassign it (null); admins only."""

    @extend_schema(request=serializers.TaskAssignSerializer, responses=serializers.TaskSerializer)
    def post(self, request, task_id):
        task = task_for(request, task_id, ADMIN)
        body = serializers.TaskAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username = body.validated_data["labeler"]
        labeler = None
        if username is not None:
            labeler = get_user_model().objects.filter(username=username).first()
            if labeler is None or access.role_in(labeler, task.project) is None:
                raise ValidationError({"labeler": [f"{username} is not a member of this project."]})
        with transaction.atomic():
            # The labeler is in the export: a change makes the next export a new file.
            if Task.objects.filter(pk=task.pk).exclude(labeler=labeler).update(labeler=labeler):
                task.project.bump_revision()
        task.labeler = labeler
        return Response(serializers.TaskSerializer(task).data)
