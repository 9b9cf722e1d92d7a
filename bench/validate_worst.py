"""Benchmark of label validation on the worst documents a request can carry (docs/benchmarks.md
"Validation").

Each variant builds one labels document that fits in the 16 MiB request body the labels API
accepts (DATA_UPLOAD_MAX_MEMORY_SIZE), on a 4000x3000 image, and times its validation
(rules.labels.validate, what PUT /api/tasks/{id}/labels runs) in a child process, parsed
from JSON first as the API parses it. With ``--import`` it also times the DataGym reader
(formats.datagym.read, what every import runs) on the same geometries as a one-image
import file. A child that runs past ``--cap`` seconds is stopped and reported as such.

    LABELYARD_DATA_DIR=/tmp/ly-bench .venv/bin/python bench/validate_worst.py \
        --cap 60 [--repeat 5] [--import] [VARIANT ...]

Variants: ``finding`` is the document of the report (one segmentation, a 200,000-point outline
and 3,000 holes of 30 points); the others push one cost each as far as the limits and the body
size allow (``--list`` describes them).
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelyard.settings")

import django  # noqa: E402 - the path and settings above come first

django.setup()

from django.conf import settings  # noqa: E402

from formats import datagym, jsonio  # noqa: E402
from labeling import limits  # noqa: E402
from rules import configuration as config  # noqa: E402
from rules import labels as labels_document  # noqa: E402

WIDTH, HEIGHT = 4000, 3000
BODY_LIMIT = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
CONFIGURATION = {
    "entries": [
        {"key": "road", "name": "Road", "kind": "image_segmentation"},
        {"key": "area", "name": "Area", "kind": "polygon"},
    ]
}
LIMITS = limits.from_settings()  # as the labels API and the importer pass them
POINTS = LIMITS.ring_points
HOLES = LIMITS.holes


def r2(value):
    return round(value, 2)


def wiggly_circle(points, cx=2000, cy=1500, radius=1400):
    step = 2 * math.pi / points
    return [
        [r2(cx + (radius + 20 * math.sin(500 * k * step)) * math.cos(k * step)),
         r2(cy + (radius + 20 * math.sin(500 * k * step)) * math.sin(k * step))]
        for k in range(points)
    ]  # fmt: skip


def round_holes(count, points, left=1100, top=600, size=1800):
    """`count` small round holes of `points` points on a grid inside the square (left, top, size)."""
    side = math.ceil(math.sqrt(count))
    cell = size / side
    holes = []
    for i in range(count):
        x, y = left + (i % side + 0.5) * cell, top + (i // side + 0.5) * cell
        holes.append([[r2(x + cell / 3 * math.cos(2 * math.pi * j / points)),
                       r2(y + cell / 3 * math.sin(2 * math.pi * j / points))] for j in range(points)])  # fmt: skip
    return holes


def comb(points, left=0, right=4000, base=100, top=1000):
    """A comb of teeth pointing up from a strip along the bottom: every horizontal line through the
    teeth crosses all of them."""
    teeth = (points - 3) // 4
    width = (right - left) / teeth
    ring = []
    for i in range(teeth):
        x = left + i * width
        ring += [[r2(x), base], [r2(x), top], [r2(x + width / 2), top], [r2(x + width / 2), base]]
    return ring + [[right, base], [right, 0], [left, 0]], width


def comb_holes(count, width, teeth, top=1000):
    step = max(1, teeth // count)
    return [[[r2(i * step * width + width / 8), 400], [r2(i * step * width + width / 4), 600],
             [r2(i * step * width + 3 * width / 8), 400]] for i in range(count)]  # fmt: skip


def sun(points, cx=2000, cy=1500, hub=900, rays=1450):
    """A disc with thin rays all round: horizontal and vertical lines through the disc cross
    thousands of ray edges, so mirroring the axes does not help."""
    spikes = points // 2
    ring = []
    for k in range(spikes):
        a = 2 * math.pi * k / spikes
        b = 2 * math.pi * (k + 0.5) / spikes
        ring += [[r2(cx + hub * math.cos(a)), r2(cy + hub * math.sin(a))],
                 [r2(cx + rays * math.cos(b)), r2(cy + rays * math.sin(b))]]  # fmt: skip
    return ring


def sun_holes(count, cx=2000, cy=1500):
    """Tiny triangles in the disc, off its centre lines, where lines cross the most ray edges."""
    holes = []
    side = math.ceil(math.sqrt(count))
    for i in range(count):
        x, y = cx + 200 + (i % side) * 6, cy + 200 + (i // side) * 6
        holes.append([[x, y], [x + 3, y], [x, y + 3]])
    return holes


def self_crossing(rows):
    """An outline zig-zagging across a square `rows` times each way: rows x rows crossings."""
    ring = []
    for i in range(rows):
        y = r2(1000 + 1000 * i / rows)
        ring += [[1000, y], [2000, y]] if i % 2 == 0 else [[2000, y], [1000, y]]
    for j in range(rows):
        x = r2(1000.5 + 1000 * j / rows)
        ring += [[x, 2000], [x, 1000]] if j % 2 == 0 else [[x, 1000], [x, 2000]]
    return ring


def staircase(points, size=2900):
    """Steps from (0, 0) to (size, size), closed along the bottom; the area lies below the steps."""
    steps = (points - 2) // 2
    h = size / steps
    ring = [[0, 0]]
    for i in range(steps):
        ring += [[r2((i + 1) * h), r2(i * h)], [r2((i + 1) * h), r2((i + 1) * h)]]
    return ring[:-1] + [[size, size], [size, 0]]


def diagonal_folds(points, size=2900):
    """A thin hole folded back and forth along the staircase's diagonal, just under its steps:
    every fold's bounding box meets every step."""
    ring = []
    for i in range(points):
        offset = 2 + i * (3 / points)
        ring.append([r2(offset + 1), 0.0] if i % 2 == 0 else [r2(size - 1), r2(size - 1 - offset)])
    return ring


def segmentation_document(rings_list):
    geometries = [{"id": f"g{i + 1}", "class": "road", "coordinates": rings} for i, rings in enumerate(rings_list)]
    return {"geometries": geometries, "classifications": {}}


def filled(shape):
    """As many copies of one geometry's coordinates as fit under the body limit."""
    one = len(jsonio.dumps(shape)) + 40
    return max(1, (BODY_LIMIT - 200) // one)


def variant_finding():
    return segmentation_document([[wiggly_circle(200_000), *round_holes(3000, 30)]])


def variant_finding_filled():
    shape = [wiggly_circle(200_000), *round_holes(3000, 30)]
    return segmentation_document([shape] * filled(shape))


def variant_limits_round():
    shape = [wiggly_circle(POINTS), *round_holes(HOLES, 30)]
    return segmentation_document([shape] * filled(shape))


def variant_comb():
    ring, width = comb(POINTS)
    shape = [ring, *comb_holes(HOLES, width, (POINTS - 3) // 4)]
    return segmentation_document([shape] * filled(shape))


def variant_sun():
    shape = [sun(POINTS), *sun_holes(HOLES)]
    return segmentation_document([shape] * filled(shape))


def variant_touching():
    ring, _ = comb(POINTS)
    holes = [[[0 + i * 0.01, 99], [4000 - i * 0.01, 99], [4000 - i * 0.01, 100], [0 + i * 0.01, 100]]
             for i in range(HOLES)]  # fmt: skip
    shape = [ring, *holes]
    return segmentation_document([shape] * filled(shape))


def variant_self_crossing():
    shape = [self_crossing(500), [[1400, 1400], [1410, 1400], [1400, 1410]]]
    return segmentation_document([shape] * filled(shape))


def variant_tiny_holes():
    holes = [[[10 + i % 100 * 3, 10 + i // 100 * 3], [11 + i % 100 * 3, 10 + i // 100 * 3],
              [10 + i % 100 * 3, 11 + i // 100 * 3]] for i in range(HOLES)]  # fmt: skip
    shape = [[[0, 0], [3999, 0], [0, 2999]], *holes]
    return segmentation_document([shape] * filled(shape))


def variant_folds():
    shape = [staircase(POINTS), diagonal_folds(POINTS)]
    return segmentation_document([shape] * filled(shape))


def variant_many_points():
    ring = [[i % 7, i % 5] for i in range(POINTS)]
    shape = {"id": "g", "class": "area", "coordinates": ring}
    copies = max(1, (BODY_LIMIT - 200) // (len(jsonio.dumps(shape)) + 10))
    geometries = [{**shape, "id": f"g{i + 1}"} for i in range(copies)]
    return {"geometries": geometries, "classifications": {}}


def variant_all_outside():
    ring = [[5000 + i % 7, 5000 + i % 5] for i in range(POINTS)]
    shape = {"id": "g", "class": "area", "coordinates": ring}
    copies = max(1, (BODY_LIMIT - 200) // (len(jsonio.dumps(shape)) + 10))
    geometries = [{**shape, "id": f"g{i + 1}"} for i in range(copies)]
    return {"geometries": geometries, "classifications": {}}


VARIANTS = {
    "finding": (variant_finding, "the report's document: one 200,000-point outline, 3,000 holes of 30 points"),
    "finding_filled": (variant_finding_filled, "the report's segmentation repeated to fill 16 MiB"),
    "limits_round": (variant_limits_round, "outline at the point limit, holes at the hole limit, repeated"),
    "comb": (variant_comb, "a comb outline (every row crosses every tooth), holes among the teeth, repeated"),
    "sun": (variant_sun, "a disc with thin rays (rows and columns cross thousands of ray edges), holes in it"),
    "touching": (variant_touching, "comb outline, holes lying along its base line (touching ~75,000 times)"),
    "self_crossing": (variant_self_crossing, "a 2,000-point outline crossing itself 250,000 times, one hole"),
    "tiny_holes": (variant_tiny_holes, "as many 3-point holes as fit, a thousand per segmentation"),
    "folds": (variant_folds, "a staircase outline, one hole folded along it (every fold beside every step)"),
    "many_points": (variant_many_points, "polygons at the point limit, as many as fit (no holes)"),
    "all_outside": (variant_all_outside, "the same polygons, every point outside the image"),
}


def run_child(kind, path):
    """In the child: parse the file as the API or the importer would, then time the check."""
    data = Path(path).read_bytes()
    index = config.Index(config.parse(CONFIGURATION))
    if kind == "save":
        doc = jsonio.loads(data)
        start = time.perf_counter()
        errors = labels_document.validate(doc, index, WIDTH, HEIGHT, LIMITS)
    else:
        start = time.perf_counter()
        _, errors = datagym.read(data, index, {"m": (WIDTH, HEIGHT)}, limits=LIMITS)
    seconds = time.perf_counter() - start
    first = f"{errors[0][0]}: {errors[0][1]}" if errors else ""
    print(jsonio.dumps_text({"seconds": seconds, "errors": len(errors), "first": first[:160]}))


def to_datagym(doc):
    labels = {"road": [], "area": []}
    for geometry in doc["geometries"]:
        if geometry["class"] == "road":
            rings = [[{"x": x, "y": y} for x, y in ring] for ring in geometry["coordinates"]]
            labels["road"].append({"image_segmentation": rings})
        else:
            labels["area"].append({"polygon": [{"x": x, "y": y} for x, y in geometry["coordinates"]]})
    return [{"internal_media_ID": "m", "labels": labels}]


def timed(kind, path, cap, repeat):
    """Run the child `repeat` times; the fastest and the median run, or why it did not finish."""
    command = [sys.executable, __file__, "--child", kind, path]
    seconds = []
    for _ in range(repeat):
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=cap, check=False)
        except subprocess.TimeoutExpired:
            return f"stopped after {cap:.0f} s", ""
        if done.returncode:
            return "crashed", done.stderr.strip().splitlines()[-1][:160]
        result = jsonio.loads(done.stdout)
        seconds.append(result["seconds"])
    verdict = f"refused ({result['errors']} errors): {result['first']}" if result["errors"] else "accepted"
    seconds.sort()
    shown = f"{seconds[0]:.3f} s" if repeat == 1 else f"{seconds[0]:.2f} / {seconds[len(seconds) // 2]:.2f} s"
    return shown, verdict


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", help="default: all")
    parser.add_argument("--cap", type=float, default=60, help="seconds before a child is stopped")
    parser.add_argument("--import", dest="imports", action="store_true", help="also time the DataGym reader")
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant; shows the fastest / the median")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(*args.child)
        return
    if args.list:
        for name, (_, text) in VARIANTS.items():
            print(f"{name:15s} {text}")
        return
    with tempfile.TemporaryDirectory() as folder:
        for name in args.variants or VARIANTS:
            doc = VARIANTS[name][0]()
            body = jsonio.dumps({"document": doc, "version": 0})
            assert len(body) <= BODY_LIMIT, f"{name}: {len(body)} bytes is over the body limit"
            path = os.path.join(folder, f"{name}.json")
            Path(path).write_bytes(jsonio.dumps(doc))
            seconds, verdict = timed("save", path, args.cap, args.repeat)
            print(f"{name:15s} {len(body) / 2**20:5.1f} MiB  save: {seconds:>18s}  {verdict}", flush=True)
            if args.imports:
                Path(path).write_bytes(jsonio.dumps(to_datagym(doc)))
                seconds, verdict = timed("import", path, args.cap, args.repeat)
                size = os.path.getsize(path) / 2**20
                print(f"{'':15s} {size:5.1f} MiB  import: {seconds:>16s}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
