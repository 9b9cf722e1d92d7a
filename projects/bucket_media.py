"""Images of bucket sources as Media (projects/buckets.py has the sources): each new object's facts are
read from its first bytes with ranged GETs, never the whole file, and the images are stored as Media
that name their source and key, with no stored file. labeling/bucket_syncs.py runs this per page.
"""

import functools
import io
import posixpath
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from django.conf import settings
from PIL import ExifTags, Image, UnidentifiedImageError

from projects import buckets
from projects.media import FORMATS, ImageFacts, ImageRejected
from projects.models import Media, ThumbnailJob
from rules import names

# A ranged GET of the first 64 KiB holds the header of nearly every image; a longer header (a big
# ICC profile or EXIF block before a JPEG's frame, a TIFF's directory further in) is read again
# with the next, larger range.
HEADER_READS = (64 * 1024, 1024 * 1024, 16 * 1024 * 1024)
# Each image format's first bytes; an object starting otherwise is refused without reading more.
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
# Header reads in flight at once.
READ_THREADS = 8
NAME_MAX = Media._meta.get_field("original_name").max_length


@dataclass(frozen=True)
class ObjectFacts:
    """What a sync learnt about one image object: its facts, or why it was refused."""

    key: str
    name: str
    size: int
    facts: ImageFacts | None = None
    error: str = ""


def name_for(source, key):
    """The image's name in its dataset: its key after the prefix (folders kept, as `a/b.jpg`)."""
    return key[len(source.prefix) :].lstrip("/") or key


def check_key(source, key):
    """Refuse, with ImageRejected, a key the storage cannot name as it is, or a name the dataset cannot hold."""
    name = name_for(source, key)
    # The storage API cleans names (backslashes, `//`, `.` and `..` parts), which would read another object.
    if key.startswith("/") or "\\" in key or posixpath.normpath(key) != key:
        raise ImageRejected(f"`{key}`: keys with backslashes, `//`, `.` or `..` parts are not read.")
    hidden = names.problem(name, "An image name")
    if hidden:
        raise ImageRejected(f"`{key!r}`: {hidden}")
    if len(name) > NAME_MAX:
        raise ImageRejected(f"`{key}`: the name after the prefix is longer than {NAME_MAX} characters.")
    return name


def header_facts(data, name, size, complete):
    """The facts of an image from its first bytes `data` (all of it when `complete`), or None when
    its header goes on past them. Raises ImageRejected for what is not a safe image."""
    if not data.startswith(SIGNATURES) and not (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        raise ImageRejected(f"`{name}` is not a JPEG, PNG, GIF, BMP, TIFF or WebP image.")
    max_pixels = settings.LABELYARD_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = max_pixels
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in FORMATS:
                    raise ImageRejected(f"`{name}` is a {image.format} image; use JPEG, PNG, GIF, BMP, TIFF or WebP.")
                width, height = image.size
                # A PNG keeps its EXIF after the pixels only rarely; asking for it would read them all.
                exif = image.getexif() if image.format != "PNG" or "exif" in image.info else {}
                orientation = exif.get(ExifTags.Base.Orientation, 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(f"`{name}` has too many pixels to be safe to open ({error}).") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError) as error:
        if isinstance(error, ImageRejected):
            raise
        if not complete:
            return None
        raise ImageRejected(f"`{name}` is damaged or not an image ({error}).") from error
    if width * height > max_pixels:
        raise ImageRejected(f"`{name}` has more than {max_pixels} pixels.")
    if orientation not in (None, 1):
        # Uploads are turned upright (docs/decisions.md, Media); an object in a bucket is not rewritten.
        raise ImageRejected(
            f"`{name}` has an EXIF orientation ({orientation}); store it upright in the bucket, or upload it."
        )
    mime_type, extension = FORMATS[image.format]
    return ImageFacts(width, height, mime_type, extension, "", size)


def object_facts(client, source, key, size):
    """Read one object's facts with ranged GETs of its first bytes; never the whole file unless it is
    that small. Returns ObjectFacts; a bucket that fails as a whole raises BucketUnavailable."""
    try:
        name = check_key(source, key)
    except ImageRejected as error:
        return ObjectFacts(key, key, size, error=str(error))
    outcome = functools.partial(ObjectFacts, key, name, size)
    if size == 0:
        return outcome(error=f"`{name}` is empty.")
    if size > settings.LABELYARD_MAX_UPLOAD_BYTES:
        return outcome(error=f"`{name}` is larger than {settings.LABELYARD_MAX_UPLOAD_BYTES} bytes.")
    for length in HEADER_READS:
        try:
            body = client.get_object(Bucket=source.bucket, Key=key, Range=f"bytes=0-{length - 1}")["Body"]
            # At most the range, even from a server that ignores it and sends the whole object.
            data = body.read(length)
            body.close()
        except buckets.BUCKET_ERRORS as error:
            message = buckets.describe(error, source, key)
            if buckets.whole_bucket_failed(error):
                raise buckets.BucketUnavailable(message) from error
            return outcome(error=message)
        complete = len(data) >= size
        try:
            facts = header_facts(data, name, size, complete)
        except ImageRejected as error:
            return outcome(error=str(error))
        if facts is not None:
            return outcome(facts=facts)
        if complete:
            break
    return outcome(error=f"`{name}`: no complete image header in its first {HEADER_READS[-1] // (1 << 20)} MiB.")


def read_page(source, objects, on_read=None):
    """ObjectFacts of each (key, size) of `objects` whose key is not in the dataset yet, read
    READ_THREADS at a time, in the order given; keys already stored from this source are left out.
    `on_read()` is called after each object (a job's heartbeat); what it raises stops the page."""
    keys = [key for key, _ in objects]
    known = set(Media.objects.filter(source=source, object_key__in=keys).values_list("object_key", flat=True))
    new = [(key, size) for key, size in objects if key not in known]
    if not new:
        return []
    client = buckets.storage_for(source).client
    with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(new)), thread_name_prefix="bucket-read") as pool:
        futures = [pool.submit(object_facts, client, source, key, size) for key, size in new]
        try:
            for future in as_completed(futures):
                future.result()
                if on_read is not None:
                    on_read()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return [future.result() for future in futures]


def store_page(source, results):
    """Store the images of `results` (ObjectFacts) as Media of the source's dataset, in the caller's
    transaction; returns (the new media, "key: reason" of each refused object). An image whose name
    the dataset already holds is refused; one stored meanwhile by another run is left out."""
    errors = [result.error for result in results if result.error]
    good = [result for result in results if result.facts is not None]
    taken = set(
        Media.objects.filter(dataset_id=source.dataset_id, original_name__in=[r.name for r in good]).values_list(
            "original_name", flat=True
        )
    )
    new = []
    for result in good:
        if result.name in taken:
            errors.append(f"`{result.name}` is already in the dataset (from an upload or another source).")
            continue
        taken.add(result.name)
        facts = result.facts
        new.append(
            Media(
                dataset_id=source.dataset_id,
                source=source,
                object_key=result.key,
                original_name=result.name,
                width=facts.width,
                height=facts.height,
                mime_type=facts.mime_type,
                sha256="",
                size=facts.size,
            )
        )
    Media.objects.bulk_create(new, ignore_conflicts=True)
    stored = set(Media.objects.filter(pk__in=[m.pk for m in new]).values_list("pk", flat=True))
    created = [m for m in new if m.pk in stored]
    for job in ThumbnailJob.objects.bulk_create([ThumbnailJob(media=media) for media in created]):
        job.send()
    return created, errors
