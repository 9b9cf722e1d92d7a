"""Dataset pages: list and create datasets, browse their images, add images by drag and drop or
by URL, and attach datasets to projects. Access rules come from projects.access."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from projects import access
from projects.datasets import (
    DatasetRejected,
    attach_dataset,
    create_dataset,
    create_tasks_for_media,
    detach_dataset,
)
from projects.forms import DatasetForm
from projects.media import ImageRejected, add_image, add_image_from_url, upload_too_large

MEDIA_PAGE_SIZE = 60
MAX_URLS = 500


class UrlListForm(forms.Form):
    urls = forms.CharField(
        label="Image URLs", widget=forms.Textarea(attrs={"rows": 4}), help_text="One image URL per line."
    )

    def clean_urls(self):
        urls = list(dict.fromkeys(line.strip() for line in self.cleaned_data["urls"].splitlines() if line.strip()))
        if not urls:
            raise forms.ValidationError("Give at least one URL.")
        if len(urls) > MAX_URLS:
            raise forms.ValidationError(f"At most {MAX_URLS} URLs at once.")
        return urls


def _dataset(request, pk):
    dataset = access.manageable_datasets(request.user).filter(pk=pk).first()
    if dataset is None:
        raise Http404("No such dataset.")
    return dataset


@login_required
def dataset_list(request):
    form = DatasetForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            dataset = create_dataset(form.cleaned_data["name"], request.user, form.cleaned_data["short_description"])
        except DatasetRejected as error:
            form.add_error("name", str(error))
        else:
            return redirect("projects:dataset", pk=dataset.pk)
    datasets = access.manageable_datasets(request.user).annotate(media_count=Count("media", distinct=True))
    return render(request, "projects/dataset_list.html", {"datasets": datasets, "form": form})


@login_required
def dataset_detail(request, pk):
    dataset = _dataset(request, pk)
    page = Paginator(dataset.media.order_by("original_name"), MEDIA_PAGE_SIZE).get_page(request.GET.get("page"))
    attached = set(dataset.projects.values_list("pk", flat=True))
    projects = [(p, p.pk in attached) for p in access.admin_projects(request.user)]
    context = {"dataset": dataset, "page": page, "projects": projects, "url_form": UrlListForm()}
    return render(request, "projects/dataset_detail.html", context)


@login_required
@require_POST
def dataset_upload(request, pk):
    """One image per request, so the page can show progress and a result per file."""
    dataset = _dataset(request, pk)
    if upload_too_large(request):
        limit = settings.LABELYARD_MAX_UPLOAD_BYTES
        return JsonResponse({"error": f"The file is larger than {limit} bytes."}, status=413)
    upload = request.FILES.get("image")
    if upload is None:
        return JsonResponse({"error": "No file in the request (field `image`)."}, status=400)
    try:
        media = add_image(dataset, upload, upload.name)
    except ImageRejected as error:
        return JsonResponse({"name": upload.name, "error": str(error)}, status=400)
    create_tasks_for_media(media)
    return JsonResponse({"name": media.original_name, "id": str(media.pk), "width": media.width,
                         "height": media.height}, status=201)  # fmt: skip


@login_required
@require_POST
def dataset_urls(request, pk):
    dataset = _dataset(request, pk)
    form = UrlListForm(request.POST)
    if not form.is_valid():
        for error in form.errors["urls"]:
            messages.error(request, error)
        return redirect("projects:dataset", pk=dataset.pk)
    added = 0
    for url in form.cleaned_data["urls"]:
        try:
            create_tasks_for_media(add_image_from_url(dataset, url))
            added += 1
        except ImageRejected as error:
            messages.error(request, str(error))
    messages.success(request, f"Added {added} of {len(form.cleaned_data['urls'])} URL(s).")
    return redirect("projects:dataset", pk=dataset.pk)


@login_required
@require_POST
def dataset_attach(request, pk):
    dataset = _dataset(request, pk)
    project = access.get_project(request.user, request.POST.get("project", ""), roles={access.Role.ADMIN})
    if request.POST.get("action") == "detach":
        removed = detach_dataset(project, dataset)
        messages.success(request, f"Detached from {project.name}; {removed} task(s) and their labels removed.")
    else:
        created = attach_dataset(project, dataset)
        messages.success(request, f"Attached to {project.name}; {created} task(s) created.")
    return redirect("projects:dataset", pk=dataset.pk)
