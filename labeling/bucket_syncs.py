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

import logging

from django.db import transaction
from django.db.models import Count, F

from background import claims
from labeling.attaching import create_tasks_for_new_media
from projects import bucket_media, buckets
from projects.models import BucketSource, BucketSyncJob

logger = logging.getLogger(__name__)
# Reasons kept per job for the objects it refused (the counts go on).
MAX_ERRORS = 100
State = BucketSyncJob.State


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
        job = source.syncs.filter(state__in=[State.QUEUED, State.RUNNING]).first()
        if job is not None:
            return job, False
        created_by = user if user is not None and user.is_authenticated else None
        job = BucketSyncJob.objects.create(source=source, created_by=created_by)
        job.send()
    return job, True


def sources_with_last_sync(dataset):
    """The dataset's bucket sources, each with `last_sync` (its newest job or None) and `media_count`."""
    sources = list(dataset.bucket_sources.annotate(media_count=Count("media")))
    for source in sources:
        source.last_sync = source.syncs.first()
    return sources


def held_for(job_id):
    """Seconds until a running job's heartbeat goes stale; None when it is not running."""
    return claims.held_for(BucketSyncJob, job_id)


def run_sync(job_id):
    """Claim the job and sync its source, recording the counts as it goes.

    The claim is background.claims.claim (one conditional UPDATE: QUEUED, or RUNNING with a stale
    heartbeat when a worker was lost; past its attempts the job fails). The heartbeat is refreshed
    after every object read, so LABELYARD_JOB_STALE_SECONDS must be longer than one object's reads
    (up to three ranged GETs, each within LABELYARD_URL_FETCH_TIMEOUT). A bucket that refuses (bad
    credentials, no such bucket, an address not allowed) fails the job with the reason. When
    another run holds the job, returns the seconds after which a new try could take it over;
    otherwise None.
    """
    job = claims.claim(
        BucketSyncJob, job_id, select_related=["source__dataset"], found=0, checked=0, failed=0, errors=[]
    )
    if job is None:
        return held_for(job_id)
    try:
        if not _sync(job):
            return None  # taken over by a run that found this one's heartbeat stale
    except buckets.BucketUnavailable as error:
        claims.fail(BucketSyncJob, job_id, str(error))
        return None
    except Exception as error:
        logger.exception("Bucket sync %s failed", job_id)
        claims.fail(BucketSyncJob, job_id, error)
        raise
    claims.finish(job)
    return None


class _TakenOver(Exception):
    pass


def _sync(job):
    """Count, then work through the source's image objects; False when the run was taken over."""
    source = job.source
    found = 0
    for page in buckets.image_pages(source, page_size=1000):
        found += len(page)
        if not claims.beat(job, found=found):
            return False

    def beat():
        if not claims.beat(job):
            raise _TakenOver

    checked = 0
    errors = []
    try:
        for page in buckets.image_pages(source):
            results = bucket_media.read_page(source, page, on_read=beat)
            with transaction.atomic():
                created, refused = bucket_media.store_page(source, results)
                create_tasks_for_new_media(source.dataset, [media.pk for media in created])
                checked += len(page)
                changes = {"checked": checked, "added": F("added") + len(created),
                           "progress": min(99, checked * 100 // max(found, 1))}  # fmt: skip
                if refused:
                    errors = (errors + refused)[:MAX_ERRORS]
                    changes.update(failed=F("failed") + len(refused), errors=errors)
                if not claims.beat(job, **changes):
                    raise _TakenOver
    except _TakenOver:
        return False
    return True
