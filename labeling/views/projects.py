"""Server-rendered project pages: list, create, home, image upload, configuration editor."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from formats import jsonio
from labeling import dashboard
from labeling.attaching import attach_dataset
from labeling.configuring import ConfirmationNeeded, save_configuration
from labeling.creation import ProjectRejected, create_project
from labeling.states import State
from projects import access, stored, tokens
from projects.datasets import DatasetRejected, create_dataset
from projects.forms import (
    ApiTokenForm,
    ConfigurationForm,
    DeleteProjectForm,
    ProjectEditForm,
    ProjectForm,
    UploadImagesForm,
)
from projects.media import ImageRejected, MediaUnavailable, add_image, media_response
from projects.members import MembershipError, add_member, change_role, remove_member
from projects.models import Media
from rules import configuration as config

Role = access.Role


@login_required
def project_list(request):
    projects = access.visible_projects(request.user).annotate(task_count=Count("tasks"))
    return render(request, "projects/project_list.html", {"projects": projects})


@login_required
def project_create(request):
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            project = create_project(
                form.cleaned_data["name"],
                form.cleaned_data["configuration"],
                owner=request.user,
                short_description=form.cleaned_data["short_description"],
                description=form.cleaned_data["description"],
            )
        except ProjectRejected as error:
            for message in error.errors:
                form.add_error(None, message)
        else:
            messages.success(request, f"Project {project.name} created.")
            return redirect(project)
    return render(request, "projects/project_form.html", {"form": form})


@login_required
def project_detail(request, pk):
    project = access.get_project(request.user, pk)
    counts = dict(project.tasks.values_list("state").annotate(n=Count("id")))
    states = [(state.label, counts.get(state.value, 0)) for state in State]
    classes = dashboard.class_rows(project)
    per_day = dashboard.finished_per_day(project)
    context = {
        "project": project,
        "states": states,
        "state_bars": zip(states, dashboard.bars([n for _, n in states]), strict=True),
        "classes": zip(classes, dashboard.bars([c["count"] for c in classes]), strict=True),
        "per_day": zip(per_day, dashboard.bars([n for _, n in per_day], width=600), strict=True),
        "finished_30_days": sum(n for _, n in per_day),
        "labelers": dashboard.labeler_rows(project),
        "task_total": sum(counts.values()),
        "datasets": project.datasets.annotate(media_count=Count("media")),
        "is_admin": project.user_role == Role.ADMIN,
        "has_labels": dashboard.has_labels(project),
    }
    return render(request, "projects/project_detail.html", context)


@login_required
def project_edit(request, pk):
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    form = ProjectEditForm(request.POST or None, instance=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Project saved.")
        return redirect(project)
    return render(request, "projects/project_edit.html", {"project": project, "form": form})


@login_required
def project_delete(request, pk):
    """Deleting needs the project's name typed in: it takes every task and label with it."""
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    form = DeleteProjectForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        name = project.name
        project.delete()
        messages.success(request, f"Project {name} deleted.")
        return redirect("projects:list")
    context = {
        "project": project,
        "form": form,
        "task_count": project.tasks.count(),
        "labeled_count": project.tasks.filter(labels__geometry_count__gt=0).count(),
    }
    return render(request, "projects/project_delete.html", context)


@login_required
def upload_images(request, pk):
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    form = UploadImagesForm(request.POST or None, request.FILES or None, project=project, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            added, rejected = _store_uploads(project, form.cleaned_data, request.user)
        except DatasetRejected as error:
            form.add_error("new_dataset_name", str(error))
        else:
            if added:
                messages.success(request, f"Added {added} image(s).")
            for message in rejected:
                messages.error(request, message)
            if not rejected:
                return redirect(project)
    return render(request, "projects/upload_images.html", {"project": project, "form": form})


def _store_uploads(project, data, user):
    """Add each valid image; a rejected file is reported and does not stop the others."""
    with transaction.atomic():
        dataset = data["dataset"] or create_dataset(data["new_dataset_name"].strip(), user)
        added, rejected = 0, []
        for upload in data["images"]:
            try:
                add_image(dataset, upload, upload.name)
                added += 1
            except ImageRejected as error:
                rejected.append(str(error))
        attach_dataset(project, dataset)
    return added, rejected


@login_required
def edit_configuration(request, pk):
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    current = jsonio.dumps_text(project.label_configuration.data, indent=True)
    form = ConfigurationForm(request.POST or None, initial={"configuration": current})
    pending = None
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_configuration(project, form.cleaned_data["configuration"], form.cleaned_data["confirm"])
        except config.ConfigurationError as error:
            form.add_error("configuration", error.errors)
        except ConfirmationNeeded as needed:
            pending = needed.plan.summary()
        else:
            messages.success(request, f"Label configuration saved. {saved.change_summary}")
            return redirect(project)
    context = {"project": project, "form": form, "pending": pending}
    return render(request, "projects/configuration_form.html", context)


@login_required
@require_POST
def check_configuration(request, pk):
    """Inline validation for the configuration editor: the save rules, nothing written."""
    access.get_project(request.user, pk, roles={Role.ADMIN})
    try:
        config.parse(jsonio.loads(request.body or b"{}"))
    except jsonio.JSONDecodeError as error:
        return JsonResponse({"errors": [f"This is not valid JSON: {error}"]})
    except config.ConfigurationError as error:
        return JsonResponse({"errors": error.errors})
    return JsonResponse({"errors": [], "summary": "Saving shows what the change does to existing labels."})


@login_required
def members(request, pk):
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add":
                add_member(project, request.POST.get("username", "").strip(), request.POST.get("role", ""))
            elif action == "change":
                change_role(project, request.POST.get("member", ""), request.POST.get("role", ""))
            elif action == "remove":
                remove_member(project, request.POST.get("member", ""))
            else:
                raise MembershipError("Unknown action.")
        except MembershipError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Members updated.")
        return redirect("projects:members", pk=project.pk)
    context = {
        "project": project,
        "members": project.memberships.select_related("user").order_by("user__username"),
        "roles": Role.choices,
    }
    return render(request, "projects/members.html", context)


def _visible_media(request, media_id):
    media = get_object_or_404(Media.objects.select_related("dataset"), pk=media_id)
    if not access.visible_projects(request.user).filter(datasets=media.dataset_id).exists():
        raise Http404("No such image.")
    return media


def _image_response(media):
    try:
        return media_response(media)
    except MediaUnavailable as error:
        raise Http404(str(error)) from error


@login_required
def media_file(request, media_id):
    return _image_response(_visible_media(request, media_id))


@login_required
def media_thumbnail(request, media_id):
    media = _visible_media(request, media_id)
    if media.thumbnail:
        return stored.download(media.thumbnail.storage, media.thumbnail.name, "image/jpeg")
    # No thumbnail yet (its job is queued): the image itself.
    return _image_response(media)


@login_required
def api_tokens(request):
    """The user's API tokens: create one (its key is shown once, on this response), rename, revoke."""
    form = ApiTokenForm(request.POST if request.POST.get("action") == "create" else None)
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        token_id = request.POST.get("token", "")
        if action == "create" and form.is_valid():
            new_key = tokens.create_token(request.user, form.cleaned_data["name"])[1]
            form = ApiTokenForm()
        elif action == "revoke" and token_id.isdigit():
            if tokens.revoke(request.user, int(token_id)):
                messages.success(request, "Token revoked; clients using it are refused from now on.")
            return redirect("projects:api_tokens")
        elif action == "rename" and token_id.isdigit():
            tokens.rename(request.user, int(token_id), request.POST.get("name", ""))
            return redirect("projects:api_tokens")
    context = {"form": form, "new_key": new_key, "tokens": request.user.api_tokens.all()}
    return render(request, "projects/tokens.html", context)
