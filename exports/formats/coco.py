"""COCO instances (the "Object Detection" data format of cocodataset.org): write a release's area objects.

Images with their sizes, the release's categories, and one annotation per rectangle, polygon and
segmentation with `bbox`, `area` and `iscrowd`. Polygons and rectangles are polygons; segmentations
with holes are run-length encoded with pycocotools, as COCO polygons cannot have holes. Points and lines
have no area and are left out. docs/releases.md gives the choices. Pure: snapshot rows in, bytes out,
streamed; annotations wait in a spill file so memory stays flat whatever the release's size.
"""

import operator
import shutil
import tempfile

import numpy as np
from pycocotools import mask as coco_mask

from exports import masks
from exports.formats.segments import CATEGORY_KEYS, area_objects, attributes
from labelyard import jsonio

# Images are handled in batches so run lengths are computed in one vectorised pass per batch.
BATCH = 256


def write(stream, info, categories, images):
    """Write COCO instances JSON into the binary `stream`; returns (image count, annotation count).

    `categories` are the release's (exports.formats.segments.categories); only area kinds get
    annotations. `images` yields {file_name, width, height, media, document}; ids are 1..n in order.
    """
    kinds = {category["key"]: category["kind"] for category in categories if category["kind"] in masks.AREA_KINDS}
    by_key = {category["key"]: category for category in categories}
    header = {
        "info": info,
        "licenses": [],
        "categories": [{"supercategory": "", **{k: v for k, v in c.items() if k in CATEGORY_KEYS}} for c in categories],
        "images": [],
    }
    opening = jsonio.dumps(header)
    stream.write(opening[: -len(b"]}")])
    counts = [0, 0]
    with tempfile.TemporaryFile() as spill, jsonio.collector_paused():
        batch = []
        for image in images:
            batch.append(image)
            if len(batch) == BATCH:
                _write_batch(stream, spill, batch, kinds, by_key, counts)
                batch = []
        _write_batch(stream, spill, batch, kinds, by_key, counts)
        stream.write(b'],"annotations":[')
        spill.seek(0)
        shutil.copyfileobj(spill, stream, 1 << 20)
    stream.write(b"]}")
    return tuple(counts)


def _write_batch(stream, spill, batch, kinds, by_key, counts):
    pending = []  # (annotation, width, height, rings) of segmentations with holes
    entries = []
    rows = []
    for image in batch:
        counts[0] += 1
        image_id = counts[0]
        width, height = image["width"], image["height"]
        rows.append(
            {"id": image_id, "file_name": image["file_name"], "width": width, "height": height,
             "labelyard_media": image["media"]}
        )  # fmt: skip
        for geometry, key, kind in area_objects(image["document"], kinds):
            category = by_key[key]
            rings = masks.area_rings(kind, geometry["coordinates"])
            # The outline as COCO's flat [x1, y1, x2, y2, ...]; slices of it give the bbox and area
            # with C loops, a tenth of a second per 100,000 annotations less than per-point Python.
            outline = [float(v) for point in rings[0] for v in point]
            xs, ys = outline[0::2], outline[1::2]
            left, top = min(xs), min(ys)
            annotation = {
                "id": 0,
                "image_id": image_id,
                "category_id": category["id"],
                "iscrowd": 0,
                "bbox": [left, top, max(xs) - left, max(ys) - top],
                "attributes": attributes(geometry.get("classifications"), category["questions"]),
            }
            if len(rings) > 1:
                pending.append((annotation, width, height, rings))
            else:
                annotation["segmentation"] = [outline]
                annotation["area"] = _polygon_area(xs, ys)
            entries.append(annotation)
    _write_items(stream, rows, counts[0] - len(rows))
    if pending:
        _encode_runs(pending)
    for annotation in entries:
        counts[1] += 1
        annotation["id"] = counts[1]
    _write_items(spill, entries, counts[1] - len(entries))


def _write_items(stream, items, written_before):
    """Append `items` to a JSON array that already holds `written_before` items: one dumps per batch."""
    if items:
        stream.write(b"," if written_before else b"")
        stream.write(jsonio.dumps(items)[1:-1])


def _encode_runs(pending):
    """Set `segmentation` (compressed RLE) and `area` of the (annotation, width, height, rings) in `pending`."""
    runs = masks.rle_runs([(width, height, rings) for _, width, height, rings in pending])
    sizes = [width * height for _, width, height, _ in pending]
    # A run reaching the last pixel switches off at the image's size: that is the end, not a switch.
    runs = [p[:-1] if len(p) and p[-1] >= size else p for p, size in zip(runs, sizes, strict=True)]
    # COCO's counts are the gaps between 0, the switch positions and the image size: one diff over
    # the whole batch, cut per object (a diff per object costs more than the rest together).
    bounds = np.concatenate([np.concatenate(([0], p, [size])) for p, size in zip(runs, sizes, strict=True)])
    gaps = np.diff(bounds)
    uncompressed = []
    start = 0
    for (annotation, width, height, _), positions in zip(pending, runs, strict=True):
        runs_of = gaps[start : start + len(positions) + 1]
        start += len(positions) + 2
        uncompressed.append({"size": [height, width], "counts": runs_of})
        annotation["area"] = int(runs_of[1::2].sum())
    # pycocotools turns COCO's uncompressed counts into its compressed string form, all at once;
    # each dict's own size counts, the two numbers after the list are not read for dicts.
    compressed = coco_mask.frPyObjects(uncompressed, pending[0][2], pending[0][1])
    for (annotation, *_), rle in zip(pending, compressed, strict=True):
        annotation["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode("ascii")}


def _polygon_area(xs, ys):
    """Shoelace area: COCO's `area` of a polygon is its geometric area."""
    forward = sum(map(operator.mul, xs, ys[1:] + ys[:1]))
    backward = sum(map(operator.mul, xs[1:] + xs[:1], ys))
    return abs(forward - backward) / 2
