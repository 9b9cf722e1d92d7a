"""Syncing a bucket source as a background job: the BucketSyncJob that the dataset page and the API
start, and a worker's run through it (labeling/jobs.py). A run lists the image objects under the
source's prefix (ListObjectsV2, paginated: once to count them, once to work), reads each new one's
facts from its first bytes and stores it as Media that refers to the object
(projects/bucket_media.py), and makes its tasks in every project the dataset is attached to
(labeling/attaching.py), which is why this module lives in labeling. Nothing is fetched inside a
web request.

Running again is idempotent: a key already stored from the source is skipped (Media's unique
(source, object_key)), so "Sync again" adds only the new keys, and a run that a lost worker left
behind carries on where it stopped.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from labeling import jobs
from labeling.attaching import create_tasks_for_new_media
from projects import bucket_media, buckets
from projects.models import BucketSource, BucketSyncJob

# Runs of one job that may end with a lost worker before the job is given up.
MAX_ATTEMPTS = 3
# Reasons kept per job for the objects it refused (the counts go on).
MAX_ERRORS = 100
# Objects whose headers are read between two heartbeats: one read per thread.
CHUNK = bucket_media.READ_THREADS
Status = BucketSyncJob.Status


def connect(dataset, fields, user):
    """Connect a bucket source to `dataset` and queue its first sync; returns (source, job).
    Raises buckets.SourceRejected."""
    with transaction.atomic():
        source = buckets.connect_source(dataset, fields, user)
        job, _ = start_sync(source, user)
    return source, job


def start_sync(source, user=None):
    """Queue a sync of `source`, or find the one already queued or running; returns (job, created)."""
    with transaction.atomic():
        # One sync per source at a time: a second request waits here and then finds the first.
        list(BucketSource.objects.select_for_update().filter(pk=source.pk))
        job = source.syncs.filter(status__in=[Status.QUEUED, Status.RUNNING]).first()
        if job is not None:
            return job, False
        created_by = user if user is not None and user.is_authenticated else None
        job = BucketSyncJob.objects.create(source=source, created_by=created_by)
        jobs.sync_bucket.delay_on_commit(job.pk)
    return job, True


def sources_with_last_sync(dataset):
    """The dataset's bucket sources, each with `last_sync` (its newest job or None) and `media_count`."""
    sources = list(dataset.bucket_sources.annotate(media_count=Count("media")))
    for source in sources:
        source.last_sync = source.syncs.first()
    return sources


def _stale_after():
    # Longer than one chunk can take: each thread's object needs up to three ranged reads, each
    # retried up to three times within the fetch deadline.
    return timedelta(seconds=10 * settings.LABELYARD_URL_FETCH_TIMEOUT + 120)


def held_for(job_id):
    """Seconds until a running job's heartbeat goes stale; None when it is not running."""
    beat = BucketSyncJob.objects.filter(pk=job_id, status=Status.RUNNING).values_list("heartbeat_at", flat=True).first()
    if beat is None:
        return None
    return max(1, int((beat + _stale_after() - timezone.now()).total_seconds()) + 1)


def run_sync(job_id):
    """Claim the job and sync its source, recording the counts as it goes.

    The claim is one conditional UPDATE (QUEUED, or RUNNING with a stale heartbeat, when a worker was
    lost). A bucket that refuses (bad credentials, no such bucket, an address not allowed) fails the
    job with the reason. When another run holds the job, returns the seconds after which a new try
    could take it over; otherwise None.
    """
    now = timezone.now()
    rows = BucketSyncJob.objects.filter(pk=job_id)
    stale = Q(status=Status.RUNNING, heartbeat_at__lt=now - _stale_after())
    if rows.filter(stale, attempts__gte=MAX_ATTEMPTS).exists():
        _finish(rows, Status.FAILED, f"The worker syncing this bucket stopped {MAX_ATTEMPTS} times.")
        return None
    claimed = rows.filter(Q(status=Status.QUEUED) | stale).update(
        status=Status.RUNNING, attempts=F("attempts") + 1, heartbeat_at=now, found=0, checked=0, failed=0, errors=[]
    )
    if not claimed:
        return held_for(job_id)
    job = BucketSyncJob.objects.select_related("source__dataset").get(pk=job_id)
    try:
        _sync(job.source, rows)
    except buckets.BucketUnavailable as error:
        _finish(rows, Status.FAILED, str(error))
        return None
    except Exception as error:
        _finish(rows, Status.FAILED, f"{type(error).__name__}: {error}")
        raise
    _finish(rows, Status.DONE)
    return None


def _sync(source, rows):
    found = 0
    for page in buckets.image_pages(source, page_size=1000):
        found += len(page)
        rows.update(found=found, heartbeat_at=timezone.now())
    errors = []
    for page in buckets.image_pages(source):
        for start in range(0, len(page), CHUNK):
            chunk = page[start : start + CHUNK]
            results = bucket_media.read_page(source, chunk)
            with transaction.atomic():
                created, refused = bucket_media.store_page(source, results)
                create_tasks_for_new_media(source.dataset, [media.pk for media in created])
                changes = {"checked": F("checked") + len(chunk), "added": F("added") + len(created)}
                if refused:
                    errors = (errors + refused)[:MAX_ERRORS]
                    changes.update(failed=F("failed") + len(refused), errors=errors)
                rows.update(heartbeat_at=timezone.now(), **changes)


def _finish(rows, status, message=""):
    rows.update(status=status, message=message, finished_at=timezone.now())
