"""Adding images by URL as a background job: the UrlImportJob that the dataset page, the native API
and the DataGym v1 API start, and a worker's run through its URLs (labeling/jobs.py). Each image
is fetched by projects/fetching.py, never inside a web request, stored through
projects.media.add_image with the same checks as an upload, and becomes a task in every project its
dataset is attached to (labeling/attaching.py), which is why this module lives in labeling.
"""

import logging
import tempfile
import urllib.parse

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from background import claims
from labeling.attaching import create_tasks_for_media
from projects import fetching
from projects.media import ImageRejected, add_image, clean_name
from projects.models import UrlImportItem, UrlImportJob

logger = logging.getLogger(__name__)

MAX_URLS = 500
MAX_URL_LENGTH = UrlImportItem._meta.get_field("url").max_length
State = UrlImportItem.State


class UrlsRejected(ValueError):
    """A list of URLs that cannot be queued; `errors` holds one sentence per problem."""

    def __init__(self, errors):
        super().__init__(" ".join(errors))
        self.errors = errors


def file_name(url):
    """The name an image fetched from `url` is stored under: the last part of the URL's path."""
    return urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit("/", 1)[-1])


def check_url(url):
    """Refuse, with ImageRejected or fetching.FetchFailed, what can be told without the network."""
    if len(url) > MAX_URL_LENGTH:
        raise fetching.FetchFailed(f"{url[:80]}...: URLs can be at most {MAX_URL_LENGTH} characters long.")
    fetching.check_url(url)
    name = file_name(url)
    if not name:
        raise fetching.FetchFailed(f"{url}: the URL does not end in a file name.")
    clean_name(name)


def check_urls(urls):
    """The distinct URLs of `urls`, stripped and in order; raises UrlsRejected naming every bad one."""
    urls = list(dict.fromkeys(u.strip() for u in urls if u.strip()))
    if not urls:
        raise UrlsRejected(["Give at least one URL."])
    if len(urls) > MAX_URLS:
        raise UrlsRejected([f"At most {MAX_URLS} URLs at once."])
    errors = []
    for url in urls:
        try:
            check_url(url)
        except (fetching.FetchFailed, ImageRejected) as error:
            errors.append(str(error))
    if errors:
        raise UrlsRejected(errors)
    return urls


def start_url_import(dataset, urls, user=None, media_ids=None):
    """Queue the fetching of `urls` (checked by check_urls) into `dataset`; returns the job.

    `media_ids`, one per URL, are the ids the images will get (the DataGym v1 API has answered
    with them); by default new ones are chosen.
    """
    with transaction.atomic():
        job = UrlImportJob.objects.create(dataset=dataset, created_by=user if user and user.is_authenticated else None)
        items = [UrlImportItem(job=job, index=i, url=url) for i, url in enumerate(urls)]
        for item, media_id in zip(items, media_ids or [], strict=False):
            item.media_id = media_id
        UrlImportItem.objects.bulk_create(items)
        job.send()
    return job


def with_counts(queryset):
    """`queryset` (of UrlImportJob) annotated with `total`, `added` and `failed` item counts, newest first."""
    counted = queryset.annotate(
        total=Count("items"),
        added=Count("items", filter=Q(items__state=State.ADDED)),
        failed=Count("items", filter=Q(items__state=State.FAILED)),
    )
    # Named again: Django drops Meta.ordering from queries that group rows.
    return counted.order_by(*UrlImportJob._meta.ordering)


def progress(job):
    """Percent of a job's URLs done (added or failed), from with_counts()'s annotations."""
    return 100 if not job.total else (job.added + job.failed) * 100 // job.total


def pending_urls(dataset):
    """URLs queued for `dataset` and not fetched yet."""
    return UrlImportItem.objects.filter(job__dataset=dataset, state=State.QUEUED).values_list("url", flat=True)


def add_image_from_url(dataset, url, media_id=None, on_stored=None):
    """Fetch the image at `url` once, check it like an upload, store it and remember the URL.

    The file is kept, not only its size, so labeling and mask rendering keep working when the
    link breaks later. `on_stored(media)` runs in the transaction that stores the image. Raises
    fetching.FetchFailed or ImageRejected with the reason.
    """
    check_url(url)
    name = file_name(url)
    with tempfile.TemporaryFile() as handle:
        fetching.fetch(url, handle, settings.LABELYARD_MAX_UPLOAD_BYTES)
        try:
            with transaction.atomic():
                media = add_image(dataset, handle, name, media_id=media_id)
                media.source_url = url
                media.save(update_fields=["source_url"])
                create_tasks_for_media(media)
                if on_stored is not None:
                    on_stored(media)
        except IntegrityError as error:
            # Another job stored the same name between add_image's check and its insert.
            raise ImageRejected(f"`{name}` is already in dataset {dataset.name}.") from error
    return media


def held_for(job_id):
    """Seconds until a running job's heartbeat goes stale; None when it is not running."""
    return claims.held_for(UrlImportJob, job_id)


def run_url_import(job_id):
    """Claim the job and fetch its queued URLs in order, recording each outcome as it goes.

    The claim is background.claims.claim (one conditional UPDATE: QUEUED, or RUNNING with a stale
    heartbeat when a worker was lost; past its attempts the job fails and its queued URLs with it).
    The heartbeat is refreshed after every URL, so LABELYARD_JOB_STALE_SECONDS must be longer than
    one fetch (LABELYARD_URL_FETCH_TIMEOUT) and its storing. An image and its item's ADDED state
    commit together, so a job run again carries on where it stopped and stores no image twice.
    When another run holds the job, returns the seconds after which a new try could take it over;
    otherwise None.
    """
    job = claims.claim(UrlImportJob, job_id, select_related=["dataset"])
    if job is None:
        return held_for(job_id)
    try:
        for item in list(job.items.filter(state=State.QUEUED)):
            _import_item(job.dataset, item)
            if not claims.beat(job):
                return None  # taken over by a run that found this one's heartbeat stale
    except Exception as error:
        logger.exception("URL import %s failed", job_id)
        claims.fail(UrlImportJob, job_id, error)
        UrlImportJob.stopped([job_id])
        raise
    claims.finish(job)
    return None


def _import_item(dataset, item):
    items = UrlImportItem.objects.filter(pk=item.pk)
    try:
        add_image_from_url(dataset, item.url, item.media_id, on_stored=lambda media: items.update(state=State.ADDED))
    except (fetching.FetchFailed, ImageRejected) as error:
        items.update(state=State.FAILED, error=str(error))
