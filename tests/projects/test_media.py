"""Image uploads: real images are stored with their facts; everything else is refused whole."""

import hashlib
import io
import zlib

import pytest
from PIL import ExifTags, Image

from projects.media import ImageRejected, add_image, clean_name, inspect_image
from projects.models import Dataset, Media


def image_bytes(fmt="PNG", size=(32, 24)):
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, fmt)
    return out.getvalue()


def png_bomb():
    """A valid PNG header claiming 30000x30000 pixels with a tiny compressed body."""
    width = height = 30_000
    raw = zlib.compress(b"\x00" * 100)

    def chunk(kind, data):
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


class TestInspect:
    def test_png_facts(self):
        data = image_bytes()
        facts = inspect_image(io.BytesIO(data))
        assert (facts.width, facts.height, facts.mime_type, facts.extension) == (32, 24, "image/png", ".png")
        assert facts.sha256 == hashlib.sha256(data).hexdigest()
        assert facts.size == len(data)

    def test_type_comes_from_the_bytes(self):
        facts = inspect_image(io.BytesIO(image_bytes("JPEG")), "photo.png")
        assert facts.mime_type == "image/jpeg"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "`x` is empty."),
            (b"%PDF-1.4 not an image", "`x` is not an image."),
            (image_bytes()[:60], "`x` is damaged or truncated"),
        ],
    )
    def test_rejections(self, data, message):
        with pytest.raises(ImageRejected) as caught:
            inspect_image(io.BytesIO(data), "x")
        assert message in str(caught.value)

    def test_decompression_bomb(self, settings):
        settings.LABELYARD_MAX_IMAGE_PIXELS = 10_000_000
        with pytest.raises(ImageRejected, match="too many pixels|more than 10000000 pixels"):
            inspect_image(io.BytesIO(png_bomb()), "bomb.png")

    def test_unsupported_format(self):
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, "PPM")
        with pytest.raises(ImageRejected, match="is a PPM image; use JPEG"):
            inspect_image(out, "x.ppm")

    def test_size_limit(self, settings):
        settings.LABELYARD_MAX_UPLOAD_BYTES = 10
        with pytest.raises(ImageRejected, match="larger than 10 bytes"):
            inspect_image(io.BytesIO(image_bytes()), "x")


class TestNames:
    @pytest.mark.parametrize("name", ["../etc/passwd", "a/b.png", "a\\b.png", "..", "", "   "])
    def test_bad_names(self, name):
        with pytest.raises(ImageRejected):
            clean_name(name)

    def test_name_is_trimmed(self):
        assert clean_name("  a.png ") == "a.png"


@pytest.mark.django_db
class TestAddImage:
    def test_stored_under_a_generated_name(self):
        dataset = Dataset.objects.create(name="d")
        media = add_image(dataset, io.BytesIO(image_bytes()), "street.png")
        assert media.file.name == f"datasets/{dataset.pk}/{media.pk}.png"
        assert media.file.size == media.size
        assert (media.width, media.height) == (32, 24)

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
    def test_a_photo_turned_by_exif_is_stored_upright(self, fmt):
        """A 120x60 photo whose EXIF says "turn 90 degrees clockwise" (orientation 6) is stored as the 60x120
        picture browsers show, with no orientation left for a second turn; its sizes are the upright ones."""
        image = Image.new("RGB", (120, 60), "white")
        image.paste((255, 0, 0), (0, 0, 20, 20))  # red in the top-left corner as stored
        exif = Image.Exif()
        exif[ExifTags.Base.Orientation] = 6
        data = io.BytesIO()
        image.save(data, fmt, exif=exif, **({"quality": 100} if fmt == "JPEG" else {}))
        media = add_image(Dataset.objects.create(name="d"), io.BytesIO(data.getvalue()), f"photo.{fmt.lower()}")
        assert (media.width, media.height) == (60, 120)
        with media.file.open("rb") as stored, Image.open(stored) as upright:
            assert upright.size == (60, 120) and upright.getexif().get(ExifTags.Base.Orientation, 1) == 1
            # Turned clockwise, the top-left corner goes to the top right.
            red, green, blue = upright.convert("RGB").getpixel((55, 5))
            assert red > 200 and green < 60 and blue < 60
        assert media.size == media.file.size

    def test_an_upright_image_is_stored_as_uploaded(self):
        """No orientation to apply: the bytes are kept as they came."""
        data = image_bytes("JPEG")
        media = add_image(Dataset.objects.create(name="d"), io.BytesIO(data), "a.jpg")
        assert media.sha256 == hashlib.sha256(data).hexdigest()

    def test_duplicate_name_in_a_dataset(self):
        dataset = Dataset.objects.create(name="d")
        add_image(dataset, io.BytesIO(image_bytes()), "a.png")
        with pytest.raises(ImageRejected, match="already in dataset d"):
            add_image(dataset, io.BytesIO(image_bytes()), "a.png")
        assert Media.objects.count() == 1

    def test_rejected_file_leaves_nothing(self, media_root):
        dataset = Dataset.objects.create(name="d")
        with pytest.raises(ImageRejected):
            add_image(dataset, io.BytesIO(b"GIF89a broken"), "a.gif")
        assert Media.objects.count() == 0
        assert not (media_root / "datasets" / str(dataset.pk)).exists()
