"""Masks of labelled objects: 8-bit class masks, 32-bit instance bitmaps and COCO run lengths.

decisions.md "Masks" defines all three. Pure functions, no models or settings. A pixel is inside when
its centre is; objects of a class are united and each object's holes cut only that object. The common
case is one vectorised scanline pass over the whole image: every ring adds its signed crossings (+1
into an outline, -1 into a hole) at the first pixel centre on or right of the crossing; the running
sum of the crossings in row order is the number of objects covering the pixels up to the next
crossing, so where it turns positive and back to 0 are the mask's runs. The same crossings tell where
the sum cannot be trusted: a ring that crosses itself so that some pixel centre is wound twice or
the wrong way round, or an object whose holes overlap or leave its outline where a pixel centre
lies. Only such objects are rasterised one by one, by even-odd parity, which is what the sum gives
for every other object.
"""

from itertools import chain

import numpy as np

from raster import png

INSIDE = 255
# Geometry kinds that cover an area, and so are instances in bitmaps and COCO masks.
AREA_KINDS = ("rectangle", "polygon", "image_segmentation")
# Pixels from which a run of an instance bitmap is painted by a slice of its own: below, expanding
# the runs to pixel indexes costs less than a slice per run (bench/release_coco.py bitmaps).
LONG_RUN = 512
# Objects whose COCO runs are computed in one vectorised pass. Larger groups are no faster and hold
# more memory: 1,000 holed squares of 150 pixels took 35 MB at the peak in one pass, 7 MB in groups
# of 128, and 34 instead of 46 ms.
RLE_GROUP = 128


def render(width, height, objects):
    """Return a (height, width) uint8 array: 255 where a pixel centre lies inside any object, else 0.

    `objects` is an iterable of rings lists, as stored in a labels document: the outline first,
    then holes, each ring a list of [x, y] image coordinates.
    """
    kept = [[ring for ring in rings if len(ring) >= 3] for rings in objects if len(rings) and len(rings[0]) >= 3]
    counts = np.fromiter(map(len, kept), dtype=np.int64, count=len(kept))
    ring_owner = np.repeat(np.arange(len(kept)), counts)
    ring_rank = np.arange(len(ring_owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    points, lengths = _parse_rings([ring for rings in kept for ring in rings])
    keys, steps, ring_index = _steps(points, lengths, width, height, 0)
    exact = np.zeros(len(kept), dtype=bool)
    exact[ring_owner[_unsummable(keys, steps, ring_index)]] = True
    # Holes count -1 inside.
    steps = np.where(ring_rank[ring_index] == 0, steps, -steps)
    # Summed over all objects, the steps count the objects covering a pixel only where no object
    # counts below 0, as one does where a hole overlaps another hole or leaves its outline.
    owner = ring_owner[ring_index]
    holed = (counts > 1)[owner]
    exact[_unsummable(keys[holed], steps[holed], owner[holed])] = True
    summed = ~exact[owner]
    switches = _switches(keys[summed], steps[summed])
    # The runs alternate outside and inside, starting outside; repeating each run's value over its
    # length writes the mask in one pass, where a running sum would visit every pixel twice.
    lengths = np.diff(switches, prepend=0, append=width * height)
    values = np.zeros(len(lengths), dtype=np.uint8)
    values[1::2] = INSIDE
    mask = np.repeat(values, lengths).reshape(height, width)
    for index in np.flatnonzero(exact).tolist():
        box = _exact_box(width, height, kept[index])
        if box is not None:
            x0, y0, inside = box
            mask[y0 : y0 + inside.shape[0], x0 : x0 + inside.shape[1]][inside] = INSIDE
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
    for number, switches in enumerate(_runs([(width, height, rings) for rings in objects]), start=1):
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
    0, the positions and width * height are COCO's uncompressed counts. They are taken from the
    rows' runs, so the columns hold render()'s pixels exactly: scanning the columns themselves would
    decide a centre lying exactly on a slanted edge the other way.
    """
    return [
        runs for start in range(0, len(items), RLE_GROUP) for runs in _column_runs(items[start : start + RLE_GROUP])
    ]


def _column_runs(items):
    """rle_runs() of a group of items, in one vectorised pass."""
    runs = _runs(items)
    count = len(items)
    lengths = np.fromiter(map(len, runs), dtype=np.int64, count=count)
    if not lengths.any():
        return runs
    widths = np.fromiter((item[0] for item in items), dtype=np.int64, count=count)
    heights = np.fromiter((item[1] for item in items), dtype=np.int64, count=count)
    run_item = np.repeat(np.arange(count), lengths)[0::2]
    item, y, x0, columns = _row_changes(np.concatenate(runs), run_item, widths, heights)
    # Each change [x0, x1) of row y switches the columns x0..x1-1 at row y.
    column_item = np.repeat(item, columns)
    x = np.repeat(x0, columns) + _ranks(columns)
    # In (item, row, column) order: a stable sort by (item, column) leaves the rows in order.
    order = _order(column_item * int(widths.max() + 1) + x)
    column_item = column_item[order]
    stride = int((widths * heights).max()) + 1
    keys = column_item * stride + x[order] * heights[column_item] + np.repeat(y, columns)[order]
    # A column ending inside and the next one starting inside meet at the same position: no switch.
    switches = _odd(keys)
    bounds = np.searchsorted(switches // stride, np.arange(count + 1))
    positions = switches % stride
    return [positions[bounds[index] : bounds[index + 1]] for index in range(count)]


def _row_changes(positions, run_item, widths, heights):
    """(item, y, x0, x1 - x0) of the column spans [x0, x1) where row y of an item's mask differs from row y - 1.

    `positions` are the items' row-major switches (on, off, on, ...) and run_item the item of each
    (on, off) pair; rows -1 and height are outside. The spans are the symmetric difference of the
    two rows' runs: the places between the ends of both rows' runs where an odd number of ends lie
    at or before. They come sorted by item, row and column.
    """
    on, off, width = positions[0::2], positions[1::2], widths[run_item]
    row = on // width
    pieces = (off - 1) // width - row + 1
    if pieces.max() > 1:
        # Runs that go on from one row into the next are cut into one piece per row.
        piece_run = np.repeat(np.arange(len(on)), pieces)
        row = row[piece_run] + _ranks(pieces)
        on, off, run_item, width = on[piece_run], off[piece_run], run_item[piece_run], width[piece_run]
    # A piece of row y counts for the difference between rows y and y - 1 and for the one between
    # rows y + 1 and y: its ends, and the same ends one row down.
    line = width + 1
    row_stride = int(((heights + 1) * (widths + 1)).max())
    here = run_item * row_stride + row * line
    ends = np.empty(2 * len(here), dtype=np.int64)
    ends[0::2] = here + np.maximum(on - row * width, 0)
    ends[1::2] = here + np.minimum(off - row * width, width)
    # The ends are sorted, and so are they one row down: a stable sort (timsort) merges the two.
    ends = _odd(np.sort(np.concatenate((ends, ends + np.repeat(line, 2))), kind="stable"))
    # What is left pairs up, row by row, into the spans.
    item = ends[0::2] // row_stride
    line = widths[item] + 1
    y, x0 = np.divmod(ends[0::2] % row_stride, line)
    return item, y, x0, ends[1::2] % row_stride % line - x0


def _runs(items):
    """Per item (width, height, rings): the sorted positions y * width + x where its mask switches on, off, on...

    The crossings of all items are computed in one vectorised pass (rendering objects one by one
    costs 0.3 ms each, too much for 40,000 objects). Items whose rings the running sum cannot
    describe (see _unsummable) are rendered exactly on their box instead.
    """
    results = [np.zeros(0, dtype=np.int64)] * len(items)
    rings, ring_item, ring_rank = [], [], []
    for index, (width, height, item_rings) in enumerate(items):
        if width and height and item_rings and len(item_rings[0]) >= 3:
            for rank, ring in enumerate(ring for ring in item_rings if len(ring) >= 3):
                rings.append(ring)
                ring_item.append(index)
                ring_rank.append(rank)
    if not rings:
        return results
    points, lengths = _parse_rings(rings)
    ring_item = np.asarray(ring_item)
    widths = np.fromiter((items[i][0] for i in ring_item.tolist()), dtype=np.int64, count=len(rings))
    heights = np.fromiter((items[i][1] for i in ring_item.tolist()), dtype=np.int64, count=len(rings))
    stride = int((widths * heights).max()) + 1
    keys, steps, ring_index = _steps(points, lengths, widths, heights, ring_item * stride)
    exact = np.zeros(len(items), dtype=bool)
    exact[ring_item[_unsummable(keys, steps, ring_index)]] = True
    # Holes count -1 inside.
    steps = np.where(np.asarray(ring_rank)[ring_index] == 0, steps, -steps)
    summed = ~exact[ring_item[ring_index]]
    switches = _switches(keys[summed], steps[summed])
    bounds = np.searchsorted(switches // stride, np.arange(len(items) + 1))
    positions = switches % stride
    for index in np.flatnonzero(np.diff(bounds)).tolist():
        results[index] = positions[bounds[index] : bounds[index + 1]]
    for index in np.flatnonzero(exact).tolist():
        width, height, item_rings = items[index]
        results[index] = _exact_runs(width, height, item_rings)
    return results


def _ranks(counts):
    """0, 1, ..., counts[0] - 1, 0, 1, ..., counts[1] - 1, ...: each element's rank within its group."""
    return np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)


def _odd(keys):
    """The sorted `keys` that occur an odd number of times, once each."""
    firsts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    return keys[firsts[(np.diff(firsts, append=len(keys)) & 1).astype(bool)]]


def _steps(points, lengths, line_length, lines, offsets):
    """(keys, steps, ring indexes) of the rings' crossings of pixel-centre lines, sorted by key.

    The rings are the flat (points, lengths); line_length, lines and offsets are numbers or per-ring
    arrays. A crossing's key is its ring's offset + line * line_length + column: a crossing at a
    line's end (column == line length) is the next line's first position. Its step is +1 where the
    scan enters the ring's interior and -1 where it leaves, whatever way round the ring was drawn.
    """
    if not len(lengths):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.int8), empty
    starts = np.cumsum(lengths) - lengths
    x, y = points[:, 0], points[:, 1]
    following = np.arange(len(points)) + 1
    following[starts + lengths - 1] = starts
    area = np.add.reduceat(x * y[following] - x[following] * y, starts)
    signs = np.where(area > 0, 1, -1).astype(np.int8)
    rows, columns, directions, ring_index = _crossings(points, lengths, line_length, lines)

    def per_ring(values):
        return values[ring_index] if np.ndim(values) else values

    keys = per_ring(offsets) + rows * per_ring(line_length) + columns
    order = _order(keys)
    ring_index = ring_index[order]
    # A ring of positive area enters on its edges going up (-1): -direction is +1 on entering it.
    return keys[order], -directions[order] * signs[ring_index], ring_index


def _order(keys):
    """The stable sorting order of non-negative integer keys, sorted by 16-bit digits from the lowest.

    numpy sorts 16-bit integers by counting, so the two or three passes that pixel keys take (0.6 ms
    for a mask's 43,000 crossings) beat its comparison sort of the whole keys (1.0 ms).
    """
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    rest, shift = int(keys.max(initial=0)) >> 16, 16
    while rest:
        order = order[np.argsort(((keys[order] >> shift) & 0xFFFF).astype(np.uint16), kind="stable")]
        rest, shift = rest >> 16, shift + 16
    return order


def _unsummable(keys, steps, groups):
    """The groups (rings or objects) whose own running sum of steps leaves 0 and 1 at some key.

    `keys` are sorted, `groups` give each crossing's group, and `steps` count +1 into an outline
    (for rings, into the ring) and -1 into a hole. A ring whose sum is 0 or 1 at every
    pixel centre covers exactly the centres its even-odd interior does, and an object whose rings'
    sum is 0 or 1 everywhere covers its outline's interior minus its holes'. A self-intersecting ring,
    overlapping holes or a hole that leaves its outline take other values where it matters, and
    only there: such rings and objects are the ones to render exactly.
    """
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    # Each group's steps sum to 0, so one running sum over the crossings grouped stably by group is
    # every group's own running sum; it counts after the last crossing at a key.
    order = _order(groups)
    groups, keys = groups[order], keys[order]
    total = np.cumsum(steps[order], dtype=np.int32)
    last = np.concatenate(((groups[1:] != groups[:-1]) | (keys[1:] != keys[:-1]), [True]))
    return np.unique(groups[last & ((total < 0) | (total > 1))])


def _switches(keys, steps):
    """The keys where the running sum of `steps`, along the sorted `keys`, turns positive or back to 0.

    Every ring's crossings of one line sum to zero, so the sum is 0 at the end of each line; a key
    is switched by the sum after the last step at it.
    """
    if not len(keys):
        return keys
    inside = np.cumsum(steps, dtype=np.int32) > 0
    last = np.flatnonzero(np.concatenate((keys[1:] != keys[:-1], [True])))
    keys, inside = keys[last], inside[last]
    return keys[inside != np.concatenate(([False], inside[:-1]))]


def _exact_box(width, height, rings):
    """(x0, y0, bool array) of one object rendered exactly on the box of its outline, or None when that box is empty.

    The outline's even-odd interior minus its holes'. The crossings are those of the whole image,
    cut to the box: moving the rings into the box instead would round some crossings differently.
    """
    arrays = [np.asarray(ring, dtype=np.float64).reshape(-1, 2) for ring in rings if len(ring) >= 3]
    if not arrays:
        return None
    lo, hi = arrays[0].min(axis=0), arrays[0].max(axis=0)
    x0, y0 = max(int(np.floor(lo[0])), 0), max(int(np.floor(lo[1])), 0)
    x1, y1 = min(int(np.ceil(hi[0])), width), min(int(np.ceil(hi[1])), height)
    if x1 <= x0 or y1 <= y0:
        return None
    box = (x0, y0, x1, y1)
    inside = _parity(arrays[0], width, height, box)
    for hole in arrays[1:]:
        inside &= ~_parity(hole, width, height, box)
    return x0, y0, inside


def _exact_runs(width, height, rings):
    """_runs() of one object, from its exactly rendered box."""
    box = _exact_box(width, height, rings)
    if box is None:
        return np.zeros(0, dtype=np.int64)
    x0, y0, inside = box
    # Only the box is scanned, with one spare pixel per row, always outside, so every run ends
    # within its row (at the latest where the box ends, which may be the image's edge).
    box_width = inside.shape[1]
    rows = np.zeros((inside.shape[0], box_width + 1), dtype=np.int8)
    rows[:, :box_width] = inside
    changes = np.flatnonzero(np.diff(rows.ravel(), prepend=0))
    positions = (y0 + changes // (box_width + 1)) * width + x0 + changes % (box_width + 1)
    # A run ending at a row's end and one starting at the next row's start are one run.
    touching = np.flatnonzero(positions[1:] == positions[:-1])
    return np.delete(positions, np.concatenate([touching, touching + 1]))


def _parse_rings(rings):
    """(points, lengths) of rings given as lists of [x, y] pairs: one np.fromiter, twice as fast as np.asarray."""
    lengths = np.fromiter(map(len, rings), dtype=np.int64, count=len(rings))
    coordinates = chain.from_iterable(chain.from_iterable(rings))
    return np.fromiter(coordinates, dtype=np.float64, count=2 * int(lengths.sum())).reshape(-1, 2), lengths


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


def _parity(ring, width, height, box):
    """Even-odd interior of one ring as a bool array over `box` (x0, y0, x1, y1) of the image."""
    x0, y0, x1, y1 = box
    rows, columns, _, _ = _crossings(ring, np.asarray([len(ring)]), width, height)
    kept = (rows >= y0) & (rows < y1)
    # A crossing left of the box flips the whole row of the box, one right of it nothing: the
    # box's spare last column takes it.
    toggles = np.zeros((y1 - y0, x1 - x0 + 1), dtype=np.uint8)
    np.add.at(toggles.reshape(-1), (rows[kept] - y0) * (x1 - x0 + 1) + np.clip(columns[kept], x0, x1) - x0, np.uint8(1))
    np.cumsum(toggles, axis=1, out=toggles)
    return (toggles[:, : x1 - x0] & 1).astype(bool)
