"""The sweeper (background/sweeping.py) on every kind of job (exports, releases, imports, thumbnails,
URL imports): a queued job whose message was lost
and a running job whose worker died are sent again and finish; one past its attempts fails with a
message; a job with a fresh heartbeat, or finished, is left alone. Celery runs the sent tasks
inline (eager), on the real database and files; URL imports fetch from a real local server."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from background import claims, sending, sweeping
from exports import build, releases
from exports.models import ExportJob
from formats import jsonio
from labeling.models import ImportJob, TaskLabels
from labeling.states import State
from projects.media import add_image
from projects.models import Dataset, Media, ThumbnailJob, UrlImportItem, UrlImportJob
from tests.exports.conftest import SEED_CONFIGURATION, make_project
from tests.exports.test_build import SEED_DOCUMENT
from tests.formats.test_datagym import SEED_FILE
from tests.labeling.test_importing import make_project as importing_project
from tests.projects.test_jobs import png_bytes
from tests.projects.url_servers import WebServer

pytestmark = pytest.mark.django_db

STALE = timedelta(seconds=301)  # past the default LABELYARD_JOB_STALE_SECONDS of 300


@pytest.fixture(autouse=True)
def url_server(settings):
    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True
    server = WebServer("127.0.0.1")
    yield server
    server.close()


def export_job(server):
    project = make_project("sweep export", SEED_CONFIGURATION, [SEED_DOCUMENT])
    return ExportJob.objects.create(
        project=project, options=build.normalise_options(), base_url="http://testserver", revision=project.revision
    )


def release_job(server):
    project = make_project("sweep release", SEED_CONFIGURATION, [SEED_DOCUMENT])
    return releases.create_release(
        project, None, name="swept", description="", labeled_states=[State.COMPLETED], reviewed_states=[],
        task_type="vector", base_url="http://testserver", dispatch=False,
    )  # fmt: skip


def import_job(server):
    project = importing_project()
    data = jsonio.dumps(SEED_FILE)
    job = ImportJob(project=project, original_name="labels.json", size=len(data))
    job.file.save("labels.json", ContentFile(data), save=False)
    job.save()
    return job


def thumbnail_job(server):
    # The upload queues the job; its message is never delivered (no on-commit callback runs here).
    media = build_media()
    return ThumbnailJob.objects.get(pk=media.pk)


def url_import_job(server):
    dataset = Dataset.objects.create(name="sweep urls")
    job = UrlImportJob.objects.create(dataset=dataset)
    UrlImportItem.objects.create(job=job, index=0, url=server.url("/street.png"))
    return job


def build_media():
    return add_image(Dataset.objects.create(name="sweep thumbnails"), png_bytes(), "a.png")


def export_done(job):
    return bool(job.file) and build.media_path(job.file).is_file()


def release_done(job):
    return bool(job.file and job.coco_file) and releases.media_path(job.coco_file).is_file()


def import_done(job):
    return TaskLabels.objects.filter(task__project=job.project, geometry_count=4).exists()


def thumbnail_done(job):
    return bool(Media.objects.get(pk=job.pk).thumbnail)


def url_import_done(job):
    return Media.objects.filter(dataset=job.dataset, original_name="street.png").exists()


KINDS = {
    "export": (export_job, export_done),
    "release": (release_job, release_done),
    "import": (import_job, import_done),
    "thumbnail": (thumbnail_job, thumbnail_done),
    "url import": (url_import_job, url_import_done),
}


def make(kind, server, **fields):
    job = KINDS[kind][0](server)
    type(job).objects.filter(pk=job.pk).update(**fields)
    job.refresh_from_db()
    return job


def sweep(capture):
    with capture(execute=True):
        return sweeping.sweep()


@pytest.mark.parametrize("kind", KINDS)
def test_queued_job_whose_message_is_gone_is_sent_again(kind, url_server, django_capture_on_commit_callbacks):
    job = make(kind, url_server, heartbeat=timezone.now() - STALE)
    counts = sweep(django_capture_on_commit_callbacks)
    assert counts[type(job)._meta.label] == (1, 0)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (job.State.DONE, 1, "")
    assert KINDS[kind][1](job)


@pytest.mark.parametrize("kind", KINDS)
def test_running_job_whose_worker_died_is_sent_again(kind, url_server, django_capture_on_commit_callbacks):
    job = make(kind, url_server, state="running", attempts=1, progress=40, heartbeat=timezone.now() - STALE)
    sweep(django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (job.State.DONE, 2, "")
    assert KINDS[kind][1](job)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("state", ["queued", "running"])
def test_job_past_its_attempts_fails_with_a_message(kind, state, url_server, django_capture_on_commit_callbacks):
    job = make(kind, url_server, state=state, attempts=claims.MAX_ATTEMPTS, heartbeat=timezone.now() - STALE)
    counts = sweep(django_capture_on_commit_callbacks)
    assert counts[type(job)._meta.label] == (0, 1)
    job.refresh_from_db()
    assert job.state == job.State.FAILED and job.finished_at is not None
    assert f"stopped {claims.MAX_ATTEMPTS} times" in job.error
    assert not KINDS[kind][1](job)


@pytest.mark.parametrize("kind", KINDS)
def test_live_and_finished_jobs_are_left_alone(kind, url_server, django_capture_on_commit_callbacks):
    live = make(kind, url_server, state="running", attempts=1, heartbeat=timezone.now() - timedelta(seconds=200))
    model = type(live)
    counts = sweep(django_capture_on_commit_callbacks)
    assert counts[model._meta.label] == (0, 0)
    live.refresh_from_db()
    assert (live.state, live.attempts) == (model.State.RUNNING, 1)
    model.objects.filter(pk=live.pk).update(state="done", heartbeat=timezone.now() - STALE)
    assert sweep(django_capture_on_commit_callbacks)[model._meta.label] == (0, 0)


def test_sweeper_knows_every_kind_of_job():
    """Every concrete job model is swept; a new kind joins by subclassing BackgroundJob."""
    assert {m._meta.label for m in sweeping.job_models()} >= {
        "exports.ExportJob",
        "exports.Release",
        "labeling.ImportJob",
        "projects.ThumbnailJob",
        "projects.UrlImportJob",
    }


def test_every_kind_names_the_task_that_runs_it():
    """send() finds each model's task by the name the model gives (background/sending.py)."""
    for model in sweeping.job_models():
        assert sending.task(model.task_name).name == model.task_name


def test_sweep_task_is_scheduled_by_beat(settings):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "background.jobs.sweep")
    assert entry["schedule"] == 60
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    assert settings.CELERY_BEAT_SCHEDULE_FILENAME.startswith(str(settings.DATA_DIR))
