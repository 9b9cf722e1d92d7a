"""Adding images to datasets: check a file really is a safe image, read its facts, store it."""

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from background import claims
from projects.models import Media, Project, ThumbnailJob

logger = logging.getLogger(__name__)

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
            job = ThumbnailJob.objects.create(media=media)
    except Exception:
        media.file.delete(save=False)
        raise
    job.send()
    return media


def make_thumbnail(media_id):
    """Run the image's ThumbnailJob: write a small JPEG preview. A second run, or one for an image
    that is gone, does nothing (background/claims.py)."""
    job = claims.claim(ThumbnailJob, media_id, select_related=["media"])
    if job is None:
        return
    media = job.media
    try:
        if not media.thumbnail and media.file:
            with media.file.open("rb") as source, Image.open(source) as image:
                image.thumbnail(THUMBNAIL_SIZE)
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=80)
            media.thumbnail.save(f"{media.pk}.jpg", ContentFile(out.getvalue()), save=False)
            Media.objects.filter(pk=media.pk).update(thumbnail=media.thumbnail.name)
    except Exception as error:
        logger.exception("Thumbnail of %s failed", media_id)
        claims.fail(ThumbnailJob, media_id, error)
        return
    claims.finish(job)


def delete_media(media):
    """Delete an image with its tasks and labels; its files go once the deletion is committed."""
    project_ids = list(media.dataset.projects.values_list("pk", flat=True))
    files = [f for f in (media.file, media.thumbnail) if f]
    with transaction.atomic():
        media.delete()
        for project in Project.objects.filter(pk__in=project_ids):
            project.bump_revision()
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
