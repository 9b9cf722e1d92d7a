"""The labels API the workspace talks to: read and save a task's labels, and move it through the queue.

Session-authenticated DRF views; each validates, calls one function of labeling.labels,
labeling.queue or labeling.review, and answers. Errors are raised, so they take the API's one
shape (api/errors.py). A stale save is a 409 naming the current version, so the client
can tell the labeler instead of overwriting someone's work.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import ApiError
from api.label_serializers import (
    LabelsSavedSerializer,
    LabelsSaveSerializer,
    RejectSerializer,
    TaskLabelsSerializer,
    TaskMovedSerializer,
)
from labeling import queue, review
from labeling.labels import ConfigurationChanged, InvalidLabels, StaleVersion, read_labels, save_labels
from labeling.states import TransitionError
from projects import access


class TaskLabelsView(APIView):
    """GET: the task's labels document and version. PUT {document, version}: replace them."""

    @extend_schema(responses=TaskLabelsSerializer)
    def get(self, request, task_id):
        task = queue.open_task(request.user, task_id)
        document, version = read_labels(task)
        return Response(
            {
                "task": task.pk,
                "state": task.state,
                "version": version,
                "editable": queue.can_edit(task, request.user),
                "document": document,
            }
        )

    @extend_schema(request=LabelsSaveSerializer, responses=LabelsSavedSerializer)
    def put(self, request, task_id):
        task = queue.open_task(request.user, task_id)
        if not queue.can_edit(task, request.user):
            raise PermissionDenied(
                "Only the task's labeler (holding the labeler role, while the task is in progress) "
                "or a project admin can edit."
            )
        serializer = LabelsSaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            version = save_labels(task, data["document"], data["version"], request.user)
        except StaleVersion as error:
            # The workspace shows `version` in its conflict dialog (static/labeling/workspace.js).
            raise ApiError(
                status.HTTP_409_CONFLICT,
                "Someone else changed this task since you loaded it; reload to see their version.",
                "stale_version",
                version=error.current,
            ) from error
        except ConfigurationChanged as error:
            errors = [{"path": path, "message": message} for path, message in error.errors]
            raise ApiError(
                status.HTTP_409_CONFLICT,
                "The label configuration changed while you were saving and these labels no longer fit it; "
                "reload the task to see the new configuration.",
                "configuration_changed",
                errors,
            ) from error
        except InvalidLabels as error:
            errors = [{"path": path, "message": message} for path, message in error.errors]
            raise ApiError(
                status.HTTP_400_BAD_REQUEST, "The labels do not fit the label configuration.", "invalid", errors
            ) from error
        return Response({"task": task.pk, "version": version})


class _TaskActionView(APIView):
    """POST-only views that move a task; they answer with its new state and the page to go to next."""

    roles = access.ANY_ROLE

    @extend_schema(request=None, responses=TaskMovedSerializer)
    def post(self, request, task_id):
        task = queue.open_task(request.user, task_id)
        if task.project.user_role not in self.roles:
            raise PermissionDenied(f"This needs the {' or '.join(sorted(self.roles))} role.")
        try:
            task = self.act(request, task)
        except TransitionError as error:
            raise ApiError(status.HTTP_409_CONFLICT, str(error), "state_changed") from error
        except queue.NotYourTask as error:
            raise PermissionDenied(str(error)) from error
        except queue.Incomplete as error:
            # One entry per unanswered question; the workspace lists their messages.
            errors = [{"path": "", "message": sentence} for sentence in error.missing]
            raise ApiError(status.HTTP_400_BAD_REQUEST, str(error), "incomplete", errors) from error
        except review.NotReviewable as error:
            raise ApiError(
                status.HTTP_400_BAD_REQUEST, str(error), "not_reviewable", [{"path": "", "message": str(error)}]
            ) from error
        return Response({"task": task.pk, "state": task.state, "next_url": self.next_url(task)})


class SkipView(_TaskActionView):
    def act(self, request, task):
        return queue.skip(task, request.user)

    def next_url(self, task):
        return reverse("labeling:queue", args=[task.project_id])


class CompleteView(SkipView):
    def act(self, request, task):
        return queue.complete(task, request.user)


class AcceptView(_TaskActionView):
    roles = {access.Role.ADMIN, access.Role.REVIEWER}

    def act(self, request, task):
        return review.accept(task, request.user)

    def next_url(self, task):
        return reverse("labeling:review_queue", args=[task.project_id])


@extend_schema_view(post=extend_schema(request=RejectSerializer, responses=TaskMovedSerializer))
class RejectView(AcceptView):
    def act(self, request, task):
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return review.reject(task, request.user, serializer.validated_data["comment"])
