"""Labeler pages: "Start labeling" hands out the next task, and the workspace page draws and edits it.

The page is a Django template plus ES modules in static/labeling/; everything the script needs
(configuration, image, API addresses, label rules) is passed once as JSON in the page.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from formats import datagym
from labeling import queue, review
from projects import access
from rules import configuration as config
from rules import labels as document

Role = access.Role


def _excluded(request):
    after = request.GET.get("after", "")
    return int(after) if after.isdigit() else None


@login_required
def start_labeling(request, pk):
    """Send the labeler to their next task, or say that the queue is empty."""
    project = access.get_project(request.user, pk, roles={Role.ADMIN, Role.LABELER})
    task = queue.next_task(project, request.user, exclude=_excluded(request))
    if task is None:
        return render(request, "labeling/queue_empty.html", {"project": project})
    return redirect("labeling:workspace", task.pk)


def rules():
    """The label rules the workspace script applies while editing, read from the modules that own
    them at each request; static/labeling/ keeps no copies, so the page and the server cannot drift."""
    return {
        "geometryKinds": list(config.GEOMETRY_KINDS),
        # "ring" is each ring of an image segmentation: its outline and every hole.
        "minVertices": {**document.MIN_POINTS, "ring": document.MIN_RING_POINTS},
        "radioMaxOptions": datagym.RADIO_MAX_OPTIONS,
        "freetextDefaultLength": config.DEFAULT_FREETEXT_LENGTH,
        "reviewCommentMaxLength": review.MAX_COMMENT_LENGTH,
    }


def page_data(task, user, mode):
    """What the workspace script needs, as one JSON-ready dict."""
    project = task.project
    return {
        "task": task.pk,
        "mode": mode,
        "state": task.state,
        "labeler": task.labeler.username if task.labeler else "",
        "reviewComment": task.review_comment,
        "configuration": project.label_configuration.data,
        "rules": rules(),
        "image": {
            "url": reverse("projects:media_file", args=[task.media_id]),
            "width": task.media.width,
            "height": task.media.height,
            "name": task.media.original_name,
        },
        "urls": {
            "labels": reverse("api:task-labels", args=[task.pk]),
            "skip": reverse("api:task-skip", args=[task.pk]),
            "complete": reverse("api:task-complete", args=[task.pk]),
            "accept": reverse("api:task-accept", args=[task.pk]),
            "reject": reverse("api:task-reject", args=[task.pk]),
            "next": reverse("labeling:queue", args=[project.pk]) + f"?after={task.pk}",
            "nextReview": reverse("labeling:review_queue", args=[project.pk]) + f"?after={task.pk}",
            "project": project.get_absolute_url(),
        },
    }


@login_required
def workspace(request, task_id):
    """The labeling workspace; read-only for members who may not edit this task."""
    task = queue.open_task(request.user, task_id)
    mode = "label" if queue.can_edit(task, request.user) else "view"
    return render(
        request,
        "labeling/workspace.html",
        {"task": task, "project": task.project, "mode": mode, "data": page_data(task, request.user, mode)},
    )
