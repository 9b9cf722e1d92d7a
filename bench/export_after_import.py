"""Benchmark: the first JSON exports right after a large label import, on PostgreSQL.

Imports COUNT tasks x 20 geometries (bench/import_labels.py's file) into a fresh project whose
tasks are completed, then builds the DataGym JSON export in this process twice (a new revision
each time, so the second is built, not reused), and prints each export's time. Freshly COPYed rows
carry no hint bits: the first reader of each row asks the transaction log whether its writer
committed and dirties the page; the second reader finds the bits set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ly_bench .venv/bin/python bench/export_after_import.py 10000
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labelyard.settings")

import django  # noqa: E402 - the path and settings above come first

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from bench import import_labels as import_bench  # noqa: E402
from exports import build  # noqa: E402
from exports.models import ExportJob  # noqa: E402
from labeling.importing import import_labels  # noqa: E402
from labeling.models import Task  # noqa: E402
from labeling.states import State  # noqa: E402
from projects.models import Project  # noqa: E402


def export(project):
    project.bump_revision()
    project.refresh_from_db()
    job = ExportJob.objects.create(
        project=project, options=build.normalise_options(), base_url="http://localhost", revision=project.revision
    )
    started = time.perf_counter()
    build.build_export(job.pk, render=build.render_inline)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    return job, elapsed


def main(count):
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}", flush=True)
    get_resolver().url_patterns  # noqa: B018 - load the views first, as a running worker has
    project, media_ids = import_bench.make_project(count)
    Task.objects.filter(project=project).update(state=State.COMPLETED)
    data = import_bench.generate(media_ids)
    started = time.perf_counter()
    import_labels(project, data)
    print(f"import of {count} tasks: {time.perf_counter() - started:.2f} s", flush=True)
    for label in ("first export", "second export"):
        job, elapsed = export(project)
        print(f"{label}: tasks={job.task_count} json={job.size / 1e6:.1f} MB time={elapsed:.2f} s", flush=True)
    Project.objects.filter(pk=project.pk).delete()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000)
