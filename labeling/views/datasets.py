"""Dataset pages: list and create datasets, browse their images, add images by drag and drop or
by URL (fetched in the background, labeling/url_imports.py), and attach datasets to projects.
The bucket sources shown here are managed by labeling/views/buckets.py. Access rules come from
projects.access."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from labeling.attaching import attach_dataset, create_tasks_for_media, detach_dataset
from labeling.bucket_syncs import sources_with_last_sync
from labeling.url_imports import UrlsRejected, check_urls, progress, start_url_import, with_counts
from projects import access
from projects.datasets import DatasetRejected, create_dataset
from projects.forms import BucketSourceForm, DatasetForm
from projects.media import ImageRejected, add_image, upload_too_large
from projects.models import UrlImportItem

MEDIA_PAGE_SIZE = 60
# URL imports shown on a dataset's page, newest first.
RECENT_URL_IMPORTS = 5


class UrlListForm(forms.Form):
    urls = forms.CharField(
        label="Image URLs", widget=forms.Textarea(attrs={"rows": 4}), help_text="One image URL per line."
    )

    def clean_urls(self):
        try:
            return check_urls(self.cleaned_data["urls"].splitlines())
        except UrlsRejected as rejected:
            raise forms.ValidationError(rejected.errors) from rejected


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
    return render_detail(request, _dataset(request, pk))


def render_detail(request, dataset, url_form=None, bucket_form=None, status=200):
    """The dataset page; forms given are shown with their errors."""
    page = Paginator(dataset.media.order_by("original_name"), MEDIA_PAGE_SIZE).get_page(request.GET.get("page"))
    attached = set(dataset.projects.values_list("pk", flat=True))
    projects = [(p, p.pk in attached) for p in access.admin_projects(request.user)]
    url_imports = list(with_counts(dataset.url_imports.all())[:RECENT_URL_IMPORTS])
    failures = UrlImportItem.objects.filter(job__in=url_imports, state=UrlImportItem.State.FAILED)
    for job in url_imports:
        job.progress = progress(job)
        job.failures = [item for item in failures if item.job_id == job.pk]
    context = {
        "dataset": dataset,
        "page": page,
        "projects": projects,
        "url_form": url_form or UrlListForm(),
        "url_imports": url_imports,
        "bucket_form": bucket_form or BucketSourceForm(user=request.user),
        "bucket_sources": sources_with_last_sync(dataset),
    }
    return render(request, "projects/dataset_detail.html", context, status=status)


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
    """Queue the URLs for a worker to fetch; the page then shows the job's progress. A list with
    a bad URL queues nothing and is shown again with every problem."""
    dataset = _dataset(request, pk)
    form = UrlListForm(request.POST)
    if not form.is_valid():
        return render_detail(request, dataset, url_form=form, status=400)
    urls = form.cleaned_data["urls"]
    start_url_import(dataset, urls, user=request.user)
    messages.success(request, f"Fetching {len(urls)} URL(s) in the background.")
    return redirect(f"{reverse('projects:dataset', args=[dataset.pk])}#url-imports")


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
