"""Export and release pages and endpoints: forms with history and progress, downloads, masks and signed
release files (their API is api/exports.py).

Views are thin: they check access through projects.access, validate, call one function of
exports.build or exports.releases and answer. Every member of a project may export and download its labels
("anyone with access downloads the labels"; DataGym limited this to admins, see docs/decisions.md).
Stored files are served by projects.stored.download once access is checked: streamed from local
storage, or a redirect to a short-lived presigned URL of the bucket (docs/export.md, "Downloads").
"""

from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from exports import build, releases, signing
from exports.forms import ExportForm, ReleaseForm
from exports.models import ExportJob, Release
from labeling import dashboard
from projects import access, stored
from projects.authentication import login_or_token_required
from projects.media import MediaUnavailable, has_bytes, media_response
from projects.models import Media

HISTORY_LENGTH = 50


def job_for(user, pk, roles=access.ANY_ROLE):
    job = ExportJob.objects.filter(pk=pk).first()
    if job is None:
        raise Http404("No such export.")
    job.project = access.get_project(user, job.project_id, roles=roles)
    return job


def base_url(request):
    return request.build_absolute_uri("/").rstrip("/")


@require_http_methods(["GET", "POST"])
@login_required
def export_page(request, project_id):
    project = access.get_project(request.user, project_id)
    form = ExportForm(request.POST or None)
    has_labels = dashboard.has_labels(project)
    if request.method == "POST" and form.is_valid():
        if not has_labels:
            messages.error(request, "This project has no labelled tasks to export yet.")
        else:
            options = build.normalise_options(form.cleaned_data["states"], form.cleaned_data["masks"])
            job, created = build.start_export(project, request.user, options, base_url(request))
            if not created:
                messages.info(request, "Nothing changed since this export: it is reused.")
            return redirect(f"{reverse('exports:page', args=[project.pk])}?job={job.pk}")
    jobs = project.export_jobs.select_related("created_by")[:HISTORY_LENGTH]
    return render(
        request,
        "exports/export_page.html",
        {"project": project, "form": form, "has_labels": has_labels, "jobs": jobs},
    )


def _download(name, filename, content_type):
    storage = stored.job_storage()
    if not storage.exists(name):
        raise Http404("The export file is missing.")
    return stored.download(storage, name, content_type, filename=filename, as_attachment=True)


@login_or_token_required
def download_json(request, pk):
    job = job_for(request.user, pk)
    if job.state != ExportJob.State.DONE or not job.file:
        raise Http404("This export is not finished.")
    return _download(job.file, f"labelyard_export_{job.project_id}_{job.pk}.json", "application/json")


@login_or_token_required
def download_archive(request, pk):
    job = job_for(request.user, pk)
    if job.state != ExportJob.State.DONE or not job.archive:
        raise Http404("This export has no zip file.")
    return _download(job.archive, f"labelyard_export_{job.project_id}_{job.pk}.zip", "application/zip")


@login_or_token_required
def mask(request, pk, media_id, key):
    job = job_for(request.user, pk)
    if job.state != ExportJob.State.DONE:
        raise Http404("This export is not finished.")
    if job.with_masks:
        name = build.stored_mask(job, media_id, key)
        if name is None:
            raise Http404("No such mask in this export.")
        return stored.download(stored.job_storage(), name, "image/png")
    png = build.current_mask(job.project_id, media_id, key)
    if png is None:
        raise Http404("No such image or segmentation class in this project.")
    return HttpResponse(png, content_type="image/png")


def release_for(user, pk):
    release = Release.objects.filter(pk=pk).first()
    if release is None:
        raise Http404("No such release.")
    release.project = access.get_project(user, release.project_id)
    return release


@require_http_methods(["GET", "POST"])
@login_required
def release_page(request, project_id):
    """The Releases tab: the form to create a release (admins) and every release with its state and links."""
    project = access.get_project(request.user, project_id)
    is_admin = project.user_role == access.Role.ADMIN
    task_type = releases.default_task_type(project)
    initial = {
        "labeled_states": list(releases.DEFAULT_LABELED),
        "reviewed_states": list(releases.DEFAULT_REVIEWED),
        "task_type": task_type,
    }
    form = ReleaseForm(request.POST or None, initial=initial, project=project)
    if request.method == "POST":
        if not is_admin:
            raise PermissionDenied("Only project admins create releases.")
        if form.is_valid():
            data = form.cleaned_data
            try:
                releases.create_release(
                    project,
                    request.user,
                    name=data["name"],
                    description=data["description"],
                    labeled_states=data["labeled_states"],
                    reviewed_states=data["reviewed_states"],
                    task_type=data["task_type"],
                    base_url=base_url(request),
                )
            except releases.ReleaseError as error:
                form.add_error(error.field, str(error))
            else:
                return redirect("exports:releases", project.pk)
    return render(
        request,
        "exports/release_page.html",
        {"project": project, "form": form, "is_admin": is_admin, "releases": project.releases.all()},
    )


@login_or_token_required
def download_release(request, pk):
    release = release_for(request.user, pk)
    if release.state != Release.State.DONE:
        raise Http404("This release is not finished.")
    return _download(release.file, PurePosixPath(release.file).name, "application/json")


@login_or_token_required
def download_coco(request, pk):
    release = release_for(request.user, pk)
    if release.state != Release.State.DONE:
        raise Http404("This release is not finished.")
    return _download(release.coco_file, PurePosixPath(release.coco_file).name, "application/json")


@csrf_exempt  # read-only, and the URL is the credential: other methods get a 405, not a CSRF page
@require_safe
def release_file(request, token, filename):
    """An image or instance bitmap of a release, for whoever holds its signed URL (no login: see exports.signing)."""
    try:
        release, media_id, kind = releases.release_file(token)
    except signing.InvalidToken as error:
        # The caller is a download script, not a browser: a plain sentence says what is wrong.
        return HttpResponseForbidden(str(error), content_type="text/plain; charset=utf-8")
    if not filename.startswith(media_id):
        raise Http404("This link names another file.")
    if kind == signing.BITMAP:
        storage, name = stored.job_storage(), releases.bitmap_name(release, media_id)
        if release.state != Release.State.DONE or not storage.exists(str(name)):
            raise Http404("No such bitmap in this release.")
        return stored.download(storage, name, "image/png")
    media = Media.objects.filter(pk=media_id).first()
    if media is None:
        raise Http404("This image no longer exists.")
    if not has_bytes(media) and media.source_url:
        return HttpResponseRedirect(media.source_url)
    try:
        return media_response(media)
    except MediaUnavailable as error:
        raise Http404(str(error)) from error
