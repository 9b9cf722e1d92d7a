"""Segmentation masks: an image's segmentation objects of one class -> an 8-bit PNG (decisions.md "Masks").

Pure functions, no models or settings. A pixel is inside when its centre is; objects of a class are
united and each object's holes cut only that object. The common case is one vectorised scanline pass
over the whole image: every ring adds its signed crossings (+1 into an outline, -1 into a hole) at the
first pixel centre on or right of the crossing, and a running sum along each row gives, per pixel, the
number of objects covering it. Objects that the sum cannot describe exactly (self-intersecting rings,
holes that overlap each other or leave the outline's box) are rasterised one by one instead.
"""

import cv2
import numpy as np
import shapely

INSIDE = 255
# Masks are long runs of 0 and 255: no row filter plus zlib's run-length strategy encodes a 1080p mask
# in about 3 ms, faster and smaller than OpenCV's defaults (measured in bench/masks_speed.py).
PNG_PARAMS = [
    cv2.IMWRITE_PNG_FILTER,
    cv2.IMWRITE_PNG_FILTER_NONE,
    cv2.IMWRITE_PNG_STRATEGY,
    cv2.IMWRITE_PNG_STRATEGY_RLE,
]


def render(width, height, objects):
    """Return a (height, width) uint8 array: 255 where a pixel centre lies inside any object, else 0.

    `objects` is an iterable of rings lists, as stored in a labels document: the outline first,
    then holes, each ring a list of [x, y] image coordinates.
    """
    # int16 holds the count of overlapping objects: a document has at most 20,000 geometries.
    counts = np.zeros((height, width + 1), dtype=np.int16)
    prepared = [
        arrays
        for arrays in ([np.asarray(ring, dtype=np.float64).reshape(-1, 2) for ring in rings] for rings in objects)
        if arrays and len(arrays[0]) >= 3
    ]
    simple = _simple_rings([ring for arrays in prepared for ring in arrays])
    summed, signs, exact = [], [], []
    position = 0
    for arrays in prepared:
        if all(simple[position : position + len(arrays)]) and _holes_apart(arrays):
            for i, ring in enumerate(arrays):
                # Outlines count +1 inside, holes -1, whatever way round they were drawn.
                orientation = 1 if _signed_area(ring) > 0 else -1
                summed.append(ring)
                signs.append(orientation if i == 0 else -orientation)
        else:
            exact.append(arrays)
        position += len(arrays)
    if summed:
        rows, columns, directions, ring_index = _crossings(summed, width, height)
        # Along a row a simple ring alternates entering and leaving; a ring of positive area
        # enters on its edges going up (-1), so -direction * sign is +1 on entering an outline.
        steps = (-directions * np.asarray(signs)[ring_index]).astype(np.int16)
        np.add.at(counts.reshape(-1), rows * (width + 1) + columns, steps)
    np.cumsum(counts, axis=1, out=counts)
    mask = cv2.compare(counts[:, :width], 0, cv2.CMP_GT)
    for arrays in exact:
        _paint_object(mask, arrays, width, height)
    return mask


def encode_png(mask):
    """PNG bytes of a single-channel uint8 array."""
    ok, data = cv2.imencode(".png", mask, PNG_PARAMS)
    if not ok:
        raise ValueError("OpenCV could not encode the mask as PNG.")
    return data.tobytes()


def mask_png(width, height, objects):
    """The PNG of `objects` (lists of rings) on a `width` x `height` image."""
    return encode_png(render(width, height, objects))


def _signed_area(ring):
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]) + x[-1] * y[0] - x[0] * y[-1])


def _simple_rings(rings):
    """Per ring: at least three points and no self-intersection (one vectorised shapely call)."""
    if not rings:
        return []
    usable = [len(ring) >= 3 for ring in rings]
    coords = np.concatenate([ring for ring, ok in zip(rings, usable, strict=True) if ok])
    ids = np.repeat(np.arange(sum(usable)), [len(ring) for ring, ok in zip(rings, usable, strict=True) if ok])
    simple = iter(shapely.is_simple(shapely.linearrings(coords, indices=ids)))
    return [bool(next(simple)) if ok else False for ok in usable]


def _holes_apart(arrays):
    """True when the holes' boxes lie inside the outline's box and do not overlap each other.

    Holes that overlap would count -2 there, and a hole outside its outline -1: the sum would no
    longer be this object's coverage. The box test is cheap and errs on the exact side.
    """
    if len(arrays) == 1:
        return True
    lo, hi = arrays[0].min(axis=0), arrays[0].max(axis=0)
    boxes = [(ring.min(axis=0), ring.max(axis=0)) for ring in arrays[1:]]
    if any((b_lo < lo).any() or (b_hi > hi).any() for b_lo, b_hi in boxes):
        return False
    for i, (a_lo, a_hi) in enumerate(boxes):
        for b_lo, b_hi in boxes[i + 1 :]:
            if (a_lo < b_hi).all() and (b_lo < a_hi).all():
                return False
    return True


def _crossings(rings, width, height):
    """(rows, columns, directions, ring indices) of the rings' edges crossing pixel-centre rows.

    An edge counts for row r when the centre line y = r + 0.5 lies in [min(y0, y1), max(y0, y1)):
    the half-open rule counts a vertex on a row exactly once. The column is the first pixel whose
    centre is on or right of the crossing.
    """
    starts = np.concatenate(rings)
    ends = np.concatenate([np.roll(ring, -1, axis=0) for ring in rings])
    owner = np.repeat(np.arange(len(rings)), [len(ring) for ring in rings])
    x0, y0, x1, y1 = starts[:, 0], starts[:, 1], ends[:, 0], ends[:, 1]
    first = np.clip(np.ceil(np.minimum(y0, y1) - 0.5), 0, height).astype(np.int64)
    stop = np.clip(np.ceil(np.maximum(y0, y1) - 0.5), 0, height).astype(np.int64)
    spans = stop - first
    edges = np.repeat(np.arange(len(spans)), spans)
    offsets = np.arange(len(edges)) - np.repeat(np.cumsum(spans) - spans, spans)
    rows = first[edges] + offsets
    ex0, ey0, ex1, ey1 = x0[edges], y0[edges], x1[edges], y1[edges]
    xs = ex0 + (rows + 0.5 - ey0) * (ex1 - ex0) / (ey1 - ey0)
    columns = np.clip(np.ceil(xs - 0.5), 0, width).astype(np.int64)
    return rows, columns, np.sign(ey1 - ey0), owner[edges]


def _parity(ring, width, height):
    """Even-odd interior of one ring as a bool (height, width) array."""
    toggles = np.zeros((height, width + 1), dtype=np.uint8)
    rows, columns, _, _ = _crossings([ring], width, height)
    np.add.at(toggles.reshape(-1), rows * (width + 1) + columns, np.uint8(1))
    np.cumsum(toggles, axis=1, out=toggles)
    return (toggles[:, :width] & 1).astype(bool)


def _paint_object(mask, arrays, width, height):
    """Paint one object exactly: its outline's interior minus the union of its holes' interiors."""
    inside = _parity(arrays[0], width, height)
    for hole in arrays[1:]:
        if len(hole) >= 3:
            inside &= ~_parity(hole, width, height)
    mask[inside] = INSIDE
