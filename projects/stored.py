"""Stored files: every file Labelyard keeps goes through Django's storage API, so web and worker
processes on many machines share one S3-compatible bucket (or, by default, one local folder).

This module owns what the storage API leaves to each caller: the storage of the background jobs'
own files (`job_storage`: exports and releases, whose jobs rewrite their own names when redone),
saving a finished scratch file in one step (a rename on local disk, one upload to a bucket, so a
reader never sees half a file), reading a file or a byte range of it as a stream (memory stays
flat, and a bucket sends only the range), listing and deleting a folder, and the response that
serves a stored file once the caller has checked who may see it (docs/export.md, "Downloads").
"""

import collections
import io
import posixpath
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from botocore.exceptions import ClientError
from django.core.files import File
from django.core.files.storage import storages
from django.http import FileResponse, HttpResponseRedirect
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name, safe_join

# Reads and copies move this many bytes at a time.
BLOCK = 1 << 20
# Small files read from a bucket at the same time by read_many(): each read waits mostly on the network.
PARALLEL_READS = 8


def job_storage():
    """Where export jobs and releases keep their files (labelyard/settings.py STORAGES["exports"]):
    the same place as the default storage, but a name written again replaces the file."""
    return storages["exports"]


def in_bucket(storage):
    """True when `storage` is an S3-compatible bucket (django-storages), False for local files."""
    return isinstance(storage, S3Storage)


class _ScratchFile(File):
    """A finished scratch file being saved: FileSystemStorage moves a file that has a
    temporary_file_path() into place with one rename instead of copying it."""

    def __init__(self, handle, path):
        super().__init__(handle, name=Path(path).name)
        self._path = str(path)

    def temporary_file_path(self):
        return self._path


def save_file(storage, name, path):
    """Store the local scratch file at `path` as `name`; returns the stored name.

    On local disk the file is renamed into place, on a bucket it is uploaded as one object: either
    way a reader finds the old file or the whole new one. The scratch file is gone afterwards.
    """
    with open(path, "rb") as handle:
        stored = storage.save(str(name), _ScratchFile(handle, path))
    Path(path).unlink(missing_ok=True)
    return stored


def save_bytes(storage, name, data, scratch):
    """Store `data` as `name` through a file in the folder `scratch` (see save_file); returns the stored name."""
    with tempfile.NamedTemporaryFile("wb", dir=scratch, delete=False) as handle:
        handle.write(data)
    return save_file(storage, name, handle.name)


def _key(storage, name):
    return safe_join(storage.location, clean_name(str(name)))


def open_range(storage, name, start=0, stop=None):
    """A buffered binary stream of bytes [start, stop) of stored file `name` (to its end without
    `stop`), read from the storage as it is consumed. FileNotFoundError when there is no such file.

    A bucket is asked for the range only: django-storages' own files download the whole object first.
    """
    if stop is not None and stop <= start:
        return io.BufferedReader(io.BytesIO(b""))
    if in_bucket(storage):
        ranged = {"Range": f"bytes={start}-{'' if stop is None else stop - 1}"} if start or stop else {}
        return io.BufferedReader(_get(storage, storage.connection.meta.client, name, **ranged), BLOCK)
    handle = storage.open(str(name), "rb")
    handle.seek(start)
    return io.BufferedReader(_Bounded(handle, None if stop is None else stop - start), BLOCK)


def _get(storage, client, name, **options):
    """The body of the bucket's object `name` as a stream; `client` is a boto3 client (thread-safe)."""
    try:
        return client.get_object(Bucket=storage.bucket_name, Key=_key(storage, name), **options)["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(f"There is no stored file {name}.") from error
        raise


class _Bounded(io.RawIOBase):
    """The next `limit` bytes of an open file (all of them when `limit` is None)."""

    def __init__(self, handle, limit):
        self.handle = handle
        self.left = limit

    def readable(self):
        return True

    def readinto(self, buffer):
        size = len(buffer) if self.left is None else min(len(buffer), self.left)
        data = self.handle.read(size)
        buffer[: len(data)] = data
        if self.left is not None:
            self.left -= len(data)
        return len(data)

    def close(self):
        self.handle.close()
        super().close()


def copy_into(storage, name, stream):
    """Append stored file `name` to the open binary `stream`, a block at a time."""
    with open_range(storage, name) as source:
        while block := source.read(BLOCK):
            stream.write(block)


def read_bytes(storage, name):
    """The whole content of a small stored file (a chunk's marker, a mask)."""
    with open_range(storage, name) as source:
        return source.read()


def read_many(storage, names):
    """(name, content) of each small stored file of `names`, in that order.

    From a bucket PARALLEL_READS files are fetched at a time, at most twice that many held: one by
    one, a thousand masks would wait for a thousand round trips.
    """
    if not in_bucket(storage):
        for name in names:
            yield name, read_bytes(storage, name)
        return
    client = storage.connection.meta.client

    def fetch(name):
        with _get(storage, client, name) as body:
            return body.read()

    pending = collections.deque()
    with ThreadPoolExecutor(PARALLEL_READS) as pool:
        for name in names:
            pending.append((name, pool.submit(fetch, name)))
            if len(pending) >= 2 * PARALLEL_READS:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def walk(storage, folder):
    """Names of every file under `folder`, relative to it, in name order (empty when there is no folder)."""
    folder = str(folder).rstrip("/")
    if in_bucket(storage):
        # One listing of every key under the folder, 1,000 per request, instead of one per sub-folder.
        prefix = _key(storage, folder) + "/"
        return [item.key[len(prefix) :] for item in storage.bucket.objects.filter(Prefix=prefix)]
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    names = [*files, *(posixpath.join(sub, name) for sub in folders for name in walk(storage, f"{folder}/{sub}"))]
    return sorted(names)


def delete_folder(storage, folder):
    """Delete every file under `folder` (local storage leaves the empty folders)."""
    folder = str(folder).rstrip("/")
    if in_bucket(storage):
        # Batch deletes, 1,000 keys per request.
        storage.bucket.objects.filter(Prefix=_key(storage, folder) + "/").delete()
        return
    for name in walk(storage, folder):
        storage.delete(f"{folder}/{name}")


def download(storage, name, content_type, *, filename=None, as_attachment=False):
    """The response serving stored file `name`, for a caller that has checked the user may have it.

    From a bucket: a redirect (302) to a presigned URL that works for AWS_QUERYSTRING_EXPIRE seconds
    and names the type and file name, so the file never passes through a web process. From local
    files: the file itself, streamed.
    """
    filename = filename or posixpath.basename(str(name))
    if in_bucket(storage):
        parameters = {
            "ResponseContentType": content_type,
            "ResponseContentDisposition": content_disposition_header(as_attachment, filename),
        }
        response = HttpResponseRedirect(storage.url(str(name), parameters=parameters))
        # The presigned URL is a credential until it expires: nobody keeps the redirect.
        add_never_cache_headers(response)
        return response
    return FileResponse(
        storage.open(str(name), "rb"), content_type=content_type, as_attachment=as_attachment, filename=filename
    )
