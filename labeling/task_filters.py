"""The task list's query: filters and sort orders offered on the page, validated in one place."""

from django import forms
from django.contrib.auth import get_user_model

from labeling.models import Task
from labeling.states import State

SORTS = {
    "id": "id",
    "-id": "-id",
    "name": "media__original_name",
    "-name": "-media__original_name",
    "state": "state",
    "labeler": "labeler__username",
    "changed": "state_changed_at",
    "-changed": "-state_changed_at",
    "geometries": "labels__geometry_count",
    "-geometries": "-labels__geometry_count",
}
PAGE_SIZE = 50


class TaskFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state"), *State.choices], required=False)
    labeler = forms.ModelChoiceField(queryset=get_user_model().objects.none(), required=False, empty_label="Anyone")
    name = forms.CharField(
        required=False,
        max_length=255,
        label="File name contains",
        widget=forms.TextInput(attrs={"placeholder": "File name contains", "aria-label": "File name contains"}),
    )
    imported = forms.BooleanField(required=False, label="Has imported labels")
    sort = forms.ChoiceField(choices=[(k, k) for k in SORTS], required=False)

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["labeler"].queryset = get_user_model().objects.filter(project_memberships__project=project)


def filter_tasks(project, filters, only_labeler=None):
    """Tasks of `project` matching the cleaned `filters`; `only_labeler` limits to one person's."""
    tasks = Task.objects.filter(project=project).select_related("media", "labeler", "labels")
    if only_labeler is not None:
        tasks = tasks.filter(labeler=only_labeler)
    if filters.get("state"):
        tasks = tasks.filter(state=filters["state"])
    if filters.get("labeler"):
        tasks = tasks.filter(labeler=filters["labeler"])
    if filters.get("name"):
        tasks = tasks.filter(media__original_name__icontains=filters["name"])
    if filters.get("imported"):
        tasks = tasks.filter(labels__imported_count__gt=0)
    return tasks.order_by(SORTS.get(filters.get("sort") or "id", "id"), "id")
