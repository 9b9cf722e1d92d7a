"""Label import pages: the project page's upload form, its report and the report's progress.

Views only validate and answer; labeling/importing.py does the work. The page stores each upload
as an ImportJob (run inline when small, by a worker when large); api/imports.py imports synchronously.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from labeling import importing
from labeling.models import ImportJob
from projects import access
from projects.media import MULTIPART_OVERHEAD, declared_body_size

Role = access.Role
OPTIONS = ("dry_run", "match_by_name", "clip")


class ImportForm(forms.Form):
    file = forms.FileField(help_text="A DataGym JSON file: [{internal_media_ID, labels, ...}, ...]")
    dry_run = forms.BooleanField(required=False, label="Dry run: check the file and report, write nothing")
    clip = forms.BooleanField(required=False, label="Clip geometries to the image instead of refusing them")
    match_by_name = forms.BooleanField(
        required=False, label="Match images by file name (external_media_ID) when the ids are from elsewhere"
    )


def _too_large(request):
    limit = settings.LABELYARD_MAX_IMPORT_BYTES + MULTIPART_OVERHEAD
    return request.method == "POST" and declared_body_size(request) > limit


@login_required
def import_page(request, pk):
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    status_code = 200
    if _too_large(request):
        # Refused before Django copies the body to a temporary file: the form is shown empty.
        form = ImportForm(data={})
        size = declared_body_size(request) - MULTIPART_OVERHEAD
        error = importing.FileTooLarge(size, settings.LABELYARD_MAX_IMPORT_BYTES).errors[0]["message"]
        form.errors["file"] = form.error_class([error])
        status_code = 413
    else:
        form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and status_code == 200 and form.is_valid():
        options = {name: form.cleaned_data[name] for name in OPTIONS}
        try:
            job = importing.start_import(project, form.cleaned_data["file"], user=request.user, **options)
        except importing.FileTooLarge as error:
            form.add_error("file", error.errors[0]["message"])
            status_code = 413
        else:
            return redirect(job)
    jobs = project.import_jobs.all()[:10]
    return render(
        request, "labeling/import_form.html", {"project": project, "form": form, "jobs": jobs}, status=status_code
    )


@login_required
def import_report(request, pk, job_id):
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    job = get_object_or_404(ImportJob, project=project, pk=job_id)
    return render(request, "labeling/import_report.html", {"project": project, "job": job})


@login_required
def import_status(request, pk, job_id):
    """The job's progress for the report page's progress bar."""
    project = access.get_project(request.user, pk, roles={Role.ADMIN})
    job = get_object_or_404(ImportJob, project=project, pk=job_id)
    return JsonResponse({"status": job.state, "progress": job.progress, "finished": job.finished})
