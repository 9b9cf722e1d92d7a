"""Benchmark of the label import: generate a DataGym file, import it end to end.

Each image gets 20 geometries (half rectangles, half polygons of 8-20 points), one option
answer per geometry and one global answer. The import runs through labeling.importing on the
database DATABASE_URL names, into a fresh project; seconds and peak memory (RSS growth and
tracemalloc peak) are printed per size. Run:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ly_bench .venv/bin/python bench/import_labels.py 1000 10000 50000
"""

import gc
import os
import random
import resource
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelyard.settings")

import django  # noqa: E402 - the path and settings above come first

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from formats import datagym, jsonio  # noqa: E402
from labeling.creation import create_project  # noqa: E402
from labeling.importing import import_labels  # noqa: E402
from labeling.models import Task  # noqa: E402
from projects.models import Dataset, Media, Project  # noqa: E402

WIDTH, HEIGHT = 1920, 1080
CONFIGURATION = {
    "entries": [
        {"key": "vehicle", "name": "Vehicle", "kind": "rectangle", "children": [
            {"key": "vehicle_type", "name": "Type", "kind": "option", "options": ["car", "bus", "truck"]}]},
        {"key": "person", "name": "Person", "kind": "polygon", "children": [
            {"key": "pose", "name": "Pose", "kind": "option", "options": ["standing", "sitting", "lying"]}]},
        {"key": "weather", "name": "Weather", "kind": "option", "options": ["fair", "rainy", "snow"]},
    ]
}  # fmt: skip


def element(rng, media_id):
    rectangles = []
    polygons = []
    for _ in range(10):
        x, y = rng.randint(0, WIDTH - 200), rng.randint(0, HEIGHT - 200)
        rectangles.append(
            {
                "rectangle": [{"x": x, "y": y, "w": rng.randint(1, 200), "h": rng.randint(1, 200)}],
                "classifications": {"vehicle_type": [rng.choice(["car", "bus", "truck"])]},
            }
        )
        points = [{"x": rng.randint(0, WIDTH), "y": rng.randint(0, HEIGHT)} for _ in range(rng.randint(8, 20))]
        polygons.append({"polygon": points, "classifications": {"pose": [rng.choice(["standing", "sitting"])]}})
    return {
        "internal_media_ID": media_id,
        "keepData": False,
        "global_classifications": {"weather": [rng.choice(["fair", "rainy", "snow"])]},
        "labels": {"vehicle": rectangles, "person": polygons},
    }


def make_project(count):
    project = create_project(f"bench-import-{uuid.uuid4().hex[:8]}", CONFIGURATION)
    dataset = Dataset.objects.create(name=f"bench-{uuid.uuid4().hex[:8]}")
    media = [
        Media(dataset=dataset, original_name=f"{i:06d}.jpg", width=WIDTH, height=HEIGHT, mime_type="image/jpeg")
        for i in range(count)
    ]
    Media.objects.bulk_create(media, batch_size=1000)
    Task.objects.bulk_create([Task(project=project, media=m) for m in media], batch_size=1000)
    project.datasets.add(dataset)
    return Project.objects.get(pk=project.pk), [str(m.pk) for m in media]


def generate(media_ids):
    rng = random.Random(3)
    parts = [jsonio.dumps(element(rng, media_id)) for media_id in media_ids]
    return b"[" + b",\n".join(parts) + b"]"


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb():
    """VmHWM (the peak RSS) after resetting it, so each size reports its own peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak():
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def timed_read():
    """Wrap datagym.read to time the parse-and-check phase apart from the writes."""
    original = datagym.read
    spent = {}

    def read(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["read"] = time.perf_counter() - start

    datagym.read = read
    return spent


def run(count):
    project, media_ids = make_project(count)
    data = generate(media_ids)
    del media_ids
    gc.collect()
    base = rss_mb()
    reset_peak()
    spent = timed_read()
    start = time.perf_counter()
    cpu = time.process_time()
    summary = import_labels(project, data)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = peak_rss_mb()
    print(
        f"{count:>6} tasks  {len(data) / 1e6:7.1f} MB  {seconds:6.2f} s (read+check {spent['read']:.2f} s, "
        f"write {seconds - spent['read']:.2f} s; Python CPU {cpu:.2f} s)  {count / seconds:6.0f} tasks/s  "
        f"peak RSS {peak:7.0f} MB (+{peak - base:.0f} MB over the {base:.0f} MB holding the file)  "
        f"{summary.geometries_added} geometries",
        flush=True,
    )
    Project.objects.filter(pk=project.pk).delete()


def main():
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000, 10000, 50000]
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}", flush=True)
    for count in sizes:
        run(count)


if __name__ == "__main__":
    main()
