"""Benchmark: a release's COCO file for TASKS tasks x 20 geometries on PostgreSQL, and instance bitmaps/s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ly_bench .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/export_json.py seed 10000       # the export benchmark's project
    DATABASE_URL=... .venv/bin/python bench/release_coco.py coco 10000 [PROCESSES]
    DATABASE_URL=... CELERY_BROKER_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/release_coco.py release 10000 2
    .venv/bin/python bench/release_coco.py bitmaps 200

`coco` does what a vector release build does for COCO: it freezes the snapshot of the project
"bench export <TASKS>" in chunks of releases.VECTOR_CHUNK_SIZE tasks, writes each chunk's part
(coco.write_part, the chunk tasks' work) in PROCESSES processes (default 1: all in this one), and
assembles the file (coco.write, the finish's work). It times the three phases and reports the peak
resident memory of the largest process. `release` builds a whole vector release of that project
(snapshot, chunk tasks, the Segments.ai file and COCO) on N real Celery worker processes and times it
from the request to the release being done. `bitmaps` renders and encodes 1920x1080 instance bitmaps of
the seeded documents (20 geometries, of which 12 are areas) in one process: bitmaps per second per
worker process.
"""

import os
import resource
import sys
import tempfile
import time
import uuid
from multiprocessing import Pool
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelyard.settings")
django.setup()

from bench import masks_speed  # noqa: E402
from bench.export_json import document  # noqa: E402
from bench.worker import celery_worker, peak_child_mb  # noqa: E402
from demo.seeding import CONFIGURATION  # noqa: E402
from exports import releases, snapshot  # noqa: E402
from exports.jobs import build_release as build_release_task  # noqa: E402
from exports.models import Release  # noqa: E402
from formats import coco, segments  # noqa: E402
from labeling.states import State  # noqa: E402
from projects.models import Project  # noqa: E402
from raster import masks  # noqa: E402
from rules import configuration as config  # noqa: E402


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_part(job):
    """One chunk's part, as a release chunk task writes it; returns the chunk's COCO images."""
    frozen, categories, part, start, stop = job
    images = []

    def labelled():
        for task in snapshot.read_tasks(frozen, start, stop):
            images.append({"file_name": task["name"], "width": task["width"], "height": task["height"],
                           "media": task["media"]})  # fmt: skip
            yield task

    with open(part, "wb") as stream:
        coco.write_part(stream, categories, labelled())
    return images


def run_coco(tasks, processes=1):
    processes = int(processes)
    project = Project.objects.get(name=f"bench export {tasks}", created_by=None)
    with tempfile.TemporaryDirectory() as folder:
        frozen = Path(folder) / "snapshot.jsonl"
        started = time.perf_counter()
        *_, ranges = snapshot.write_snapshot(frozen, project.pk, State.values, chunk_size=releases.VECTOR_CHUNK_SIZE)
        snapshot_seconds = time.perf_counter() - started
        configuration = snapshot.read_header(frozen)["configuration"]
        categories = segments.categories(configuration, segments.SEGMENTATION_BITMAP)
        parts = [Path(folder) / f"{index:06d}.jsonl" for index in range(len(ranges))]
        jobs = [(frozen, categories, part, start, stop) for part, (start, stop) in zip(parts, ranges, strict=True)]
        started = time.perf_counter()
        if processes > 1:
            with Pool(processes) as pool:
                images = pool.map(write_part, jobs, chunksize=1)
        else:
            images = [write_part(job) for job in jobs]
        parts_seconds = time.perf_counter() - started
        started = time.perf_counter()
        with open(Path(folder) / "coco.json", "wb") as stream:
            count, annotations = coco.write(stream, {"description": "bench"}, categories,
                                            (image for chunk in images for image in chunk), read(parts))  # fmt: skip
        assemble_seconds = time.perf_counter() - started
        size = (Path(folder) / "coco.json").stat().st_size
    total = snapshot_seconds + parts_seconds + assemble_seconds
    print(
        f"processes={processes} tasks={count} annotations={annotations} coco={size / 1e6:.1f} MB "
        f"snapshot={snapshot_seconds:.2f} s parts={parts_seconds:.2f} s assemble={assemble_seconds:.2f} s "
        f"total={total:.2f} s peak_rss={max(peak_mb(), peak_child_mb()):.0f} MB"
    )


def read(paths):
    for path in paths:
        with open(path, "rb") as stream:
            yield stream


def run_release(tasks, processes):
    """A vector release as users get it, on `processes` real worker processes (started before the clock)."""
    processes = int(processes)
    project = Project.objects.get(name=f"bench export {tasks}", created_by=None)
    with celery_worker(processes) as queue:
        elapsed = []
        for _ in range(2):  # the first run warms the worker processes up
            release = releases.create_release(
                project, None, name=f"bench {uuid.uuid4().hex[:8]}", description="",
                labeled_states=[State.COMPLETED], reviewed_states=[State.REVIEWED], task_type=segments.VECTOR,
                base_url="http://localhost", dispatch=False,
            )  # fmt: skip
            started = time.perf_counter()
            build_release_task.apply_async((release.pk,), queue=queue)
            while not Release.objects.filter(pk=release.pk, state__in=["done", "failed"]).exists():
                time.sleep(0.01)
            elapsed.append(time.perf_counter() - started)
    release.refresh_from_db()
    assert release.state == Release.State.DONE, release.error
    print(
        f"{processes} worker processes: vector release of {release.sample_count} tasks, "
        f"{release.annotation_count} annotations, file {release.size / 1e6:.1f} MB, "
        f"COCO {release.coco_size / 1e6:.1f} MB, "
        f"time={elapsed[-1]:.2f} s peak_rss={peak_child_mb():.0f} MB (largest worker process)"
    )


def run_bitmaps(count):
    """Bitmaps of the seeded documents (12 area objects each), then of the mask benchmark's images
    (50 polygons of 20-200 vertices, every fifth with a hole: bench/masks_speed.py)."""
    configuration = config.parse(CONFIGURATION)
    kinds = {c["key"]: c["kind"] for c in segments.categories(configuration, segments.SEGMENTATION_BITMAP)}
    seeded = [
        [
            masks.area_rings(kind, geometry["coordinates"])
            for geometry, _, kind in segments.area_objects(document(i), kinds)
        ]
        for i in range(count)
    ]
    time_bitmaps("seeded documents", seeded)
    time_bitmaps("mask benchmark images", [masks_speed.image_objects(i) for i in range(count)])


def time_bitmaps(label, images):
    for objects in images[:10]:  # untimed: the first image-sized arrays fault their pages in
        masks.instance_png(masks.instance_ids(1920, 1080, objects))
    started = time.perf_counter()
    size = 0
    for objects in images:
        size += len(masks.instance_png(masks.instance_ids(1920, 1080, objects)))
    elapsed = time.perf_counter() - started
    print(
        f"{label}: bitmaps={len(images)} objects/bitmap={len(images[0])} {len(images) / elapsed:.1f} bitmaps/s "
        f"({1000 * elapsed / len(images):.1f} ms each, {size / len(images) / 1e3:.0f} kB)"
    )


if __name__ == "__main__":
    {"coco": run_coco, "release": run_release, "bitmaps": run_bitmaps}[sys.argv[1]](int(sys.argv[2]), *sys.argv[3:])
