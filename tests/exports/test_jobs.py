"""Exports run by a real Celery worker process: progress moves, files appear, a killed worker leaves no file."""

import os
import signal
from pathlib import Path

import pytest

from exports import build
from exports.models import ExportJob
from tests.conftest import wait_for
from tests.exports.conftest import SEGMENTATION_CONFIGURATION, make_project

pytestmark = pytest.mark.worker


def segmented_documents(count):
    ring = [[100, 100], [1500, 120], [1800, 900], [300, 1000], [150, 600]]
    hole = [[700, 400], [900, 400], [900, 600], [700, 600]]
    return [{"geometries": [{"id": "s", "class": "seqmentation", "coordinates": [ring, hole]}]}] * count


def job_row(job_id):
    return ExportJob.objects.values("state", "progress", "file", "archive", "error").get(pk=job_id)


def children_of(pid):
    """Process ids whose parent is `pid` (the worker's pool processes)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_worker_runs_an_export_while_progress_moves(celery_worker):
    """A worker process builds the export; the watcher sees progress between 0 and 100, then the files."""
    project = make_project("worker export", SEGMENTATION_CONFIGURATION, segmented_documents(400))
    job, created = build.start_export(project, None, build.normalise_options(masks=True), "http://testserver")
    assert created
    seen = set()

    def finished():
        row = job_row(job.pk)
        seen.add(row["progress"])
        return row if row["state"] in (ExportJob.State.DONE, ExportJob.State.FAILED) else None

    row = wait_for(finished, timeout=120, interval=0.05, message=f"the export (log: {celery_worker.log_path})")
    assert row["state"] == ExportJob.State.DONE, row["error"]
    assert any(0 < p < 100 for p in seen), seen
    assert build.media_path(row["file"]).is_file() and build.media_path(row["archive"]).is_file()
    masks = list(build.media_path(build.job_dir(job) / "masks").rglob("*.png"))
    assert len(masks) == 400


def test_killed_worker_leaves_no_file_behind_a_link(celery_worker, admin_client, admin_user):
    """SIGKILL of the worker mid-job: the job is not done and serves no download."""
    project = make_project("killed export", SEGMENTATION_CONFIGURATION, segmented_documents(2000))
    from tests.exports.conftest import add_member

    add_member(project, admin_user)
    job, _ = build.start_export(project, admin_user, build.normalise_options(masks=True), "http://testserver")
    wait_for(
        lambda: job_row(job.pk)["progress"] > build.SNAPSHOT_SHARE,
        timeout=120,
        interval=0.02,
        message=f"the mask phase (log: {celery_worker.log_path})",
    )
    for pid in [*children_of(celery_worker.pid), celery_worker.pid]:
        os.kill(pid, signal.SIGKILL)
    celery_worker.wait(timeout=10)
    row = job_row(job.pk)
    assert row["state"] == ExportJob.State.RUNNING and row["archive"] == ""
    assert admin_client.get(f"/exports/{job.pk}/download").status_code == 404
    assert admin_client.get(f"/exports/{job.pk}/download.zip").status_code == 404
    assert admin_client.get(f"/api/exports/{job.pk}").json()["download_url"] is None
    assert not list(build.media_path(build.job_dir(job)).glob("*.zip"))
