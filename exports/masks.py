"""Masks of labelled objects: 8-bit class masks, 32-bit instance bitmaps and COCO run lengths.

decisions.md "Masks" defines all three. Pure functions, no models or settings. A pixel is inside when
its centre is; objects of a class are united and each object's holes cut only that object. The common
case is one vectorised scanline pass over the whole image: every ring adds its signed crossings (+1
into an outline, -1 into a hole) at the first pixel centre on or right of the crossing; the running
sum of the crossings in row order is the number of objects covering the pixels up to the next
crossing, so where it turns positive and back to 0 are the mask's runs. Objects that the sum cannot
describe exactly (self-intersecting rings, holes that overlap each other or leave the outline's box)
are rasterised one by one instead.
"""

from itertools import chain

import numpy as np
import shapely

from exports import png

INSIDE = 255
# Geometry kinds that cover an area, and so are instances in bitmaps and COCO masks.
AREA_KINDS = ("rectangle", "polygon", "image_segmentation")
# Pixels from which a run of an instance bitmap is painted by a slice of its own: below, expanding
# the runs to pixel indexes costs less than a slice per run (bench/release_coco.py bitmaps).
LONG_RUN = 512


def render(width, height, objects):
    """Return a (height, width) uint8 array: 255 where a pixel centre lies inside any object, else 0.

    `objects` is an iterable of rings lists, as stored in a labels document: the outline first,
    then holes, each ring a list of [x, y] image coordinates.
    """
    kept = [rings for rings in objects if len(rings) and len(rings[0]) >= 3]
    points, lengths = _parse_rings([ring for rings in kept for ring in rings])
    ring_arrays = np.split(points, np.cumsum(lengths)[:-1]) if len(lengths) else []
    simple = _simple_rings(points, lengths)
    summed, signs, exact = [], [], []
    position = 0
    for rings in kept:
        arrays = ring_arrays[position : position + len(rings)]
        if all(simple[position : position + len(arrays)]) and _holes_apart(arrays):
            for i, ring in enumerate(arrays):
                # Outlines count +1 inside, holes -1, whatever way round they were drawn.
                orientation = 1 if _signed_area(ring) > 0 else -1
                summed.append(ring)
                signs.append(orientation if i == 0 else -orientation)
        else:
            exact.append(arrays)
        position += len(arrays)
    switches = np.zeros(0, dtype=np.int64)
    if summed:
        rows, columns, directions, ring_index = _crossings(*_flat(summed), width, height)
        # Along a row a simple ring alternates entering and leaving; a ring of positive area
        # enters on its edges going up (-1), so -direction * sign is +1 on entering an outline.
        steps = -directions * np.asarray(signs)[ring_index]
        # Columns run to `width` inclusive: a crossing there is the row's end, which is the next
        # row's first pixel once the rows are laid end to end.
        switches = _switches(rows * (width + 1) + columns, steps)
        switches -= switches // (width + 1)
    # The runs alternate outside and inside, starting outside; repeating each run's value over its
    # length writes the mask in one pass, where a running sum would visit every pixel twice.
    lengths = np.diff(switches, prepend=0, append=width * height)
    values = np.zeros(len(lengths), dtype=np.uint8)
    values[1::2] = INSIDE
    mask = np.repeat(values, lengths).reshape(height, width)
    for arrays in exact:
        _paint_object(mask, arrays, width, height)
    return mask


def mask_png(width, height, objects):
    """The PNG of `objects` (lists of rings) on a `width` x `height` image."""
    return png.encode(render(width, height, objects))


def area_rings(kind, coordinates):
    """The rings (outline first, then holes) of an area geometry as stored in a labels document; None otherwise."""
    if kind == "rectangle":
        x, y, w, h = coordinates
        return [[[x, y], [x + w, y], [x + w, y + h], [x, y + h]]]
    if kind == "polygon":
        return [coordinates]
    if kind == "image_segmentation":
        return coordinates
    return None


def instance_ids(width, height, objects):
    """A (height, width) uint32 array: 0 for background, i + 1 where the pixel centre is inside objects[i].

    Where objects overlap, the later one is on top. The objects' runs along the rows come from one
    vectorised pass (rendering each object on its box cost 0.7 ms per object), and each object is
    painted over the earlier ones: its long runs by slices, its short ones expanded to pixel indexes
    and assigned at once. Memory stays within one object's short runs, whatever the objects' number.
    """
    ids = np.zeros(height * width, dtype=np.uint32)
    for number, switches in enumerate(_runs([(width, height, rings) for rings in objects], False), start=1):
        # Every object switches on and off an even number of times: ons and offs alternate.
        ons, spans = switches[0::2], switches[1::2] - switches[0::2]
        long = spans >= LONG_RUN
        for on, span in zip(ons[long].tolist(), spans[long].tolist(), strict=True):
            ids[on : on + span] = number
        ons, spans = ons[~long], spans[~long]
        if len(spans):
            before = np.cumsum(spans) - spans
            ids[np.arange(int(before[-1] + spans[-1])) + np.repeat(ons - before, spans)] = number
    return ids.reshape(height, width)


def instance_png(ids):
    """The 32-bit RGBA PNG of an instance id array: id = R + 256 G + 65536 B, alpha 255 (decisions.md "Masks")."""
    # Ids stay below 2**24, so as little-endian bytes they are R, G, B and a 0 that the writer turns
    # into alpha 255 (opaque) without a pass of its own.
    pixels = np.ascontiguousarray(ids, dtype="<u4").view(np.uint8).reshape(*ids.shape, 4)
    # With the alpha byte between every pixel, unfiltered run lengths barely compress (1.4 MB per
    # 1080p bitmap); "Up" leaves zeros wherever a row repeats the one above.
    return png.encode(pixels, png.UP, opaque=True)


def rle_runs(items):
    """Per item (width, height, rings): the sorted column-major positions where its mask switches on, off, on...

    A position is x * height + y, the pixel order of COCO's run-length encoding, so the gaps between
    0, the positions and width * height are COCO's uncompressed counts.
    """
    return _runs(items, True)


def _runs(items, column_major):
    """Per item (width, height, rings): the sorted positions where its mask switches on, off, on...

    Positions count pixels column by column (x * height + y) or row by row (y * width + x). The
    pixel-centre rule is render()'s, applied along the lines of that order (for columns the rings are
    transposed), and the crossings of all items are computed in one vectorised pass (rendering
    objects one by one costs 0.3 ms each, too much for 40,000 objects). Items that render() would
    paint one by one are rendered on their box instead.
    """
    results = [np.zeros(0, dtype=np.int64)] * len(items)
    rings, ring_item, ring_rank = [], [], []
    for index, (width, height, item_rings) in enumerate(items):
        if width and height and item_rings and len(item_rings[0]) >= 3:
            for rank, ring in enumerate(item_rings):
                rings.append(ring)
                ring_item.append(index)
                ring_rank.append(rank)
    if not rings:
        return results
    points, lengths = _parse_rings(rings)
    if column_major:
        # Transposed: (y, x), so that a column of the image is scanned as a row.
        points = np.ascontiguousarray(points[:, ::-1])
    ring_item, ring_rank = np.asarray(ring_item), np.asarray(ring_rank)
    simple = _simple_rings(points, lengths)
    starts = np.cumsum(lengths) - lengths
    lo = np.minimum.reduceat(points, starts)
    hi = np.maximum.reduceat(points, starts)
    outline = np.flatnonzero(ring_rank == 0)[np.searchsorted(ring_item[ring_rank == 0], ring_item)]
    # Holes whose box leaves the outline's box, or overlaps another hole's box, would break the
    # running sum (see _holes_apart); such items, and self-intersecting ones, are rendered exactly.
    fine = simple & (lo >= lo[outline]).all(axis=1) & (hi <= hi[outline]).all(axis=1)
    item_fine = np.ones(len(items), dtype=bool)
    np.logical_and.at(item_fine, ring_item, fine)
    holes = np.bincount(ring_item, minlength=len(items)) - 1
    for index in np.flatnonzero(item_fine & (holes > 1)):
        rings_of = np.flatnonzero(ring_item == index)
        item_fine[index] = _holes_apart([points[starts[i] : starts[i] + lengths[i]] for i in rings_of])
    chosen = item_fine[ring_item]
    # Items without rings stay fine and get no runs.
    exact = np.flatnonzero(~item_fine)
    if chosen.any():
        picked = np.flatnonzero(chosen)
        x, y = points[:, 0], points[:, 1]
        following = np.arange(len(points)) + 1
        following[starts + lengths - 1] = starts
        area = np.add.reduceat(x * y[following] - x[following] * y, starts)[picked]
        # Outlines count +1 inside and holes -1, whatever way round they were drawn.
        signs = (np.where(area > 0, 1, -1) * np.where(ring_rank[picked] == 0, 1, -1)).astype(np.int8)
        owners = ring_item[picked]
        widths = np.asarray([items[i][0] for i in range(len(items))], dtype=np.int64)[owners]
        heights = np.asarray([items[i][1] for i in range(len(items))], dtype=np.int64)[owners]
        # Lines (rows of the scan) run to the image's height, or when transposed to its width.
        lines, line_length = (widths, heights) if column_major else (heights, widths)
        rows, columns, directions, ring_index = _crossings(
            points[np.repeat(chosen, lengths)], lengths[picked], line_length, lines
        )
        stride = int((widths * heights).max()) + 1
        # A crossing at a line's end (column == line length) is the next line's first position.
        keys = owners[ring_index] * stride + rows * line_length[ring_index] + columns
        switches = _switches(keys, -directions * signs[ring_index])
        bounds = np.searchsorted(switches // stride, np.arange(len(items) + 1))
        positions = switches % stride
        for index in np.flatnonzero(np.diff(bounds)).tolist():
            results[index] = positions[bounds[index] : bounds[index + 1]]
    for index in exact:
        width, height, item_rings = items[index]
        results[index] = _crop_runs(width, height, item_rings, column_major)
    return results


def _switches(keys, steps):
    """The sorted keys where the running sum of `steps`, taken in key order, turns positive or back to 0.

    Every ring's crossings of one line sum to zero, so the sum is 0 at the end of each line; a key
    is switched by the sum after the last step at it.
    """
    if not len(keys):
        return keys
    # Crossings come in runs of rows per edge, which a stable sort merges quickly.
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    inside = np.cumsum(steps[order], dtype=np.int32) > 0
    last = np.flatnonzero(np.concatenate((keys[1:] != keys[:-1], [True])))
    keys, inside = keys[last], inside[last]
    return keys[inside != np.concatenate(([False], inside[:-1]))]


def _crop(width, height, rings):
    """(x0, y0, bool mask) of one object rendered on the box of its outline, or None when that box is empty."""
    arrays = [np.asarray(ring, dtype=np.float64).reshape(-1, 2) for ring in rings]
    if not arrays or len(arrays[0]) < 3:
        return None
    lo, hi = arrays[0].min(axis=0), arrays[0].max(axis=0)
    x0, y0 = max(int(np.floor(lo[0])), 0), max(int(np.floor(lo[1])), 0)
    x1, y1 = min(int(np.ceil(hi[0])), width), min(int(np.ceil(hi[1])), height)
    if x1 <= x0 or y1 <= y0:
        return None
    # A whole-pixel shift keeps every pixel centre where it was relative to the shape.
    shifted = [ring - (x0, y0) for ring in arrays]
    return x0, y0, render(x1 - x0, y1 - y0, [shifted]) > 0


def _crop_runs(width, height, rings, column_major):
    """_runs() of one object, from its rendered box."""
    box = _crop(width, height, rings)
    if box is None:
        return np.zeros(0, dtype=np.int64)
    x0, y0, inside = box
    if column_major:
        inside, first, offset, length = inside.T, x0, y0, height
    else:
        first, offset, length = y0, x0, width
    # Only the box is scanned, with one spare pixel per line, always outside, so every run ends
    # within its line (at the latest where the box ends, which may be the image's edge).
    box_length = inside.shape[1]
    lines = np.zeros((inside.shape[0], box_length + 1), dtype=np.int8)
    lines[:, :box_length] = inside
    changes = np.flatnonzero(np.diff(lines.ravel(), prepend=0))
    positions = (first + changes // (box_length + 1)) * length + offset + changes % (box_length + 1)
    # A run ending at a line's end and one starting at the next line's start are one run.
    touching = np.flatnonzero(positions[1:] == positions[:-1])
    return np.delete(positions, np.concatenate([touching, touching + 1]))


def _signed_area(ring):
    x, y = ring[:, 0], ring[:, 1]
    return float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]) + x[-1] * y[0] - x[0] * y[-1])


def _parse_rings(rings):
    """(points, lengths) of rings given as lists of [x, y] pairs: one np.fromiter, twice as fast as np.asarray."""
    lengths = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    coordinates = chain.from_iterable(chain.from_iterable(rings))
    return np.fromiter(coordinates, dtype=np.float64, count=2 * int(lengths.sum())).reshape(-1, 2), lengths


def _flat(rings):
    """(points, lengths) of a list of (n, 2) arrays: the layout the vectorised helpers below take."""
    if not rings:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    return np.concatenate(rings), np.fromiter((len(ring) for ring in rings), dtype=np.int64, count=len(rings))


def _simple_rings(points, lengths):
    """Per ring of the flat (points, lengths): at least three points and no self-intersection, as bools."""
    usable = lengths >= 3
    simple = np.zeros(len(lengths), dtype=bool)
    if usable.any():
        ids = np.repeat(np.arange(int(usable.sum())), lengths[usable])
        rings = shapely.linearrings(points[np.repeat(usable, lengths)], indices=ids)
        simple[usable] = shapely.is_simple(rings)
    return simple


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


def _crossings(points, lengths, width, height):
    """(rows, columns, directions, ring indices) of the rings' edges crossing pixel-centre rows.

    The rings are the flat (points, lengths): ring i is the next lengths[i] points. An edge counts
    for row r when the centre line y = r + 0.5 lies in [min(y0, y1), max(y0, y1)): the half-open
    rule counts a vertex on a row exactly once. The column is the first pixel whose centre is on or
    right of the crossing. `width` and `height` are numbers, or arrays with one limit per ring when
    the rings lie on images of different sizes (rle_runs()).
    """
    # Each point's edge runs to the next point of its ring, the last one back to the first.
    following = np.arange(len(points)) + 1
    last = np.cumsum(lengths) - 1
    following[last] = last - lengths + 1
    ends = points[following]
    owner = np.repeat(np.arange(len(lengths)), lengths)
    if np.ndim(width):
        width, height = np.asarray(width)[owner], np.asarray(height)[owner]
    x0, y0, x1, y1 = points[:, 0], points[:, 1], ends[:, 0], ends[:, 1]
    first = np.clip(np.ceil(np.minimum(y0, y1) - 0.5), 0, height).astype(np.int64)
    stop = np.clip(np.ceil(np.maximum(y0, y1) - 0.5), 0, height).astype(np.int64)
    spans = stop - first
    counted = np.flatnonzero(spans)
    spans = spans[counted]

    def per_crossing(values):
        # An edge's crossings are consecutive: repeating its value is cheaper than indexing.
        return np.repeat(values[counted], spans)

    rows = np.arange(int(spans.sum())) + np.repeat(first[counted] - (np.cumsum(spans) - spans), spans)
    # (row + 0.5 - y0) is exact for whole-pixel coordinates, so a shape moved by whole pixels gets
    # the same pixels, also where a centre lies exactly on an edge.
    y_start = per_crossing(y0)
    xs = rows + 0.5
    xs -= y_start
    xs *= per_crossing(x1 - x0)
    xs /= per_crossing(y1) - y_start
    xs += per_crossing(x0)
    xs -= 0.5
    np.ceil(xs, out=xs)
    np.clip(xs, 0, per_crossing(width) if np.ndim(width) else width, out=xs)
    return rows, xs.astype(np.int64), per_crossing(np.sign(y1 - y0).astype(np.int8)), per_crossing(owner)


def _parity(ring, width, height):
    """Even-odd interior of one ring as a bool (height, width) array."""
    toggles = np.zeros((height, width + 1), dtype=np.uint8)
    rows, columns, _, _ = _crossings(ring, np.asarray([len(ring)]), width, height)
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
