"""Datasets whose images stay in an S3-compatible bucket: checking a source's settings, the storage
that reads its objects (one function opens an object: open_object), listing its image objects, and
removing a source. projects/bucket_media.py reads each image's facts from its first bytes and stores
them as Media that refer to the objects (nothing is copied); labeling/bucket_syncs.py is the
background job that runs a sync and makes the tasks.

A source with
its own endpoint and keys is reached only through projects/fetching.py (the address checks), as
its endpoint is admin-given; the server's own endpoint and credentials may only be chosen by a
superuser, since they may reach the bucket holding every project's files.
"""

import functools
import re

from botocore import exceptions as boto_errors
from botocore.config import Config
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from storages.backends.s3 import S3Storage

from projects import fetching
from projects.models import BucketSource, Project

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp")
# Keys listed per request while syncing (a sync records its progress after each page).
PAGE_SIZE = 200
# An object read for a page or a worker is kept in memory up to this size, then in a temporary file.
SPOOL_BYTES = 16 * 1024 * 1024
# botocore's own pattern for bucket names (it refuses others before sending anything).
BUCKET_NAME = re.compile(r"^[A-Za-z0-9.\-_]{1,255}$")
REGION = re.compile(r"^[a-z0-9-]{0,64}$")
S3_BACKEND = "storages.backends.s3.S3Storage"


class SourceRejected(ValueError):
    """Settings that cannot make a source; `errors` maps each field to its problems."""

    def __init__(self, errors):
        super().__init__(" ".join(m for messages in errors.values() for m in messages))
        self.errors = errors


class BucketUnavailable(Exception):
    """A bucket could not be listed or an object read; the message says why, in plain words."""


# Settings -------------------------------------------------------------------------------------------


# The settings of a source that clean_source checks.
SOURCE_FIELDS = ("endpoint_url", "bucket", "prefix", "region", "use_server_credentials", "access_key_id",
                 "secret_access_key")  # fmt: skip


def has_control_characters(text):
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def clean_source(fields, user, source=None):
    """The settings of a new source (or the changes to `source`), checked; raises SourceRejected.

    `fields` holds endpoint_url, bucket, prefix, region, use_server_credentials, access_key_id and
    secret_access_key (absent ones keep the source's values). The bucket and prefix of a source never
    change: its images are known by their keys. A blank secret keeps the stored one.
    """
    errors = {}

    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    blank = {name: False if name == "use_server_credentials" else "" for name in SOURCE_FIELDS}
    current = {name: getattr(source, name) for name in SOURCE_FIELDS} if source else blank
    given = {name: value for name, value in fields.items() if name in current and value is not None}
    for name in ("endpoint_url", "bucket", "prefix", "region", "access_key_id", "secret_access_key"):
        if name in given:
            given[name] = str(given[name]) if name in ("prefix", "secret_access_key") else str(given[name]).strip()
    if source is not None:
        for name in ("bucket", "prefix"):
            if name in given and given[name] != current[name]:
                refuse(name, f"The {name} of a connected bucket cannot change; connect another source instead.")
    if not given.get("secret_access_key"):
        given.pop("secret_access_key", None)
    cleaned = {**current, **given}
    server = bool(cleaned["use_server_credentials"])

    if not BUCKET_NAME.match(cleaned["bucket"]):
        refuse("bucket", "A bucket name is 1 to 255 letters, digits, dots, hyphens or underscores.")
    prefix = cleaned["prefix"]
    if prefix.startswith("/") or has_control_characters(prefix) or "\\" in prefix:
        refuse("prefix", "A prefix does not start with / and has no backslashes or control characters.")
    if not REGION.match(cleaned["region"]):
        refuse("region", "A region is lower-case letters, digits and hyphens, like eu-central-1.")
    if server:
        if not getattr(user, "is_superuser", False):
            refuse("use_server_credentials", "Only a site administrator may use the server's credentials.")
        if cleaned["endpoint_url"]:
            refuse("endpoint_url", "The server's credentials go only to the server's own endpoint; leave it empty.")
        if given.get("access_key_id") or given.get("secret_access_key"):
            refuse("access_key_id", "Give either keys or the server's credentials, not both.")
        cleaned["access_key_id"] = cleaned["secret_access_key"] = ""
    else:
        if not cleaned["access_key_id"]:
            refuse("access_key_id", "Give the access key id (or, as a site administrator, the server's credentials).")
        elif has_control_characters(cleaned["access_key_id"]):
            refuse("access_key_id", "An access key id has no control characters.")
        if not cleaned["secret_access_key"]:
            refuse("secret_access_key", "Give the secret access key.")
        if cleaned["endpoint_url"] and "endpoint_url" not in errors:
            try:
                fetching.check_endpoint(cleaned["endpoint_url"])
            except fetching.FetchFailed as error:
                refuse("endpoint_url", str(error))
    for name in ("endpoint_url", "bucket", "prefix", "region", "access_key_id", "secret_access_key"):
        limit = BucketSource._meta.get_field(name).max_length
        if len(cleaned[name]) > limit:
            refuse(name, f"At most {limit} characters.")
    if errors:
        raise SourceRejected(errors)
    return cleaned


def connect_source(dataset, fields, user):
    """Create a source of `dataset` from checked `fields`; raises SourceRejected."""
    cleaned = clean_source(fields, user)
    duplicate = BucketSource.objects.filter(
        dataset=dataset, endpoint_url=cleaned["endpoint_url"], bucket=cleaned["bucket"], prefix=cleaned["prefix"]
    )
    if duplicate.exists():
        raise SourceRejected({"prefix": ["This bucket and prefix are already connected to the dataset."]})
    created_by = user if getattr(user, "is_authenticated", False) else None
    return BucketSource.objects.create(dataset=dataset, created_by=created_by, **cleaned)


def change_source(source, fields, user):
    """Change a source's endpoint, region or credentials; raises SourceRejected."""
    for name, value in clean_source(fields, user, source).items():
        setattr(source, name, value)
    source.save()
    return source


def remove_source(source):
    """Disconnect a source: its images go with their tasks and labels (their thumbnails once committed,
    projects/stored_files.py); the objects stay in the bucket."""
    project_ids = list(source.dataset.projects.values_list("pk", flat=True))
    with transaction.atomic():
        source.media.all().delete()
        source.delete()
        for project in Project.objects.filter(pk__in=project_ids):
            project.bump_revision()


# The storage of a source ------------------------------------------------------------------------------


class SourceStorage(S3Storage):
    """django-storages' S3 backend for one source. With `checked`, every request goes through
    projects.fetching (checked addresses, no proxy, no redirect) instead of boto3's own pool."""

    def __init__(self, checked, **options):
        self.checked = checked
        super().__init__(**options)

    @property
    def connection(self):
        fresh = getattr(self._connections, "connection", None) is None
        connection = super().connection
        if fresh and self.checked:
            connection.meta.client.meta.events.register("before-send.s3", fetching.send_bucket_request)
        return connection

    @property
    def client(self):
        return self.connection.meta.client


def _server_options():
    """Endpoint, region and keys of the server's own storage (labelyard/settings.py STORAGES); with
    local files, None each, so boto3 looks the credentials up as usual (environment, instance role)."""
    default = settings.STORAGES["default"]
    options = default.get("OPTIONS", {}) if default["BACKEND"] == S3_BACKEND else {}
    return tuple(options.get(name) for name in ("endpoint_url", "region_name", "access_key", "secret_key"))


def storage_for(source):
    """The storage reading `source`'s objects (one per distinct set of settings, kept for reuse)."""
    if source.use_server_credentials:
        endpoint, region, key, secret = _server_options()
        return _storage(False, source.bucket, endpoint, source.region or region, key, secret)
    return _storage(
        True,
        source.bucket,
        source.endpoint_url or None,
        source.region or None,
        source.access_key_id,
        source.secret_access_key,
    )


@functools.lru_cache(maxsize=64)
def _storage(checked, bucket, endpoint, region, key, secret):
    return SourceStorage(
        checked,
        bucket_name=bucket,
        endpoint_url=endpoint,
        region_name=region,
        access_key=key,
        secret_key=secret,
        # Nothing from the server's environment joins a source's own keys.
        security_token=None,
        session_profile=None,
        location="",
        default_acl=None,
        file_overwrite=False,
        max_memory_size=SPOOL_BYTES,
        client_config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"}),
    )


def where(source):
    return f"bucket {source.bucket} at {source.endpoint_url or 'AWS S3'}"


def describe(error, source, key=None):
    """A plain sentence for an error from a bucket, naming the bucket (and object) but no secret."""
    place = where(source)
    thing = f"`{key}` in {place}" if key else place
    if isinstance(error, fetching.FetchFailed):
        return str(error)
    if isinstance(error, boto_errors.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code == "NoSuchBucket" or (code == "404" and not key):
            return f"There is no {place}."
        if code in {"NoSuchKey", "404"}:
            return f"{thing} does not exist (any more)."
        if code in {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId", "InvalidToken",
                    "ExpiredToken", "InvalidSecurity"}:  # fmt: skip
            return f"The server of {place} refused the credentials ({code}): check the access key id and secret."
        if code in {"AccessDenied", "AllAccessDisabled", "403"} or status == 403:
            return f"The credentials may not read {thing} ({code or status})."
        if code in {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "301"}:
            return f"{place} is in another region ({code}): set the source's region."
        return f"The server of {place} answered {status} ({code or 'no code'})."
    if isinstance(error, boto_errors.NoCredentialsError):
        return "The server has no credentials of its own (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, docs/deploy.md)."
    if isinstance(error, boto_errors.EndpointConnectionError | boto_errors.ConnectTimeoutError):
        return f"Could not connect to the server of {place}."
    if isinstance(error, boto_errors.ReadTimeoutError):
        return f"The server of {place} took too long to answer."
    if isinstance(error, boto_errors.ParamValidationError):
        return f"{thing} cannot be asked for: {error}"
    if isinstance(error, FileNotFoundError):
        return f"{thing} does not exist (any more)."
    if isinstance(error, SuspiciousOperation):
        return f"{thing} cannot be read."
    return f"{thing} could not be read ({type(error).__name__})."


BUCKET_ERRORS = (fetching.FetchFailed, boto_errors.BotoCoreError, boto_errors.ClientError)


def open_object(source, key):
    """The object `key` of `source`, opened for reading and already fetched, so a failure is raised
    here as BucketUnavailable and not half way through a response."""
    limit = settings.LABELYARD_MAX_UPLOAD_BYTES
    try:
        handle = storage_for(source).open(key, "rb")
        # The object may have been replaced since its sync; its size is known before it is fetched.
        if handle.size > limit:
            raise BucketUnavailable(f"`{key}` in {where(source)} is larger than {limit} bytes now.")
        handle.file  # noqa: B018 - downloads the object now
    except (*BUCKET_ERRORS, SuspiciousOperation, FileNotFoundError) as error:
        raise BucketUnavailable(describe(error, source, key)) from error
    return handle


# Listing -------------------------------------------------------------------------------------------


def is_image_key(key):
    return key.lower().endswith(IMAGE_EXTENSIONS)


def image_pages(source, page_size=PAGE_SIZE):
    """The (key, size) of the image objects under the source's prefix, a list per listed page, in key
    order (ListObjectsV2, paginated). Raises BucketUnavailable when the bucket cannot be listed."""
    client = storage_for(source).client
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=source.bucket, Prefix=source.prefix, PaginationConfig={"PageSize": page_size}
    )
    try:
        for page in pages:
            yield [(item["Key"], item["Size"]) for item in page.get("Contents", []) if is_image_key(item["Key"])]
    except BUCKET_ERRORS as error:
        raise BucketUnavailable(describe(error, source)) from error


def count_images(source):
    """How many image objects are under the source's prefix (a listing without reading any)."""
    return sum(len(page) for page in image_pages(source, page_size=1000))


def whole_bucket_failed(error):
    """Errors that every further object would meet too (refused credentials, no connection)."""
    if isinstance(error, fetching.FetchFailed | boto_errors.NoCredentialsError | boto_errors.EndpointConnectionError):
        return True
    if isinstance(error, boto_errors.ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        return code in {"InvalidAccessKeyId", "SignatureDoesNotMatch", "NoSuchBucket", "InvalidClientTokenId"}
    return False
