"""Benchmark: DataGym JSON export of a PostgreSQL project with TASKS tasks x 20 geometries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ly_bench .venv/bin/python manage.py migrate
    DATABASE_URL=... .venv/bin/python bench/export_json.py seed 10000
    DATABASE_URL=... .venv/bin/python bench/export_json.py run 10000
    DATABASE_URL=... CELERY_BROKER_URL=redis://127.0.0.1:6379/9 .venv/bin/python bench/export_json.py workers 10000 2
    DATABASE_URL=... .venv/bin/python bench/export_json.py seed 1000 masks
    DATABASE_URL=... .venv/bin/python bench/export_json.py run 1000 masks
    DATABASE_URL=... CELERY_BROKER_URL=... .venv/bin/python bench/export_json.py workers 1000 2 masks
    DATABASE_URL=... .venv/bin/python bench/export_json.py run 10000 --bucket     # and workers ... --bucket

`seed` creates the project "bench export <TASKS>" with COPY (docs/decisions.md "Measured costs": the ORM per
row would dominate); `run` exports it in this process alone and prints the wall time of the
snapshot, the chunks and the assembly, and the process's peak resident memory, so seeding never
counts; `workers` sends the export to N real worker processes (the chunks run in parallel), times it
until it is done and reports the peak memory of the largest worker process. With `masks`, the project is "bench masks
<TASKS>", whose images hold the mask benchmark's 50 segmentations of 20-200 vertices each
(bench/masks_speed.py), and the export renders their masks. With `--bucket` every file of the export
goes to a fresh bucket of an S3-compatible server (bench/bucket.py: LABELYARD_TEST_S3_ENDPOINT's, else
moto's server started here) instead of the local media folder.
"""

import os
import resource
import sys
import time
import uuid
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import bucket  # noqa: E402

STORAGE = bucket.from_arguments()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelyard.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.urls import get_resolver  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import masks_speed  # noqa: E402
from bench.worker import celery_worker, peak_child_mb  # noqa: E402
from demo.seeding import CONFIGURATION  # noqa: E402
from exports import build  # noqa: E402
from exports.jobs import build_export as build_task  # noqa: E402
from exports.models import ExportChunk, ExportJob  # noqa: E402
from formats import jsonio  # noqa: E402
from labeling.creation import create_project  # noqa: E402
from projects import stored  # noqa: E402
from projects.models import Dataset, Project  # noqa: E402

GEOMETRIES = 20


def document(i):
    """20 geometries of every kind of the demo configuration, with their classifications."""
    geometries = []
    for g in range(GEOMETRIES):
        x, y = (i * 7 + g * 37) % 1700, (i * 3 + g * 23) % 900
        kind = g % 5
        if kind == 0:
            geometries.append(
                {
                    "id": f"g{g}",
                    "class": "car",
                    "source": "human",
                    "coordinates": [[x + 10 * k, y + (k * k) % 90] for k in range(12)],
                    "classifications": {
                        "car_type": {"values": ["sedan"]},
                        "damage": {"values": ["dent"], "children": {"severity": {"values": ["low"]}}},
                    },
                }
            )
        elif kind == 1:
            geometries.append(
                {
                    "id": f"g{g}",
                    "class": "pedestrian",
                    "source": "human",
                    "coordinates": [x, y, 40, 120],
                    "classifications": {"age_group": {"values": ["adult"]}},
                    "nested": [
                        {
                            "id": f"g{g}h",
                            "class": "head",
                            "source": "human",
                            "coordinates": [x + 20, y + 10],
                            "classifications": {"looking_at_camera": {"values": ["no"]}},
                        }
                    ],
                }
            )
        elif kind == 2:
            geometries.append(
                {
                    "id": f"g{g}",
                    "class": "marking",
                    "source": "human",
                    "coordinates": [[x, y], [x + 100, y + 20], [x + 200, y + 35]],
                    "classifications": {"type_of_line": {"values": ["solid"]}},
                }
            )
        elif kind == 3:
            geometries.append({"id": f"g{g}", "class": "traffic_light", "source": "human", "coordinates": [x, y]})
        else:
            geometries.append(
                {
                    "id": f"g{g}",
                    "class": "road",
                    "source": "human",
                    "coordinates": [
                        [[x, y], [x + 150, y], [x + 150, y + 150], [x, y + 150]],
                        [[x + 50, y + 50], [x + 80, y + 50], [x + 80, y + 80]],
                    ],
                }
            )
    return {"geometries": geometries,
            "classifications": {"tod": {"values": ["day"], "children": {"lighting": {"values": ["sunlight"]}}},
                                "weather": {"values": ["fair"]}}}  # fmt: skip


def copy_rows(cursor, statement, rows):
    with cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def project_name(tasks, option=""):
    return f"bench masks {tasks}" if option == "masks" else f"bench export {tasks}"


def masks_document(i):
    """The mask benchmark's image: 50 road segmentations of 20-200 vertices, every fifth with a hole."""
    objects = masks_speed.image_objects(i)
    return {"geometries": [{"id": f"g{g}", "class": "road", "source": "human", "coordinates": rings}
                           for g, rings in enumerate(objects)], "classifications": {}}  # fmt: skip


def labels_row(task_id, labels, now):
    count = sum(1 + len(g.get("nested", ())) for g in labels["geometries"])
    return task_id, jsonio.dumps_text(labels), count, 0, now


def seed(tasks, option=""):
    name = project_name(tasks, option)
    make_document = masks_document if option == "masks" else document
    if Project.objects.filter(name=name, created_by=None).exists():
        print(f"{name} exists")
        return
    started = time.perf_counter()
    project = create_project(name, CONFIGURATION)
    dataset = Dataset.objects.create(name=name)
    project.datasets.add(dataset)
    now = timezone.now()
    media_ids = [uuid.uuid4() for _ in range(tasks)]
    with connection.cursor() as django_cursor:
        cursor = django_cursor.connection.cursor()
        copy_rows(
            cursor,
            "COPY projects_media (id, dataset_id, file, source_url, original_name, width, height, mime_type,"
            " sha256, size, thumbnail, created_at) FROM STDIN",
            ((m, dataset.pk, "", "", f"img_{i:06d}.jpg", 1920, 1080, "image/jpeg", "0" * 64, 0, "", now)
             for i, m in enumerate(media_ids)),
        )  # fmt: skip
        copy_rows(
            cursor,
            "COPY labeling_task (project_id, media_id, state, review_comment, version, created_at, state_changed_at)"
            " FROM STDIN",
            ((project.pk, m, "completed", "", 1, now, now) for m in media_ids),
        )
        cursor.execute("SELECT id FROM labeling_task WHERE project_id = %s ORDER BY id", [project.pk])
        task_ids = [row[0] for row in cursor.fetchall()]
        copy_rows(
            cursor,
            "COPY labeling_tasklabels (task_id, document, geometry_count, imported_count, updated_at) FROM STDIN",
            (labels_row(t, make_document(i), now) for i, t in enumerate(task_ids)),
        )
    project.bump_revision()
    print(f"seeded {name} ({tasks} tasks x {GEOMETRIES} geometries) in {time.perf_counter() - started:.1f} s")


def rss_mb():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def new_job(tasks, masks=False):
    project = Project.objects.get(name=project_name(tasks, "masks" if masks else ""), created_by=None)
    # A new revision, so the export is built rather than reused from the previous run.
    project.bump_revision()
    project.refresh_from_db()
    return ExportJob.objects.create(
        project=project,
        options=build.normalise_options(masks=masks),
        base_url="http://localhost:8000",
        revision=project.revision,
    )


def report(job, elapsed, label, memory=""):
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    archive = f" zip={job.archive_size / 1e6:.1f} MB" if job.archive else ""
    print(f"{label}: tasks={job.task_count} json={job.size / 1e6:.1f} MB{archive} "
          f"time={elapsed:.2f} s{memory} [{STORAGE}]")  # fmt: skip


def run(tasks, option=""):
    """The whole export in this process, phase by phase: the snapshot, every chunk's part (and with
    `masks` its masks) one after the other, then the assembly of the file (and the zip)."""
    # A running worker has the URL configuration loaded; a fresh process would import every view
    # module on the first reverse() (about 0.5 s here) and count it as export time.
    get_resolver().url_patterns  # noqa: B018 - loading is the point
    # Likewise its storage client: with a bucket, boto3 loads its S3 service model and connects on
    # the first request (0.1-0.2 s, once per process).
    stored.job_storage().exists("warm-up")
    baseline = rss_mb()
    job = new_job(tasks, option == "masks")
    started = time.perf_counter()
    build.build_export(job.pk, render=lambda job_id: None)
    snapshot_done = time.perf_counter()
    job.refresh_from_db()
    for chunk in ExportChunk.objects.filter(job=job).order_by("index"):
        build.write_part(job, chunk)
    chunks_done = time.perf_counter()
    build.finish(job.pk)
    finished = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    phases = (
        f" (snapshot {snapshot_done - started:.2f} s, chunks {chunks_done - snapshot_done:.2f} s,"
        f" assembly {finished - chunks_done:.2f} s)"
    )
    report(
        job,
        finished - started,
        "1 process" + (" with masks" if option == "masks" else ""),
        f"{phases} peak_rss={peak:.0f} MB (before export {baseline:.0f} MB)",
    )


def workers(tasks, processes, option=""):
    """The export as users get it: sent to `processes` real Celery worker processes, timed from the
    request to the job's DONE (the workers are started and warmed up before the clock runs).
    With the option `masks` the export includes the segmentation masks (one per task here)."""
    processes, masks = int(processes), option == "masks"
    with celery_worker(processes) as queue:
        warm = new_job(tasks, masks)
        build_task.apply_async((warm.pk,), queue=queue)
        wait_done(warm.pk, timeout=600)
        job = new_job(tasks, masks)
        started = time.perf_counter()
        build_task.apply_async((job.pk,), queue=queue)
        wait_done(job.pk, timeout=600)
        elapsed = time.perf_counter() - started
    peak = peak_child_mb()
    label = f"{processes} worker processes" + (" with masks" if masks else "")
    report(job, elapsed, label, f" peak_rss={peak:.0f} MB (largest worker process)")


def wait_done(job_id, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ExportJob.objects.filter(pk=job_id, state__in=["done", "failed"]).exists():
            return
        time.sleep(0.01)
    raise TimeoutError(f"export {job_id} did not finish in {timeout} s")


if __name__ == "__main__":
    {"seed": seed, "run": run, "workers": workers}[sys.argv[1]](int(sys.argv[2]), *sys.argv[3:])
