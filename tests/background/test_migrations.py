"""Existing jobs keep their data when they become background jobs: import and URL import jobs'
renamed fields and states (a rejected import is a failed one with its errors), export rows, and images
without a thumbnail, which get a queued thumbnail job the sweeper sends at once."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from background import sweeping
from exports.models import ExportJob
from labeling.models import ImportJob
from projects.models import Media, ThumbnailJob, UrlImportJob
from tests.projects.test_jobs import png_bytes

BEFORE = [
    ("labeling", "0004_store_documents_as_json"),
    ("exports", "0002_add_release"),
    ("projects", "0005_names_unique_per_owner"),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_jobs_keep_their_data_across_the_migration(media_root, django_capture_on_commit_callbacks):
    old = migrate(BEFORE)
    beat = timezone.now() - timedelta(minutes=1)
    project = old.get_model("projects", "Project").objects.create(name="migrated")
    imports = old.get_model("labeling", "ImportJob").objects
    done = imports.create(project=project, original_name="a.json", status="done", summary={"tasks": 2}, progress=100)
    rejected = imports.create(
        project=project, original_name="b.json", status="rejected", errors=[{"path": "[0]", "message": "no image"}]
    )
    failed = imports.create(project=project, original_name="c.json", status="failed", message="OSError")
    running = imports.create(project=project, original_name="d.json", status="running", attempts=2, heartbeat_at=beat)
    export = old.get_model("exports", "ExportJob").objects.create(
        project=project, base_url="http://x", state="done", file="exports/1/1/a.json", size=5, attempts=1
    )
    dataset = old.get_model("projects", "Dataset").objects.create(name="migrated images")
    url_import = old.get_model("projects", "UrlImportJob").objects.create(
        dataset=dataset, status="failed", message="The worker fetching these URLs stopped 3 times.", attempts=3
    )
    images = old.get_model("projects", "Media").objects
    common = {"dataset": dataset, "width": 64, "height": 48, "mime_type": "image/png", "sha256": "0" * 64}
    (media_root / "datasets").mkdir(parents=True)
    (media_root / "datasets" / "bare.png").write_bytes(png_bytes().getvalue())
    bare = images.create(original_name="bare.png", file="datasets/bare.png", **common)
    with_thumbnail = images.create(original_name="done.png", thumbnail="thumbnails/x.jpg", **common)
    without_file = images.create(original_name="nofile.png", **common)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {job.original_name: job for job in ImportJob.objects.all()}
    assert (rows["a.json"].state, rows["a.json"].summary, rows["a.json"].error) == ("done", {"tasks": 2}, "")
    assert (rows["b.json"].state, rows["b.json"].rejected) == ("failed", True)
    assert rows["b.json"].errors == [{"path": "[0]", "message": "no image"}]
    assert rows["b.json"].error == "The file has 1 error(s); nothing was imported."
    assert (rows["c.json"].state, rows["c.json"].error, rows["c.json"].rejected) == ("failed", "OSError", False)
    assert (rows["d.json"].state, rows["d.json"].attempts, rows["d.json"].heartbeat) == ("running", 2, beat)
    assert {rows[n].pk for n in rows} == {done.pk, rejected.pk, failed.pk, running.pk}
    fetched = UrlImportJob.objects.get(pk=url_import.pk)
    assert (fetched.state, fetched.attempts) == ("failed", 3)
    assert fetched.error == "The worker fetching these URLs stopped 3 times."
    migrated = ExportJob.objects.get(pk=export.pk)
    assert (migrated.state, migrated.file, migrated.size, migrated.attempts) == ("done", "exports/1/1/a.json", 5, 1)

    # The stored image without a thumbnail is sent by the next sweep.
    assert list(ThumbnailJob.objects.values_list("pk", "state", "heartbeat")) == [(bare.pk, "queued", None)]
    with django_capture_on_commit_callbacks(execute=True):
        sweeping.sweep()
    assert Media.objects.get(pk=bare.pk).thumbnail and ThumbnailJob.objects.get(pk=bare.pk).state == "done"
    assert not ThumbnailJob.objects.filter(pk__in=[with_thumbnail.pk, without_file.pk]).exists()
