"""Adding images to datasets: check a file really is a safe image, read its facts, store it; and
reading an image's bytes, wherever they are (open_media: the one way every reader opens them)."""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Q
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from projects import buckets, jobs
from projects.models import Media, Project

# Pillow format name -> (MIME type, file extension). The type is read from the bytes, never
# trusted from the client, so a file that lies about its type is caught.
FORMATS = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "GIF": ("image/gif", ".gif"),
    "BMP": ("image/bmp", ".bmp"),
    "TIFF": ("image/tiff", ".tif"),
    "WEBP": ("image/webp", ".webp"),
}
THUMBNAIL_SIZE = (256, 256)


# Room for the multipart boundary and part headers around one uploaded file.
MULTIPART_OVERHEAD = 64 * 1024


def declared_body_size(request):
    """The request's Content-Length (0 when absent): checked before a multipart body is parsed,
    since Django's parser would first copy the whole body to a temporary file."""
    value = request.META.get("CONTENT_LENGTH") or ""
    return int(value) if value.isdigit() else 0


def upload_too_large(request):
    """True when the body cannot hold one image within LABELYARD_MAX_UPLOAD_BYTES."""
    return declared_body_size(request) > settings.LABELYARD_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD


class ImageRejected(ValueError):
    """An upload is not an image Labelyard can take; the message says why, in plain words."""


@dataclass(frozen=True)
class ImageFacts:
    width: int
    height: int
    mime_type: str
    extension: str
    sha256: str
    size: int


def clean_name(name):
    """Return the file name to keep, or raise ImageRejected for empty or path-like names."""
    name = (name or "").strip()
    if not name:
        raise ImageRejected("The file has no name.")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise ImageRejected(f"`{name}`: file names cannot contain path separators.")
    if any(ord(c) < 32 for c in name):
        raise ImageRejected("File names cannot contain control characters.")
    if len(name) > 255:
        raise ImageRejected("File names can be at most 255 characters long.")
    return name


def inspect_image(fileobj, name="file"):
    """Read an image's facts; raise ImageRejected for empty, truncated, bomb or non-image files."""
    digest = hashlib.sha256()
    size = 0
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    if size == 0:
        raise ImageRejected(f"`{name}` is empty.")
    if size > settings.LABELYARD_MAX_UPLOAD_BYTES:
        raise ImageRejected(f"`{name}` is larger than {settings.LABELYARD_MAX_UPLOAD_BYTES} bytes.")
    fileobj.seek(0)
    max_pixels = settings.LABELYARD_MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = max_pixels
            with Image.open(fileobj) as image:
                if image.format not in FORMATS:
                    raise ImageRejected(f"`{name}` is a {image.format} image; use JPEG, PNG, GIF, BMP, TIFF or WebP.")
                width, height = image.size
                if width * height > max_pixels:
                    raise ImageRejected(f"`{name}` has more than {max_pixels} pixels.")
                image.load()
                mime_type, extension = FORMATS[image.format]
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageRejected(f"`{name}` has too many pixels to be safe to open ({error}).") from error
    except UnidentifiedImageError as error:
        raise ImageRejected(f"`{name}` is not an image.") from error
    except (OSError, SyntaxError, ValueError) as error:
        if isinstance(error, ImageRejected):
            raise
        raise ImageRejected(f"`{name}` is damaged or truncated ({error}).") from error
    finally:
        fileobj.seek(0)
    return ImageFacts(width, height, mime_type, extension, digest.hexdigest(), size)


def upright(fileobj):
    """The image turned as its EXIF orientation says, as a new file; None when it needs no turning.

    Browsers show a photo turned by its EXIF orientation, and labels are drawn on what they show; the
    Segments.ai SDK turns it too, while COCO tools and most training code read the pixels as stored.
    Turning the pixels once, on upload, gives all of them the same picture (a JPEG is encoded again,
    at quality 95). Animations and multi-page files are kept as they are.
    """
    with Image.open(fileobj) as image:
        if image.getexif().get(ExifTags.Base.Orientation, 1) == 1 or getattr(image, "n_frames", 1) > 1:
            fileobj.seek(0)
            return None
        turned = ImageOps.exif_transpose(image)
        options = {"exif": turned.getexif()}
        if image.format == "JPEG":
            options["quality"] = 95
        if image.info.get("icc_profile"):
            options["icc_profile"] = image.info["icc_profile"]
        out = io.BytesIO()
        turned.save(out, format=image.format, **options)
    fileobj.seek(0)
    out.seek(0)
    return out


def add_image(dataset, fileobj, name, media_id=None):
    """Store one uploaded image in `dataset` and return its Media; nothing is kept on error.

    `media_id` is the id to give it, when one was promised before the image arrived
    (labeling/url_imports.py); by default a new one."""
    name = clean_name(name)
    facts = inspect_image(fileobj, name)
    turned = upright(fileobj)
    if turned is not None:
        fileobj = turned
        facts = inspect_image(fileobj, name)
    if Media.objects.filter(dataset=dataset, original_name=name).exists():
        raise ImageRejected(f"`{name}` is already in dataset {dataset.name}.")
    media = Media(
        dataset=dataset,
        original_name=name,
        width=facts.width,
        height=facts.height,
        mime_type=facts.mime_type,
        sha256=facts.sha256,
        size=facts.size,
    )
    if media_id is not None:
        media.id = media_id
    media.file.save(f"image{facts.extension}", File(fileobj), save=False)
    try:
        with transaction.atomic():
            media.save()
    except Exception:
        media.file.delete(save=False)
        raise
    jobs.make_thumbnail.delay_on_commit(str(media.pk))
    return media


class MediaUnavailable(Exception):
    """An image's bytes cannot be read now (no stored file, or its bucket refused); the message says why."""


def has_bytes(media):
    """Whether the image has bytes to read: a stored file, or an object in a bucket source."""
    return bool(media.file) or media.source_id is not None


def open_media(media):
    """Open an image's bytes for reading: its stored file (the default storage), or its object in its
    bucket source, read through that source's storage (projects/buckets.py). Every reader of image
    bytes goes through here. Raises MediaUnavailable with the reason."""
    if media.source_id is not None:
        try:
            return buckets.open_object(media.source, media.object_key)
        except buckets.BucketUnavailable as error:
            raise MediaUnavailable(str(error)) from error
    if not media.file:
        raise MediaUnavailable("This image has no stored file.")
    try:
        return media.file.open("rb")
    except FileNotFoundError as error:
        raise MediaUnavailable("This image's stored file is missing.") from error


def make_thumbnail(media_id):
    """Write a small JPEG preview of an image; does nothing if it exists or the media is gone, and
    leaves none when the image cannot be read (a bucket object gone or refused)."""
    with_bytes = Q(source__isnull=False) | ~Q(file="")
    media = Media.objects.filter(with_bytes, pk=media_id, thumbnail="").select_related("source").first()
    if media is None:
        return
    try:
        source = open_media(media)
    except MediaUnavailable:
        return
    Image.MAX_IMAGE_PIXELS = settings.LABELYARD_MAX_IMAGE_PIXELS
    with source, Image.open(source) as image:
        # An object in a bucket may have been replaced since it was checked: decode only what was.
        if image.size != (media.width, media.height):
            return
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80)
    media.thumbnail.save(f"{media.pk}.jpg", ContentFile(out.getvalue()), save=False)
    Media.objects.filter(pk=media.pk).update(thumbnail=media.thumbnail.name)


def delete_media(media):
    """Delete an image with its tasks and labels; its files go once the deletion is committed."""
    project_ids = list(media.dataset.projects.values_list("pk", flat=True))
    files = [f for f in (media.file, media.thumbnail) if f]
    with transaction.atomic():
        media.delete()
        for project in Project.objects.filter(pk__in=project_ids):
            project.bump_revision()
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
