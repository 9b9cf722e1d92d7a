"""Benchmark: the first JSON exports right after a large label import, on PostgreSQL.

Imports COUNT tasks x 20 geometries (bench/import_labels.py's file) into a fresh project whose
tasks are completed, then builds the DataGym JSON export in this process twice (a new revision
each time, so the second is built, not reused), and prints each export's time and its snapshot
phase (the database read). Freshly COPYed rows carry no hint bits: the first reader of each row
asks the transaction log whether its writer committed and dirties the page; the second reader
finds the bits set. With `hints`, before each export it also counts the tuples of the labels
table (and its TOAST table) whose hint bit is not set yet, which the machine's load does not change.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ly_bench .venv/bin/python bench/export_after_import.py 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ly_bench .venv/bin/python bench/export_after_import.py 10000 hints
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
from labeling import importing  # noqa: E402
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
    build.build_export(job.pk, render=lambda job_id: None)
    snapshot = time.perf_counter() - started
    build.render_inline(job.pk)
    elapsed = time.perf_counter() - started
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    return job, elapsed, snapshot


def unhinted():
    """Tuples of the labels table and its TOAST table whose page does not yet say their inserting
    transaction committed (HEAP_XMIN_COMMITTED, 0x0100), read with pageinspect (superuser)."""
    counts = []
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        cursor.execute(
            "SELECT c.oid::regclass::text, t.oid::regclass::text FROM pg_class c "
            "JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.relname = 'labeling_tasklabels'"
        )
        for relation in cursor.fetchone():
            cursor.execute(
                "SELECT count(*) FROM generate_series(0, pg_relation_size(%s::regclass) / 8192 - 1) AS page, "
                "heap_page_items(get_raw_page(%s, page::int)) WHERE t_infomask & 256 = 0 AND t_xmin IS NOT NULL",
                [relation, relation],
            )
            counts.append(cursor.fetchone()[0])
    return counts


def timed_settle():
    """Time labeling.importing.settle (the VACUUM after a large import), where the code has it."""
    spent = {}
    settle = getattr(importing, "settle", None)
    if settle is not None:

        def timed():
            started = time.perf_counter()
            settle()
            spent["settle"] = time.perf_counter() - started

        importing.settle = timed
    return spent


def main(count, mode="export"):
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}", flush=True)
    get_resolver().url_patterns  # noqa: B018 - load the views first, as a running worker has
    project, media_ids = import_bench.make_project(count)
    Task.objects.filter(project=project).update(state=State.COMPLETED)
    data = import_bench.generate(media_ids)
    spent = timed_settle()
    started = time.perf_counter()
    import_labels(project, data)
    settled = f" (of which the VACUUM {spent['settle']:.2f} s)" if "settle" in spent else ""
    print(f"import of {count} tasks: {time.perf_counter() - started:.2f} s{settled}", flush=True)
    for label in ("first", "second"):
        if mode == "hints":
            print(f"before the {label} export: tuples without the committed hint (table, TOAST): {unhinted()}")
        job, elapsed, snapshot = export(project)
        print(
            f"{label} export: tasks={job.task_count} json={job.size / 1e6:.1f} MB time={elapsed:.2f} s "
            f"(snapshot {snapshot:.2f} s)",
            flush=True,
        )
    Project.objects.filter(pk=project.pk).delete()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10000, *sys.argv[2:])
