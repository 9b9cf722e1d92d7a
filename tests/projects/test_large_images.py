"""Large images are checked without decoding them in the web process: a 0.3 MB PNG of 100 megapixels
took the uploading process ~380 MB; now the header and the data's structure are checked there and the
worker decodes (thumbnail, EXIF turn). Measured by bench/upload_memory.py in a separate process."""

import hashlib
import io
import os
import subprocess
import sys

import pytest
from PIL import ExifTags, Image

from formats import jsonio
from projects.media import ImageRejected, add_image, inspect_image
from projects.models import Dataset, Media
from tests.conftest import ROOT, database_url, wait_for


def encoded(fmt, size=(120, 60), orientation=None, **options):
    image = Image.new("RGB", size, "white")
    image.paste((255, 0, 0), (0, 0, 20, 20))  # red in the top-left corner as stored
    if orientation is not None:
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = orientation
        options["exif"] = exif
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


@pytest.fixture
def small_inline(settings, monkeypatch):
    """Images above 1,000 pixels count as large here, and in a worker process started after this."""
    settings.LABELYARD_IMAGE_INLINE_PIXELS = 1000
    monkeypatch.setenv("LABELYARD_IMAGE_INLINE_PIXELS", "1000")


@pytest.mark.django_db(transaction=True)
def test_a_100_megapixel_png_costs_the_upload_little_memory(media_root):
    """Peak RSS growth of add_image on a 100-megapixel, 0.3 MB PNG: ~383 MB when decoded whole, ~2 MB now."""
    env = {**os.environ, "DATABASE_URL": database_url(), "LABELYARD_MEDIA_ROOT": str(media_root)}
    env.pop("LABELYARD_IMAGE_INLINE_PIXELS", None)
    run = subprocess.run(
        [sys.executable, "bench/upload_memory.py", "100", "png"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    result = jsonio.loads(run.stdout)
    assert result["pixels"] == 100_000_000 and result["file_bytes"] < 1_000_000
    assert result["growth_mb"] < 50, result


class TestLargeImageChecks:
    """Above LABELYARD_IMAGE_INLINE_PIXELS a damaged file is still refused where the format allows it
    without decoding: a JPEG's data is read at an eighth of its size, a PNG's chunk checksums."""

    def test_a_truncated_large_jpeg_is_refused(self, small_inline):
        data = encoded("JPEG", size=(400, 300))
        with pytest.raises(ImageRejected, match="damaged or truncated"):
            inspect_image(io.BytesIO(data[: len(data) // 2]), "x.jpg")

    def test_a_png_with_a_broken_checksum_is_refused(self, small_inline):
        data = bytearray(encoded("PNG", size=(400, 300)))
        data[-20] ^= 0xFF  # inside the last IDAT chunk
        with pytest.raises(ImageRejected, match="damaged or truncated"):
            inspect_image(io.BytesIO(bytes(data)), "x.png")

    @pytest.mark.parametrize(("fmt", "options"), [("JPEG", {}), ("JPEG", {"progressive": True}), ("PNG", {}),
                                                  ("WEBP", {}), ("TIFF", {})])  # fmt: skip
    def test_good_large_images_pass_with_their_facts(self, small_inline, fmt, options):
        data = encoded(fmt, size=(400, 300), **options)
        facts = inspect_image(io.BytesIO(data), "x")
        assert (facts.width, facts.height, facts.size) == (400, 300, len(data))
        assert facts.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_large_photo_is_turned_upright_by_the_job(small_inline, django_capture_on_commit_callbacks, fmt):
    """A large photo whose EXIF says "turn 90 degrees clockwise" (6) is stored as uploaded with the upright
    sizes at once (browsers show it turned meanwhile); the thumbnail job turns the file itself."""
    data = encoded(fmt, orientation=6, **({"quality": 100} if fmt == "JPEG" else {}))
    dataset = Dataset.objects.create(name="d")
    with django_capture_on_commit_callbacks() as jobs:
        media = add_image(dataset, io.BytesIO(data), f"photo.{fmt.lower()}")
    assert (media.width, media.height) == (60, 120)
    assert media.sha256 == hashlib.sha256(data).hexdigest()  # not decoded, not turned yet
    uploaded = media.file.name
    with django_capture_on_commit_callbacks(execute=True):
        for job in jobs:
            job()
    media = Media.objects.get(pk=media.pk)
    assert media.file.name != uploaded and not media.file.storage.exists(uploaded)
    with media.file.open("rb") as stored, Image.open(stored) as upright:
        assert upright.size == (60, 120) and upright.getexif().get(ExifTags.Base.Orientation, 1) == 1
        red, green, blue = upright.convert("RGB").getpixel((55, 5))  # the top-left corner went to the top right
        assert red > 200 and green < 60 and blue < 60
        assert media.size == media.file.size
    with media.file.open("rb") as stored:
        assert media.sha256 == hashlib.sha256(stored.read()).hexdigest()
    with media.thumbnail.open("rb") as stored, Image.open(stored) as thumbnail:
        assert thumbnail.size == (60, 120)


@pytest.mark.worker
def test_a_worker_process_turns_a_large_photo(small_inline, celery_worker):
    dataset = Dataset.objects.create(name="worker")
    media = add_image(dataset, io.BytesIO(encoded("JPEG", orientation=8)), "photo.jpg")
    assert (media.width, media.height) == (60, 120)

    def turned():
        return Media.objects.filter(pk=media.pk).exclude(thumbnail="").first()

    done = wait_for(turned, timeout=60, message=f"the worker (log: {celery_worker.log_path})")
    with done.file.open("rb") as stored, Image.open(stored) as upright:
        assert upright.size == (60, 120) and upright.getexif().get(ExifTags.Base.Orientation, 1) == 1
        # Orientation 8 turns counter-clockwise: the top-left corner goes to the bottom left.
        red, green, blue = upright.convert("RGB").getpixel((5, 115))
        assert red > 200 and green < 60 and blue < 60
