"""PNG files of uint8 arrays: the class masks (grey) and the instance bitmaps (RGBA) of exports.

Written here rather than by OpenCV or Pillow because masks and bitmaps are long runs of equal
pixels, which one fixed row filter and zlib-ng's run-length strategy encode in 1-2 ms per 1080p
image and about as small as the general encoders do in 4-30 ms (bench/masks_speed.py,
bench/release_coco.py); dropping OpenCV also takes 37 MB off every worker process. The format is
PNG 1.2's smallest legal file: the signature, IHDR, one IDAT, IEND.
"""

import struct
import zlib

import numpy as np
from zlib_ng import zlib_ng

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# PNG colour types by channel count: greyscale and RGB with alpha.
COLOUR_TYPES = {1: 0, 4: 6}
# Row filters (PNG 1.2 section 9.2). "Up" turns a row equal to the one above into zeros, which suits
# bitmaps whose objects span many rows; "None" is enough, and fastest, for single-byte masks.
NONE, UP = 0, 2


def encode(pixels, row_filter=NONE, opaque=False):
    """PNG bytes of a (height, width) or (height, width, 4) uint8 array, 8 bits per sample.

    With `opaque`, RGBA pixels are written with alpha 255 whatever their fourth byte holds, which
    must be the same in every pixel. Under the Up filter the alpha differences below the first row
    are then 0 already, so a caller can pass 32-bit values viewed as bytes and save a pass over the
    image to set the alpha.
    """
    height, width = pixels.shape[:2]
    if not (height and width):
        raise ValueError(f"A PNG has at least one pixel; this image is {width}x{height}.")
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    rows = pixels.reshape(height, width * channels)
    # Every scanline starts with its filter type byte.
    scanlines = np.empty((height, width * channels + 1), dtype=np.uint8)
    scanlines[:, 0] = row_filter
    if row_filter == UP:
        scanlines[0, 1:] = rows[0]
        np.subtract(rows[1:], rows[:-1], out=scanlines[1:, 1:])
        if opaque:
            scanlines[0, 4::4] = 255
    else:
        scanlines[:, 1:] = rows
        if opaque:
            scanlines[:, 4::4] = 255
    compressor = zlib_ng.compressobj(1, zlib_ng.DEFLATED, zlib_ng.MAX_WBITS, 9, zlib_ng.Z_RLE)
    data = compressor.compress(scanlines) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join((SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", data), _chunk(b"IEND", b"")))


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))
