"""Adding images to datasets: check a file really is a safe image, read its facts, store it."""

import functools
import hashlib
import http.client
import io
import ipaddress
import logging
import socket
import tempfile
import urllib.parse
import urllib.request
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


def add_image(dataset, fileobj, name):
    """Store one uploaded image in `dataset` and return its Media; nothing is kept on error."""
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


URL_FETCH_TIMEOUT = 20


def is_public_address(address):
    """True for an internet address; False for loopback, private, link-local (cloud metadata at
    169.254.169.254), shared, reserved and multicast ones, also when written as IPv4-mapped IPv6."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_fetch_address(address, url):
    """Refuse a fetch from a non-public address unless LABELYARD_URL_FETCH_ALLOW_PRIVATE is set."""
    if not settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE and not is_public_address(address):
        raise ImageRejected(
            f"{url}: {address} is a local or private network address; images are fetched only from "
            "public addresses (setting LABELYARD_URL_FETCH_ALLOW_PRIVATE)."
        )


def _check_host(url, host, port):
    """Check every address `host` resolves to, before anything is sent."""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)}
    except (OSError, UnicodeError) as error:
        raise ImageRejected(f"{url}: could not be fetched ({error}).") from error
    for address in sorted(addresses):
        check_fetch_address(address, url)


class _CheckedConnection:
    """Checks the address actually connected to, so a DNS answer that changes between the check
    above and the connection (DNS rebinding) or a redirect to a local address is refused too."""

    def __init__(self, *args, fetch_url, **kwargs):
        super().__init__(*args, **kwargs)
        create = self._create_connection
        proxies = {urllib.parse.urlsplit(p).hostname for p in urllib.request.getproxies().values()}

        def create_checked(address, *args, **kwargs):
            sock = create(address, *args, **kwargs)
            # Through a proxy the peer is the proxy; the target was checked by name before.
            if address[0] not in proxies:
                try:
                    check_fetch_address(sock.getpeername()[0], fetch_url)
                except ImageRejected:
                    sock.close()
                    raise
            return sock

        self._create_connection = create_checked


class _CheckedHTTPConnection(_CheckedConnection, http.client.HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnection, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, fetch_url):
        super().__init__()
        self.fetch_url = fetch_url

    def http_open(self, req):
        return self.do_open(functools.partial(_CheckedHTTPConnection, fetch_url=self.fetch_url), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, fetch_url):
        super().__init__()
        self.fetch_url = fetch_url

    def https_open(self, req):
        connection = functools.partial(_CheckedHTTPSConnection, fetch_url=self.fetch_url)
        return self.do_open(connection, req, context=self._context)


def _open_url(url):
    opener = urllib.request.build_opener(_HTTPHandler(url), _HTTPSHandler(url))
    return opener.open(url, timeout=URL_FETCH_TIMEOUT)


def add_image_from_url(dataset, url):
    """Fetch the image at `url` once, check it like an upload, store it and remember the URL.

    The file is kept, not only its size, so labeling and mask rendering keep working when the
    link breaks later. Only public addresses are fetched from unless
    LABELYARD_URL_FETCH_ALLOW_PRIVATE is set (server-side request forgery: a URL must not reach
    the cloud's metadata service or the database next door). Raises ImageRejected with the reason.
    """
    parsed = urllib.parse.urlsplit(url.strip())
    name = urllib.parse.unquote(parsed.path.rsplit("/", 1)[-1])
    if parsed.scheme not in ("http", "https") or not parsed.netloc or not parsed.hostname:
        raise ImageRejected(f"{url}: only http and https URLs can be added.")
    if not name:
        raise ImageRejected(f"{url}: the URL does not end in a file name.")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError as error:
        raise ImageRejected(f"{url}: the port is not valid.") from error
    if not settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE:
        _check_host(url, parsed.hostname, port)
    limit = settings.LABELYARD_MAX_UPLOAD_BYTES
    with tempfile.TemporaryFile() as handle:
        try:
            with _open_url(parsed.geturl()) as response:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    handle.write(chunk)
                    if handle.tell() > limit:
                        raise ImageRejected(f"{url}: the image is larger than {limit} bytes.")
        except (OSError, ValueError) as error:
            if isinstance(error, ImageRejected):
                raise
            raise ImageRejected(f"{url}: could not be fetched ({error}).") from error
        with transaction.atomic():
            media = add_image(dataset, handle, name)
            media.source_url = parsed.geturl()
            media.save(update_fields=["source_url"])
    return media


def delete_media(media):
    """Delete an image with its tasks and labels; its files go once the deletion is committed."""
    project_ids = list(media.dataset.projects.values_list("pk", flat=True))
    files = [f for f in (media.file, media.thumbnail) if f]
    with transaction.atomic():
        media.delete()
        for project in Project.objects.filter(pk__in=project_ids):
            project.bump_revision()
        transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])
