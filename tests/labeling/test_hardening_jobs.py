"""A label import whose worker is killed with SIGKILL: nothing of it is written, and running it
again imports it exactly once. (The export's crash test is tests/exports/test_jobs.py.)"""

import os
import signal
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from background import claims
from formats import jsonio
from labeling import importing, jobs
from labeling.models import ImportJob, Task, TaskLabels
from labeling.states import State
from tests.conftest import wait_for
from tests.exports.conftest import make_project
from tests.exports.test_jobs import children_of

pytestmark = pytest.mark.worker

CONFIGURATION = {"entries": [{"key": "poi", "name": "Point", "kind": "point"}]}
IMAGES = 30_000


def import_file(project):
    media_ids = Task.objects.filter(project=project).values_list("media_id", flat=True)
    points = [{"point": [{"x": x, "y": 5}]} for x in range(1, 11)]
    return jsonio.dumps([{"internal_media_ID": str(m), "labels": {"poi": points}} for m in media_ids])


def test_killed_import_writes_nothing_and_reruns_once(celery_worker):
    project = make_project("killed import", CONFIGURATION, [None] * IMAGES, state=State.WAITING, size=(100, 100))
    data = import_file(project)
    job = ImportJob(project=project, original_name="big.json", size=len(data))
    job.file.save("big.json", ContentFile(data), save=False)
    job.save()
    jobs.run_import.delay(job.pk)
    wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).progress > 0,
        timeout=120,
        interval=0.02,
        message=f"the import to start (log: {celery_worker.log_path})",
    )
    for pid in [*children_of(celery_worker.pid), celery_worker.pid]:
        os.kill(pid, signal.SIGKILL)
    celery_worker.wait(timeout=10)

    row = ImportJob.objects.get(pk=job.pk)
    assert row.state == ImportJob.State.RUNNING and row.progress < 100
    assert not TaskLabels.objects.filter(task__project=project).exists(), "a killed import wrote labels"
    assert set(Task.objects.filter(project=project).values_list("version", flat=True)) == {0}

    # A live-looking run holds the job: running it again now does nothing and says when to retry.
    wait = importing.run_import_job(job.pk)
    assert ImportJob.objects.get(pk=job.pk).attempts == 1
    assert 0 < wait <= claims.stale_after().total_seconds() + 1
    # Once the heartbeat is stale the job is taken over and finishes; a third run does nothing.
    ImportJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - claims.stale_after() - timedelta(1))
    assert importing.run_import_job(job.pk) is None
    assert importing.run_import_job(job.pk) is None
    row = ImportJob.objects.get(pk=job.pk)
    assert (row.state, row.attempts, row.summary["tasks"]) == (ImportJob.State.DONE, 2, IMAGES)
    counts = set(TaskLabels.objects.filter(task__project=project).values_list("geometry_count", flat=True))
    assert counts == {10}, "every task got its ten points exactly once"
    assert set(Task.objects.filter(project=project).values_list("version", flat=True)) == {1}
