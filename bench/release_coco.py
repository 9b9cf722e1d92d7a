"""Benchmark: a release's COCO file for TASKS tasks x 20 geometries on PostgreSQL, and instance bitmaps/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ly_bench .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/export_json.py seed 10000       # the export benchmark's project
    DATABASE_URL=... .venv/bin/python bench/release_coco.py coco 10000
    .venv/bin/python bench/release_coco.py bitmaps 200

`coco` freezes the snapshot of the project "bench export <TASKS>" (as a release build does) and then
writes COCO from it in the same fresh process, timing both phases and reporting the peak resident
memory. `bitmaps` renders and encodes 1920x1080 instance bitmaps of the seeded documents (20
geometries, of which 12 are areas) in one process: bitmaps per second per worker process.
"""

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelyard.settings")
django.setup()

from bench.export_json import document  # noqa: E402
from exports import masks, snapshot  # noqa: E402
from exports.formats import coco, segments  # noqa: E402
from labeling.states import State  # noqa: E402
from projects import config  # noqa: E402
from projects.demo import CONFIGURATION  # noqa: E402
from projects.models import Project  # noqa: E402


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_coco(tasks):
    project = Project.objects.get(name=f"bench export {tasks}")
    with tempfile.TemporaryDirectory() as folder:
        frozen = Path(folder) / "snapshot.jsonl"
        started = time.perf_counter()
        snapshot.write_snapshot(frozen, project.pk, State.values, chunk_size=50)
        snapshot_seconds = time.perf_counter() - started
        configuration = snapshot.read_header(frozen)["configuration"]
        categories = segments.categories(configuration, segments.SEGMENTATION_BITMAP)
        images = (
            {"file_name": t["name"], "width": t["width"], "height": t["height"], "media": t["media"],
             "document": t["document"]}
            for t in snapshot.read_tasks(frozen)
        )  # fmt: skip
        started = time.perf_counter()
        with open(Path(folder) / "coco.json", "wb") as stream:
            count, annotations = coco.write(stream, {"description": "bench"}, categories, images)
        coco_seconds = time.perf_counter() - started
        size = (Path(folder) / "coco.json").stat().st_size
    print(
        f"tasks={count} annotations={annotations} coco={size / 1e6:.1f} MB snapshot={snapshot_seconds:.2f} s "
        f"coco={coco_seconds:.2f} s total={snapshot_seconds + coco_seconds:.2f} s peak_rss={peak_mb():.0f} MB"
    )


def run_bitmaps(count):
    configuration = config.parse(CONFIGURATION)
    kinds = {c["key"]: c["kind"] for c in segments.categories(configuration, segments.SEGMENTATION_BITMAP)}
    rings = [
        [
            masks.area_rings(kind, geometry["coordinates"])
            for geometry, _, kind in segments.area_objects(document(i), kinds)
        ]
        for i in range(count)
    ]
    started = time.perf_counter()
    size = 0
    for objects in rings:
        size += len(masks.instance_png(masks.instance_ids(1920, 1080, objects)))
    elapsed = time.perf_counter() - started
    print(
        f"bitmaps={count} objects/bitmap={len(rings[0])} {count / elapsed:.1f} bitmaps/s "
        f"({1000 * elapsed / count:.1f} ms each, {size / count / 1e3:.0f} kB)"
    )


if __name__ == "__main__":
    {"coco": run_coco, "bitmaps": run_bitmaps}[sys.argv[1]](int(sys.argv[2]))
