"""Stored files: every file Labelyard keeps goes through Django's storage API, so web and worker
processes on many machines share one S3-compatible bucket (or, by default, one local folder).

This module owns what the storage API leaves to each caller: the storage of the background jobs'
own files (`job_storage`: exports and releases, whose jobs rewrite their own names when redone),
saving a finished scratch file in one step (a rename on local disk, one upload to a bucket, so a
reader never sees half a file), joining stored parts into one file (on a bucket mostly by
server-side copies), reading a file or a byte range of it as a stream (memory stays flat, and a
bucket sends only the range), listing and deleting a folder, and the response that serves a stored
file once the caller has checked who may see it (docs/export.md, "Downloads").
"""

import collections
import functools
import io
import mimetypes
import posixpath
import sys
import tempfile
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.core.files import File
from django.core.files.storage import storages
from django.http import FileResponse, HttpResponseRedirect
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from storages.utils import clean_name, safe_join

# Reads and copies move this many bytes at a time.
BLOCK = 1 << 20
# S3's smallest multipart part (all but the last), and the size at which concatenate() uploads what
# it has gathered locally as one part.
MIN_PART = 5 * 1024 * 1024
GATHERED_PART = 64 * 1024 * 1024
# Small files read from or written to a bucket at the same time (read_many, SmallFiles): each
# request waits mostly on the network.
PARALLEL_READS = 8
PARALLEL_WRITES = 4


def job_storage():
    """Where export jobs and releases keep their files (labelyard/settings.py STORAGES["exports"]):
    the same place as the default storage, but a name written again replaces the file."""
    return storages["exports"]


def in_bucket(storage):
    """True when `storage` is an S3-compatible bucket (django-storages), False for local files."""
    # An S3Storage exists only once its module is loaded, which a process without a bucket never
    # does: it does not load boto3 (about 20 MB per process) to learn that.
    s3 = sys.modules.get("storages.backends.s3")
    return s3 is not None and isinstance(storage, s3.S3Storage)


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


class SmallFiles:
    """Stores small files (masks, bitmaps) while the caller goes on rendering the next ones.

    On a bucket each file is one PUT, mostly a wait for its round trip: PARALLEL_WRITES of them run
    at a time in threads, through the storage's client (boto3 clients are thread-safe, its
    resources are not), and at most twice that many files are held in memory. close() (the end of
    the `with` block) waits for every save and raises the first failure, so a caller counts its
    work done only once its files are stored. Locally each file is saved at once, atomically
    (save_bytes through the folder `scratch`).
    """

    def __init__(self, storage, scratch):
        self.storage, self.scratch = storage, scratch
        self.pool = ThreadPoolExecutor(PARALLEL_WRITES) if in_bucket(storage) else None
        self.client = storage.connection.meta.client if self.pool else None
        self.pending = collections.deque()

    def save(self, name, data):
        if self.pool is None:
            save_bytes(self.storage, name, data, self.scratch)
            return
        self.pending.append(self.pool.submit(self._put, str(name), data))
        while len(self.pending) > 2 * PARALLEL_WRITES or (self.pending and self.pending[0].done()):
            self.pending.popleft().result()

    def _put(self, name, data):
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        self.client.put_object(
            Bucket=self.storage.bucket_name, Key=_key(self.storage, name), Body=data, ContentType=content_type
        )

    def close(self):
        if self.pool is None:
            return
        try:
            while self.pending:
                self.pending.popleft().result()
        finally:
            self.pool.shutdown(cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


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
    except client.exceptions.NoSuchKey as error:
        raise FileNotFoundError(f"There is no stored file {name}.") from error


def read_line(storage, name, guess=64 * 1024):
    """The first line of stored file `name`, reading a small range first (not the whole file)."""
    size = guess
    while True:
        with open_range(storage, name, 0, size) as stream:
            line = stream.readline()
        if line.endswith(b"\n") or len(line) < size:
            return line
        size *= 4


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
    """The whole content of a small stored file (a mask)."""
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


def concatenate(storage, name, pieces):
    """Store as `name` the pieces, in order: bytes, or (name, size) of stored files; returns (name, size).

    Locally the pieces are copied into a scratch file, which is then renamed into place. On a
    bucket the file is one multipart upload whose parts are server-side copies of the stored
    pieces of at least MIN_PART bytes, so those bytes never travel; bytes, and stored pieces too
    small to be a part, are gathered in a scratch file and uploaded as parts of their own.
    """
    with tempfile.TemporaryDirectory() as scratch:
        if not in_bucket(storage):
            path = Path(scratch) / "joined"
            with path.open("wb") as stream:
                for piece in pieces:
                    _append(storage, piece, stream)
            size = path.stat().st_size
            return save_file(storage, name, path), size
        return _concatenate_in_bucket(storage, name, pieces, Path(scratch) / "gathered")


def _append(storage, piece, stream):
    if isinstance(piece, bytes):
        stream.write(piece)
    else:
        copy_into(storage, piece[0], stream)


def _concatenate_in_bucket(storage, name, pieces, gathered):
    client, bucket = storage.connection.meta.client, storage.bucket_name
    total = sum(len(piece) if isinstance(piece, bytes) else piece[1] for piece in pieces)
    if not any(piece[1] >= MIN_PART for piece in pieces if not isinstance(piece, bytes)):
        # Nothing worth a server-side copy: gather everything and upload it once.
        with gathered.open("wb") as stream:
            for piece in pieces:
                _append(storage, piece, stream)
        return save_file(storage, name, gathered), total
    content_type = mimetypes.guess_type(str(name))[0] or "application/octet-stream"
    target = {"Bucket": bucket, "Key": _key(storage, name)}
    target["UploadId"] = client.create_multipart_upload(**target, ContentType=content_type)["UploadId"]
    parts = []
    with gathered.open("w+b") as stream:

        def add_part(piece=None):
            """The next part: a copy of stored `piece`, or (without one) what was gathered."""
            number = len(parts) + 1
            if piece is None:
                stream.seek(0)
                etag = client.upload_part(**target, PartNumber=number, Body=stream)["ETag"]
                stream.seek(0)
                stream.truncate()
            else:
                source = {"Bucket": bucket, "Key": _key(storage, piece[0])}
                etag = client.upload_part_copy(**target, PartNumber=number, CopySource=source)["CopyPartResult"]["ETag"]
            parts.append({"ETag": etag, "PartNumber": number})

        try:
            for piece in pieces:
                gathered_size = stream.tell()
                copied = not isinstance(piece, bytes) and piece[1] >= MIN_PART
                # What was gathered before a copied part becomes a part of its own, so it must be large
                # enough to be one (the header is not: it travels with the first piece).
                if copied and (gathered_size == 0 or gathered_size >= MIN_PART):
                    if gathered_size:
                        add_part()
                    add_part(piece)
                else:
                    _append(storage, piece, stream)
                    if stream.tell() >= GATHERED_PART:
                        add_part()
            if stream.tell() or not parts:
                add_part()
            client.complete_multipart_upload(**target, MultipartUpload={"Parts": parts})
        except BaseException:
            client.abort_multipart_upload(**target)
            raise
    return str(name), total


def listing(storage, folder):
    """(name, size) of every file under `folder`, names relative to it, in name order (empty when
    there is no folder)."""
    folder = str(folder).rstrip("/")
    if in_bucket(storage):
        # One listing of every key under the folder, 1,000 per request, instead of one per sub-folder.
        prefix = _key(storage, folder) + "/"
        return [(item.key[len(prefix) :], item.size) for item in storage.bucket.objects.filter(Prefix=prefix)]
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = [(name, storage.size(f"{folder}/{name}")) for name in files]
    for sub in folders:
        found += [(posixpath.join(sub, name), size) for name, size in listing(storage, f"{folder}/{sub}")]
    return sorted(found)


def walk(storage, folder):
    """Names of every file under `folder`, relative to it, in name order (empty when there is no folder)."""
    return [name for name, _ in listing(storage, folder)]


def delete_folder(storage, folder):
    """Delete every file under `folder`, and the folder itself where folders exist."""
    folder = str(folder).rstrip("/")
    if in_bucket(storage):
        # Batch deletes, 1,000 keys per request (one request per file took minutes for a large export).
        storage.bucket.objects.filter(Prefix=_key(storage, folder) + "/").delete()
        return
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in files:
        storage.delete(f"{folder}/{name}")
    for name in folders:
        delete_folder(storage, f"{folder}/{name}")
    # FileSystemStorage deletes an empty folder; a storage without folders has nothing to delete.
    storage.delete(folder)


@functools.lru_cache(maxsize=8)
def download_origin(storage):
    """The origin (scheme://host[:port]) the bucket's presigned URLs point at, or None for local files:
    pages let images come from it (labelyard/content_security_policy.py)."""
    if not in_bucket(storage):
        return None
    parts = urllib.parse.urlsplit(storage.url("origin"))
    return f"{parts.scheme}://{parts.netloc}"


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
