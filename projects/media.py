"""Adding images to datasets: check a file really is a safe image, read its facts, store it; and
reading an image's bytes, wherever they are (open_media: the one way every reader opens them)."""

import hashlib
import io
import logging
import warnings
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.http import FileResponse
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from background import claims
from projects import buckets, quotas, stored
from projects.models import Media, Project, ThumbnailJob
from projects.stored_files import delete_after_commit
from rules import names

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
    hidden = names.problem(name, "A file name")
    if hidden is not None:
        raise ImageRejected(hidden)
    if len(name) > 255:
        raise ImageRejected("File names can be at most 255 characters long.")
    return name


def inspect_image(fileobj, name="file"):
    """Read an image's facts; raise ImageRejected for empty, truncated, bomb or non-image files.

    Type and size come from the header. Images of up to LABELYARD_IMAGE_INLINE_PIXELS are then
    decoded whole; larger ones are checked without holding their pixels (_check_pixels), so a small
    file that claims 100 megapixels costs the web process little memory.
    """
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
                mime_type, extension = FORMATS[image.format]
                _check_pixels(image)
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


def decodes_inline(width, height):
    """Whether an image this large is decoded whole while it is uploaded (else by the worker)."""
    return width * height <= settings.LABELYARD_IMAGE_INLINE_PIXELS


def _check_pixels(image):
    """Refuse damaged image data without ever holding a large image's pixels.

    A baseline JPEG is decoded at an eighth of its width and height: every byte of its data is read,
    a sixty-fourth of the pixels kept. A PNG gets Pillow's verify(): each chunk's checksum, nothing
    decompressed. Other formats, and progressive JPEGs (whose decoder holds the coefficients of the
    whole image at any scale), are checked by their header here and decoded by the worker, which
    makes the thumbnail.
    """
    width, height = image.size
    if decodes_inline(width, height):
        image.load()
    elif image.format == "JPEG" and not image.info.get("progressive"):
        image.draft(image.mode, (max(width // 8, 1), max(height // 8, 1)))
        image.load()
    elif image.format == "PNG":
        image.verify()


def upright(fileobj):
    """The image turned as its EXIF orientation says, as a new file; None when it needs no turning.

    Browsers show a photo turned by its EXIF orientation, and labels are drawn on what they show; the
    Segments.ai SDK turns it too, while COCO tools and most training code read the pixels as stored.
    Turning the pixels once gives all of them the same picture (a JPEG is encoded again, at quality
    95). Animations and multi-page files are kept as they are. This decodes the whole image:
    add_image() calls it for images decoded inline, the worker (make_thumbnail) for larger ones.
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


# EXIF orientations that turn the picture a quarter: its upright width is its stored height.
QUARTER_TURNS = {5, 6, 7, 8}


def upright_size(fileobj, facts):
    """`facts` with the width and height of the picture once turned upright, read from the header.

    For an image the worker turns later: browsers show it turned meanwhile, so its sizes are the
    upright ones from the start. Pillow finds a PNG's EXIF behind the pixel data only by decoding
    them; such a PNG keeps its stored sizes here and the worker corrects them when it turns it.
    """
    try:
        with Image.open(fileobj) as image:
            if getattr(image, "n_frames", 1) > 1 or (image.format == "PNG" and "exif" not in image.info):
                return facts
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    finally:
        fileobj.seek(0)
    if orientation in QUARTER_TURNS:
        return replace(facts, width=facts.height, height=facts.width)
    return facts


def add_image(dataset, fileobj, name, media_id=None):
    """Store one uploaded image in `dataset` and return its Media; nothing is kept on error.

    `media_id` is the id to give it, when one was promised before the image arrived
    (labeling/url_imports.py); by default a new one. Refused when its dataset's owner has no room
    left for it (projects/quotas.py).
    """
    name = clean_name(name)
    facts = inspect_image(fileobj, name)
    if decodes_inline(facts.width, facts.height):
        turned = upright(fileobj)
        if turned is not None:
            fileobj = turned
            facts = inspect_image(fileobj, name)
    else:
        facts = upright_size(fileobj, facts)
    if Media.objects.filter(dataset=dataset, original_name=name).exists():
        raise ImageRejected(f"`{name}` is already in dataset {dataset.name}.")
    owner = dataset.created_by
    _check_quota(owner, facts.size)
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
            # Counted again under the owner's lock: parallel uploads cannot together pass the limit.
            quotas.lock(owner)
            _check_quota(owner, facts.size)
            media.save()
            job = ThumbnailJob.objects.create(media=media)
    except Exception:
        media.file.delete(save=False)
        raise
    job.send()
    return media


def _check_quota(owner, size):
    try:
        quotas.check_storage(owner, size)
    except quotas.QuotaExceeded as error:
        raise ImageRejected(str(error)) from error


class MediaUnavailable(Exception):
    """An image's bytes cannot be read now (no stored file, or its bucket refused); the message says why."""

    # Its message is meant for users: a failed thumbnail job shows it (background.claims.failure_message).
    public = True


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


def media_response(media, *, filename=None, as_attachment=False):
    """The response serving an image's bytes, for a caller that has checked the user may see it: a
    stored file through projects/stored.py download() (a presigned redirect from a bucket, streamed
    from local files), an object of a bucket source streamed through open_media(). Raises
    MediaUnavailable with the reason."""
    if media.source_id is None and media.file:
        return stored.download(
            media.file.storage, media.file.name, media.mime_type, filename=filename, as_attachment=as_attachment
        )
    return FileResponse(
        open_media(media), content_type=media.mime_type, filename=filename or "", as_attachment=as_attachment
    )


def make_thumbnail(media_id):
    """The worker's part of adding an image, as the image's ThumbnailJob: turn a large uploaded one
    upright (add_image leaves that to the worker), then write a small JPEG preview from the stored file
    or from the object in the image's bucket source. A second run, or one for an image that is gone,
    does nothing (background/claims.py); an image that cannot be read fails its job with the reason.
    """
    job = claims.claim(ThumbnailJob, media_id, select_related=["media__source"])
    if job is None:
        return
    media = job.media
    try:
        if not media.thumbnail and has_bytes(media):
            if media.source_id is None and not decodes_inline(media.width, media.height):
                media = _turn_stored(media)
            _write_thumbnail(media)
    except Exception as error:
        logger.exception("Thumbnail of %s failed", media_id)
        claims.fail(ThumbnailJob, media_id, error)
        return
    claims.finish(job)


def _write_thumbnail(media):
    Image.MAX_IMAGE_PIXELS = settings.LABELYARD_MAX_IMAGE_PIXELS
    with open_media(media) as source, Image.open(source) as image:
        # An object in a bucket may have been replaced since its sync: decode only what was checked.
        if media.source_id is not None and image.size != (media.width, media.height):
            raise MediaUnavailable(
                f"`{media.original_name}` is {image.width}x{image.height} in its bucket now, not "
                f"{media.width}x{media.height} as when it was synced."
            )
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=80)
    media.thumbnail.save(f"{media.pk}.jpg", ContentFile(out.getvalue()), save=False)
    Media.objects.filter(pk=media.pk).update(thumbnail=media.thumbnail.name)


def _turn_stored(media):
    """Replace a stored image by its upright version (upright()); returns the media as it is now."""
    with media.file.open("rb") as source:
        turned = upright(source)
    if turned is None:
        return media
    facts = inspect_image(turned, media.original_name)
    old = media.file.name
    media.file.save(f"image{facts.extension}", File(turned), save=False)
    fields = {"width": facts.width, "height": facts.height, "sha256": facts.sha256, "size": facts.size}
    with transaction.atomic():
        # Only the run that still finds the old file replaces it; a second run's copy is dropped.
        if Media.objects.filter(pk=media.pk, file=old).update(file=media.file.name, **fields):
            delete_after_commit([old], media.file.storage)
            # The pixels and perhaps the sizes changed: the next export must not reuse an older file.
            for project in media.dataset.projects.all():
                project.bump_revision()
        else:
            media.file.delete(save=False)
    return Media.objects.get(pk=media.pk)


def delete_media(media):
    """Delete an image with its tasks and labels; its files go once the deletion is committed
    (projects/stored_files.py, which also covers the admin and a deleted dataset)."""
    project_ids = list(media.dataset.projects.values_list("pk", flat=True))
    with transaction.atomic():
        media.delete()
        for project in Project.objects.filter(pk__in=project_ids):
            project.bump_revision()
