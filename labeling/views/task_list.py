"""The project's task list page: filter, sort, paginate, and bulk actions for admins."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from labeling import bulk
from labeling.states import TransitionError
from labeling.task_filters import PAGE_SIZE, TaskFilterForm, filter_tasks
from projects import access

Role = access.Role
ACTIONS = {
    "release": ("Move backlog to waiting", bulk.release),
    "hold": ("Move waiting back to backlog", bulk.hold),
    "assign": ("Assign labeler", None),
    "reset": ("Reset to the queue (labels kept)", bulk.reset),
}


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(k, label) for k, (label, _) in ACTIONS.items()])
    tasks = forms.ModelMultipleChoiceField(queryset=None, error_messages={"required": "Select at least one task."})
    labeler = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tasks"].queryset = project.tasks.all()
        self.fields["labeler"].queryset = project_users(project)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "assign" and not cleaned.get("labeler"):
            self.add_error("labeler", "Choose the labeler to assign.")
        return cleaned


def project_users(project):
    return get_user_model().objects.filter(project_memberships__project=project).order_by("username")


@login_required
def task_list(request, pk):
    project = access.get_project(request.user, pk)
    is_admin = project.user_role == Role.ADMIN
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied("Only project admins can change tasks in bulk.")
        _bulk_action(request, project)
        return redirect(request.get_full_path())
    form = TaskFilterForm(request.GET or None, project=project)
    filters = form.cleaned_data if form.is_valid() else {}
    only_labeler = request.user if project.user_role == Role.LABELER else None
    page = Paginator(filter_tasks(project, filters, only_labeler), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "project": project,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "is_admin": is_admin,
        "actions": [(k, label) for k, (label, _) in ACTIONS.items()],
        "labelers": project_users(project),
    }
    return render(request, "labeling/task_list.html", context)


def _bulk_action(request, project):
    form = BulkActionForm(request.POST, project=project)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return
    tasks = project.tasks.filter(pk__in=[t.pk for t in form.cleaned_data["tasks"]])
    action = form.cleaned_data["action"]
    try:
        if action == "assign":
            count = bulk.assign(tasks, project, form.cleaned_data["labeler"])
        else:
            count = ACTIONS[action][1](tasks)
    except (bulk.BulkActionError, TransitionError) as error:
        messages.error(request, str(error))
        return
    messages.success(request, f"{ACTIONS[action][0]}: {count} task(s) changed.")
