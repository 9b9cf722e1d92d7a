"""COCO instances (the "Object Detection" data format of cocodataset.org): write a release's area objects.

Images with their sizes, the release's categories, and one annotation per rectangle, polygon and
segmentation with `bbox`, `area` and `iscrowd`. Polygons and rectangles are polygons; segmentations
with holes are run-length encoded with pycocotools, as COCO polygons cannot have holes. Points and lines
have no area and are left out. docs/releases.md gives the choices.

Written in two steps so that the costly one runs in parallel: write_part() turns a slice of the
release's images into annotation lines (each release chunk task writes one part), and write()
streams the file from the images and the parts in order, numbering images and annotations 1..n as
it goes. Pure: plain dicts and binary streams in, bytes out; memory stays flat whatever the
release's size.
"""

import operator
from itertools import chain

import numpy as np
from pycocotools import mask as coco_mask

from formats import jsonio
from formats.segments import CATEGORY_KEYS, area_objects, attributes
from raster import masks

# Images are handled in batches so run lengths are computed in one vectorised pass per batch.
BATCH = 256


def write_part(stream, categories, images):
    """Write the annotations of `images` for write(); returns how many annotations were written.

    `categories` are the release's (formats.segments.categories); only area kinds get
    annotations. `images` yields {width, height, document}. Each annotation is a line `ordinal json`,
    where ordinal is the image's position in this part and the JSON lacks `id` and `image_id`, which
    only write() knows; the last line is the number of images.
    """
    kinds = {category["key"]: category["kind"] for category in categories if category["kind"] in masks.AREA_KINDS}
    by_key = {category["key"]: category for category in categories}
    count = ordinal = 0
    batch = []
    with jsonio.collector_paused():
        for image in images:
            batch.append(image)
            if len(batch) == BATCH:
                count += _write_batch(stream, batch, ordinal, kinds, by_key)
                ordinal += len(batch)
                batch = []
        count += _write_batch(stream, batch, ordinal, kinds, by_key)
        ordinal += len(batch)
    stream.write(b"%d\n" % ordinal)
    return count


def write(stream, info, categories, images, parts):
    """Write COCO instances JSON into the binary `stream`; returns (image count, annotation count).

    `images` yields {file_name, width, height, media}: their ids are 1..n in order. `parts` yields the
    readable binary streams that write_part() wrote for those images, in the same order.
    """
    header = {
        "info": info,
        "licenses": [],
        "categories": [{"supercategory": "", **{k: v for k, v in c.items() if k in CATEGORY_KEYS}} for c in categories],
        "images": [],
    }
    stream.write(jsonio.dumps(header)[: -len(b"]}")])
    image_count = 0
    rows = []
    for image in images:
        image_count += 1
        rows.append(
            {"id": image_count, "file_name": image["file_name"], "width": image["width"], "height": image["height"],
             "labelyard_media": image["media"]}
        )  # fmt: skip
        if len(rows) == BATCH:
            _write_items(stream, rows, image_count - len(rows))
            rows = []
    _write_items(stream, rows, image_count - len(rows))
    stream.write(b'],"annotations":[')
    annotation_count = base = 0
    for part in parts:
        pieces = []
        for line in part:
            ordinal, annotated, annotation = line.partition(b" ")
            if not annotated:
                base += int(ordinal)
                break
            annotation_count += 1
            # The part's JSON object loses its opening brace and line end and gets the two ids.
            pieces.append(b'{"id":%d,"image_id":%d,%s' % (annotation_count, base + int(ordinal) + 1, annotation[1:-1]))
        _write_joined(stream, pieces, annotation_count - len(pieces))
    stream.write(b"]}")
    return image_count, annotation_count


def _write_batch(stream, batch, first, kinds, by_key):
    """Write the annotation lines of the images in `batch`, whose ordinals start at `first`; returns their count."""
    pending = []  # (annotation, width, height, rings) of segmentations with holes
    entries = []  # (ordinal, annotation)
    for ordinal, image in enumerate(batch, start=first):
        width, height = image["width"], image["height"]
        for geometry, key, kind in area_objects(image["document"], kinds):
            category = by_key[key]
            annotation = {
                "category_id": category["id"],
                "iscrowd": 0,
                "attributes": attributes(geometry.get("classifications"), category["questions"]),
            }
            entries.append((ordinal, annotation))
            if kind == "rectangle":
                # Stored widths and heights are never negative (rules/labels.py); w itself, not
                # (x + w) - x, which can differ in the last bit.
                x, y, w, h = map(float, geometry["coordinates"])
                annotation["bbox"] = [x, y, w, h]
                annotation["segmentation"] = [[x, y, x + w, y, x + w, y + h, x, y + h]]
                annotation["area"] = w * h
                continue
            rings = masks.area_rings(kind, geometry["coordinates"])
            # The outline as COCO's flat [x1, y1, x2, y2, ...]; slices of it give the bbox and area
            # with C loops, a tenth of a second per 100,000 annotations less than per-point Python.
            outline = list(map(float, chain.from_iterable(rings[0])))
            xs, ys = outline[0::2], outline[1::2]
            left, top = min(xs), min(ys)
            annotation["bbox"] = [left, top, max(xs) - left, max(ys) - top]
            if len(rings) > 1:
                pending.append((annotation, width, height, rings))
            else:
                annotation["segmentation"] = [outline]
                annotation["area"] = _polygon_area(xs, ys)
    if pending:
        _encode_runs(pending)
    stream.write(b"".join(b"%d %s\n" % (ordinal, jsonio.dumps(annotation)) for ordinal, annotation in entries))
    return len(entries)


def _write_items(stream, items, written_before):
    """Append `items` to a JSON array that already holds `written_before` items: one dumps per batch."""
    if items:
        _write_joined(stream, [jsonio.dumps(items)[1:-1]], written_before)


def _write_joined(stream, pieces, written_before):
    """Append the JSON texts `pieces` to an array that already holds `written_before` items."""
    if pieces:
        stream.write(b"," if written_before else b"")
        stream.write(b",".join(pieces))


def _encode_runs(pending):
    """Set `segmentation` (compressed RLE) and `area` of the (annotation, width, height, rings) in `pending`.

    COCO's uncompressed counts of an object are the gaps between 0, its switch positions and the
    image size. They are computed for the whole batch at once, with numpy, and only cut per object:
    per-object numpy calls cost more than the rest together.
    """
    runs = masks.rle_runs([(width, height, rings) for _, width, height, rings in pending])
    count = len(pending)
    sizes = np.fromiter((width * height for _, width, height, _ in pending), dtype=np.int64, count=count)
    lengths = np.fromiter(map(len, runs), dtype=np.int64, count=count)
    positions = np.concatenate(runs)
    # Every object switches on and off an even number of times, so the batch's (on, off) pairs are
    # its objects' runs, and an object's area is the sum of its runs' lengths.
    areas = np.bincount(np.repeat(np.arange(count), lengths // 2), positions[1::2] - positions[0::2], count)
    # A run reaching the last pixel switches off at the image's size: that is the end, not a switch.
    ends = np.cumsum(lengths)
    # A trailing 0 keeps the indexing valid when no object has a pixel.
    at_end = ends[(lengths > 0) & (np.append(positions, 0)[np.maximum(ends - 1, 0)] >= sizes)] - 1
    positions = np.delete(positions, at_end)
    lengths[np.searchsorted(ends, at_end, side="right")] -= 1
    ends = np.cumsum(lengths)
    starts = ends - lengths
    # Each object's counts: the gaps before each of its positions (from 0 for its first), then the gap
    # up to its size, inserted after its last position.
    gaps = np.diff(positions, prepend=0)
    firsts = starts[lengths > 0]
    gaps[firsts] = positions[firsts]
    lasts = np.where(lengths > 0, np.append(positions, 0)[np.maximum(ends - 1, 0)], 0)
    counts = np.insert(gaps, ends, sizes - lasts)
    # Object i's counts start after the i tails inserted before it.
    heads = starts + np.arange(count)
    uncompressed = [
        {"size": [height, width], "counts": counts[head : head + length + 1]}
        for (_, width, height, _), head, length in zip(pending, heads.tolist(), lengths.tolist(), strict=True)
    ]
    # pycocotools turns COCO's uncompressed counts into its compressed string form, all at once;
    # each dict's own size counts, the two numbers after the list are not read for dicts.
    compressed = coco_mask.frPyObjects(uncompressed, pending[0][2], pending[0][1])
    for (annotation, *_), rle, area in zip(pending, compressed, areas.tolist(), strict=True):
        annotation["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}
        annotation["area"] = int(area)


def _polygon_area(xs, ys):
    """Shoelace area: COCO's `area` of a polygon is its geometric area."""
    forward = sum(map(operator.mul, xs, ys[1:] + ys[:1]))
    backward = sum(map(operator.mul, xs[1:] + xs[:1], ys))
    return abs(forward - backward) / 2
