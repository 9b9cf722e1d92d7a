"""The bucket sources of a dataset page: connect a bucket (its first sync is queued), sync again,
change the credentials, disconnect. Listing and reading the bucket happen in a worker
(labeling/bucket_syncs.py); the page shows each source's last sync with its progress."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from labeling import bucket_syncs
from labeling.views.datasets import render_detail
from projects import access, buckets
from projects.forms import BucketCredentialsForm, BucketSourceForm


def _dataset(request, pk):
    dataset = access.manageable_datasets(request.user).filter(pk=pk).first()
    if dataset is None:
        raise Http404("No such dataset.")
    return dataset


def _source(request, pk, source_id):
    dataset = _dataset(request, pk)
    source = dataset.bucket_sources.filter(pk=source_id).first()
    if source is None:
        raise Http404("No such bucket source.")
    return source


def _back(dataset_id):
    return redirect(f"{reverse('projects:dataset', args=[dataset_id])}#buckets")


@login_required
@require_POST
def connect(request, pk):
    dataset = _dataset(request, pk)
    form = BucketSourceForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            source, _ = bucket_syncs.connect(dataset, form.cleaned_data, request.user)
        except buckets.SourceRejected as rejected:
            form.show_errors(rejected.errors)
        else:
            messages.success(request, f"Connected {buckets.where(source)}; listing it in the background.")
            return _back(dataset.pk)
    return render_detail(request, dataset, bucket_form=form, status=400)


@login_required
@require_POST
def sync(request, pk, source_id):
    source = _source(request, pk, source_id)
    _, created = bucket_syncs.start_sync(source, request.user)
    messages.success(request, "Syncing in the background." if created else "This bucket is being synced already.")
    return _back(source.dataset_id)


@login_required
@require_POST
def credentials(request, pk, source_id):
    source = _source(request, pk, source_id)
    form = BucketCredentialsForm(request.POST)
    if form.is_valid():
        try:
            buckets.change_source(source, form.cleaned_data, request.user)
        except buckets.SourceRejected as rejected:
            for messages_ in rejected.errors.values():
                for message in messages_:
                    messages.error(request, message)
        else:
            messages.success(request, f"Saved the settings of {buckets.where(source)}.")
    return _back(source.dataset_id)


@login_required
@require_POST
def disconnect(request, pk, source_id):
    source = _source(request, pk, source_id)
    count = source.media.count()
    buckets.remove_source(source)
    messages.success(request, f"Disconnected {buckets.where(source)}; {count} image(s) and their tasks removed.")
    return _back(pk)
