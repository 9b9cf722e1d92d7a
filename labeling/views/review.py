"""Reviewer pages: "Start reviewing" hands out the next finished task, shown read-only in the workspace."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from labeling import queue, review
from labeling.views.workspace import page_data
from projects import access


@login_required
def start_reviewing(request, pk):
    """Send the reviewer to the next completed or skipped task, or say that none is left."""
    project = access.get_project(request.user, pk, roles=review.REVIEW_ROLES)
    after = request.GET.get("after", "")
    task = review.next_review(project, request.user, exclude=int(after) if after.isdigit() else None)
    if task is None:
        return render(request, "labeling/review_empty.html", {"project": project})
    return redirect("labeling:review", task.pk)


@login_required
def review_task(request, task_id):
    """The workspace in review mode: labels read-only, with Accept and Reject."""
    task = queue.open_task(request.user, task_id)
    try:
        review.check_reviewer(task, request.user)
    except review.NotYourReview as error:
        raise PermissionDenied(str(error)) from error
    return render(
        request,
        "labeling/workspace.html",
        {"task": task, "project": task.project, "mode": "review", "data": page_data(task, request.user, "review")},
    )
