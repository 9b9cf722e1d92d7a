"""Nothing is lost when a worker dies: a real `celery worker` process runs an export with masks, a
bitmap release, a label import and thumbnails; its main process is killed with SIGKILL while jobs
are running and others queued; a new worker with beat (`celery worker -B`, whose sweeper sends
stuck jobs again) finishes every one of them. On the embedded file-system broker, which drops the
messages the killed worker had taken, and on Redis, which holds them unacknowledged for an hour."""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.core.files.base import ContentFile

from exports import build, releases
from exports.models import ExportJob, Release
from formats import jsonio
from labeling.models import ImportJob, Task, TaskLabels
from labeling.states import State
from labelyard.celery import app as celery_app
from projects.media import add_image
from projects.models import Dataset, Media, ThumbnailJob
from tests.conftest import ROOT, database_url, in_ci, unavailable, wait_for
from tests.exports.conftest import SEGMENTATION_CONFIGURATION, make_project
from tests.exports.test_jobs import children_of, segmented_documents
from tests.projects.test_jobs import png_bytes

pytestmark = pytest.mark.worker

TASKS = 200
IMPORTED = 3000
STALE_SECONDS = 10  # the new worker's LABELYARD_JOB_STALE_SECONDS: longer than any step here between heartbeats
MODELS = (ExportJob, Release, ImportJob, ThumbnailJob)


def redis_url():
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        if in_ci():
            pytest.fail("CI=true and CELERY_BROKER_URL names no Redis", pytrace=False)
        pytest.skip("CELERY_BROKER_URL names no Redis")
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        unavailable(f"Redis at {url} does not answer")
    return url


def filesystem_options(data_dir):
    """The transport options labelyard/settings.py gives a worker whose LABELYARD_DATA_DIR is `data_dir`."""
    folders = {name: data_dir / "broker" / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
        "polling_interval": 0.1,
    }


@contextmanager
def broker(url, options, queue):
    """This process sends to `url` (transport `options`) on `queue` while the block runs."""
    conf = celery_app.conf
    saved = (conf.broker_url, conf.broker_transport_options, conf.task_default_queue, conf.task_always_eager)

    def reconnect():
        # Forgotten, not closed: kombu's shared pools keep serving the other broker's connections.
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    saved_environment = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = url
    conf.broker_url, conf.broker_transport_options, conf.task_default_queue = url, options, queue
    conf.task_always_eager = False
    reconnect()
    try:
        yield
    finally:
        conf.broker_url, conf.broker_transport_options, conf.task_default_queue, conf.task_always_eager = saved
        if saved_environment is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = saved_environment
        reconnect()


def start_worker(env, queue, log_path, beat=False):
    command = [sys.executable, "-m", "celery", "-A", "labelyard", "worker", "-Q", queue, "--concurrency=2",
               "--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat",
               "-n", f"{queue}@%h"]  # fmt: skip
    if beat:
        command.append("-B")
    log = open(log_path, "a")  # noqa: SIM115 - the process writes to it until it is stopped
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_gone(pids, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def jobs_by_state():
    states = {}
    for model in MODELS:
        for state in model.objects.values_list("state", flat=True):
            states[state] = states.get(state, 0) + 1
    return states


def queue_jobs():
    """Queue an export with masks, a bitmap release, an import and three thumbnails, as users do."""
    project = make_project("crash", SEGMENTATION_CONFIGURATION, segmented_documents(TASKS))
    export, _ = build.start_export(project, None, build.normalise_options(masks=True), "http://testserver")
    release = releases.create_release(
        project, None, name="crash", description="", labeled_states=[State.COMPLETED], reviewed_states=[],
        task_type="segmentation-bitmap", base_url="http://testserver",
    )  # fmt: skip
    points = {"entries": [{"key": "poi", "name": "Point", "kind": "point"}]}
    target = make_project("crash import", points, [None] * IMPORTED, state=State.WAITING, size=(100, 100))
    media_ids = Task.objects.filter(project=target).values_list("media_id", flat=True)
    data = jsonio.dumps(
        [{"internal_media_ID": str(m), "labels": {"poi": [{"point": [{"x": x, "y": 5}]} for x in range(1, 11)]}}
         for m in media_ids]
    )  # fmt: skip
    job = ImportJob(project=target, original_name="crash.json", size=len(data))
    job.file.save("crash.json", ContentFile(data), save=False)
    job.save()
    job.send()
    dataset = Dataset.objects.create(name="crash thumbnails")
    images = [add_image(dataset, png_bytes(color=(i * 40, 20, 20)), f"{i}.png") for i in range(3)]
    return export, release, job, target, images


@pytest.mark.parametrize("transport", ["filesystem", "redis"])
def test_killed_worker_loses_no_job(transport, transactional_db, media_root, tmp_path):
    data_dir = tmp_path / "worker-data"
    data_dir.mkdir()
    queue = f"crash-{uuid.uuid4().hex[:10]}"
    if transport == "redis":
        url, options = redis_url(), {"visibility_timeout": 3600}
    else:
        url, options = "filesystem://", filesystem_options(data_dir)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LABELYARD_DATA_DIR": str(data_dir),
        "LABELYARD_MEDIA_ROOT": str(media_root),
        "CELERY_BROKER_URL": url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "LABELYARD_JOB_STALE_SECONDS": str(STALE_SECONDS),
        "LABELYARD_JOB_SWEEP_SECONDS": "1",
    }
    log_path = tmp_path / "workers.log"
    first = start_worker(env, queue, log_path)
    second = None
    try:
        with broker(url, options, queue):
            export, release, job, target, images = queue_jobs()
        wait_for(
            lambda: ExportJob.objects.get(pk=export.pk).progress > 0,
            timeout=120,
            interval=0.02,
            message=f"the export to start (log: {log_path})",
        )
        pool = children_of(first.pid)
        at_kill = jobs_by_state()
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        # The pool processes die with their parent (billiard sets PR_SET_PDEATHSIG).
        assert wait_gone(pool) == []
        assert at_kill.get("running") and at_kill.get("queued"), at_kill

        second = start_worker(env, queue, log_path, beat=True)

        def all_finished():
            states = jobs_by_state()
            return states if not states.get("queued") and not states.get("running") else None

        states = wait_for(all_finished, timeout=240, interval=0.2, message=f"every job to finish (log: {log_path})")
        assert set(states) == {"done"}, {m.__name__: list(m.objects.values("pk", "state", "error")) for m in MODELS}
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                stop(process)

    export.refresh_from_db()
    release.refresh_from_db()
    assert build.media_path(export.archive).is_file() and export.task_count == TASKS
    assert releases.media_path(release.coco_file).is_file() and release.sample_count == TASKS
    assert set(TaskLabels.objects.filter(task__project=target).values_list("geometry_count", flat=True)) == {10}
    assert TaskLabels.objects.filter(task__project=target).count() == IMPORTED
    assert all(Media.objects.get(pk=image.pk).thumbnail for image in images)
