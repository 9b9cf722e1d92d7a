"""COCO instances (the "Object Detection" data format of cocodataset.org): write a release's area objects.

Images with their sizes, the release's categories, and one annotation per rectangle, polygon and
segmentation with `bbox`, `area` and `iscrowd`. Polygons and rectangles are polygons; segmentations
with holes are run-length encoded with pycocotools, as COCO polygons cannot have holes. Points and lines
have no area and are left out. docs/releases.md gives the choices. Pure: snapshot rows in, bytes out,
streamed; annotations wait in a spill file so memory stays flat whatever the release's size.
"""

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
    for image in batch:
        counts[0] += 1
        image_id = counts[0]
        width, height = image["width"], image["height"]
        row = {"id": image_id, "file_name": image["file_name"], "width": width, "height": height}
        row["labelyard_media"] = image["media"]
        stream.write(b"," if image_id > 1 else b"")
        stream.write(jsonio.dumps(row))
        for geometry, key, kind in area_objects(image["document"], kinds):
            category = by_key[key]
            rings = masks.area_rings(kind, geometry["coordinates"])
            annotation = {
                "id": 0,
                "image_id": image_id,
                "category_id": category["id"],
                "iscrowd": 0,
                "bbox": _bbox(rings[0]),
                "attributes": attributes(geometry.get("classifications"), category["questions"]),
            }
            if len(rings) > 1:
                pending.append((annotation, width, height, rings))
            else:
                annotation["segmentation"] = [[float(v) for point in rings[0] for v in point]]
                annotation["area"] = _polygon_area(rings[0])
            entries.append(annotation)
    if pending:
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
    for annotation in entries:
        counts[1] += 1
        annotation["id"] = counts[1]
        spill.write(b"," if counts[1] > 1 else b"")
        spill.write(jsonio.dumps(annotation))


def _bbox(ring):
    xs = [point[0] for point in ring]
    ys = [point[1] for point in ring]
    return [float(min(xs)), float(min(ys)), float(max(xs) - min(xs)), float(max(ys) - min(ys))]


def _polygon_area(ring):
    """Shoelace area: COCO's `area` of a polygon is its geometric area."""
    total = 0.0
    for (x0, y0), (x1, y1) in zip(ring, [*ring[1:], ring[0]], strict=True):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2
