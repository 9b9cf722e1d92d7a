"""The PNG writer: what it writes decodes, with Pillow, to the array it was given."""

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

from raster import png

shapes = st.tuples(st.integers(1, 40), st.integers(1, 40))


def decoded(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.mode, np.asarray(image)


@settings(max_examples=60)
@given(pixels=shapes.flatmap(lambda shape: hnp.arrays(np.uint8, shape)), row_filter=st.sampled_from([png.NONE, png.UP]))
def test_grey_round_trip(pixels, row_filter):
    mode, back = decoded(png.encode(pixels, row_filter))
    assert mode == "L"
    np.testing.assert_array_equal(back, pixels)


@settings(max_examples=60)
@given(pixels=shapes.flatmap(lambda s: hnp.arrays(np.uint8, (*s, 4))), row_filter=st.sampled_from([png.NONE, png.UP]))
def test_rgba_round_trip(pixels, row_filter):
    mode, back = decoded(png.encode(pixels, row_filter))
    assert mode == "RGBA"
    np.testing.assert_array_equal(back, pixels)


@pytest.mark.parametrize("row_filter", [png.NONE, png.UP])
def test_a_full_size_mask_is_small(row_filter):
    mask = np.zeros((1080, 1920), dtype=np.uint8)
    mask[100:900, 300:1500] = 255
    data = png.encode(mask, row_filter)
    assert len(data) < 20_000
    assert decoded(data)[1].sum() == 800 * 1200 * 255


def test_the_file_passes_pillows_checks():
    image = Image.open(io.BytesIO(png.encode(np.full((3, 5, 4), 7, dtype=np.uint8))))
    image.verify()
    assert image.size == (5, 3)


@settings(max_examples=40)
@given(
    pixels=shapes.flatmap(lambda s: hnp.arrays(np.uint8, (*s, 4))),
    fourth=st.integers(0, 255),
    row_filter=st.sampled_from([png.NONE, png.UP]),
)
def test_opaque_writes_alpha_255(pixels, fourth, row_filter):
    """With `opaque`, a constant fourth byte of any value is written as alpha 255; the colours are kept."""
    pixels[..., 3] = fourth
    mode, back = decoded(png.encode(pixels, row_filter, opaque=True))
    assert mode == "RGBA" and (back[..., 3] == 255).all()
    np.testing.assert_array_equal(back[..., :3], pixels[..., :3])


@pytest.mark.parametrize("shape", [(0, 5), (4, 0), (0, 0, 4)])
def test_an_image_without_pixels_is_refused(shape):
    """PNG has no empty image: the writer says so instead of writing a file no reader opens."""
    with pytest.raises(ValueError, match="at least one pixel"):
        png.encode(np.zeros(shape, dtype=np.uint8))
