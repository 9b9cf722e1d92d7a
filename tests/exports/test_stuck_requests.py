"""Asking again for an export or release whose job is stuck (queued or running, heartbeat stale:
its message or its worker was lost) sends it again instead of handing back the stuck job."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exports import build, releases
from exports.models import ExportJob, Release
from labeling.states import State
from tests.exports.conftest import SEED_CONFIGURATION, make_project
from tests.exports.test_build import SEED_DOCUMENT

pytestmark = pytest.mark.django_db

STALE = timedelta(seconds=301)  # past the default LABELYARD_JOB_STALE_SECONDS of 300
MAX_ATTEMPTS = 3  # claims of one job (docs/export.md)


def ask_export(project, capture):
    with capture(execute=True):
        job, created = build.start_export(project, None, build.normalise_options(), "http://testserver")
    job.refresh_from_db()
    return job, created


def stuck_export(project, **fields):
    job = ExportJob.objects.create(
        project=project, options=build.normalise_options(), base_url="http://testserver", revision=project.revision
    )
    ExportJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - STALE, **fields)
    return job


@pytest.mark.parametrize("fields", [{}, {"state": "running", "attempts": 1}], ids=["queued", "running"])
def test_stuck_export_is_sent_again_not_reused(fields, django_capture_on_commit_callbacks):
    project = make_project("stuck export", SEED_CONFIGURATION, [SEED_DOCUMENT])
    stuck = stuck_export(project, **fields)
    job, created = ask_export(project, django_capture_on_commit_callbacks)
    assert (job.pk, created) == (stuck.pk, False)
    assert job.state == ExportJob.State.DONE and job.file
    assert job.attempts == fields.get("attempts", 0) + 1


def test_stuck_export_past_its_attempts_is_replaced(django_capture_on_commit_callbacks):
    project = make_project("exhausted export", SEED_CONFIGURATION, [SEED_DOCUMENT])
    stuck = stuck_export(project, state="running", attempts=MAX_ATTEMPTS)
    job, created = ask_export(project, django_capture_on_commit_callbacks)
    assert created and job.pk != stuck.pk and job.state == ExportJob.State.DONE
    stuck.refresh_from_db()
    assert stuck.state == ExportJob.State.FAILED and "3 times" in stuck.error


def test_waiting_export_is_reused_without_a_second_message(django_capture_on_commit_callbacks):
    project = make_project("waiting export", SEED_CONFIGURATION, [SEED_DOCUMENT])
    waiting = ExportJob.objects.create(
        project=project, options=build.normalise_options(), base_url="http://testserver", revision=project.revision
    )
    with django_capture_on_commit_callbacks() as sent:
        job, created = build.start_export(project, None, build.normalise_options(), "http://testserver")
    assert (job.pk, created, sent) == (waiting.pk, False, [])
    assert ExportJob.objects.get(pk=waiting.pk).state == ExportJob.State.QUEUED


def ask_release(project, capture, name="v1"):
    with capture(execute=True):
        release = releases.create_release(
            project, None, name=name, description="again", labeled_states=[State.COMPLETED], reviewed_states=[],
            task_type="vector", base_url="http://testserver",
        )  # fmt: skip
    release.refresh_from_db()
    return release


@pytest.mark.parametrize("fields", [{}, {"state": "running", "attempts": 1}], ids=["queued", "running"])
def test_stuck_release_gives_its_name_to_the_one_asked_for(fields, django_capture_on_commit_callbacks):
    project = make_project("stuck release", SEED_CONFIGURATION, [SEED_DOCUMENT])
    stuck = Release.objects.create(project=project, name="v1", task_type="vector", base_url="http://testserver")
    Release.objects.filter(pk=stuck.pk).update(heartbeat=timezone.now() - STALE, **fields)
    release = ask_release(project, django_capture_on_commit_callbacks, name="V1")
    assert release.state == Release.State.DONE and release.description == "again"
    assert list(project.releases.values_list("name", flat=True)) == ["V1"]


def test_live_release_keeps_its_name(django_capture_on_commit_callbacks):
    project = make_project("live release", SEED_CONFIGURATION, [SEED_DOCUMENT])
    Release.objects.create(project=project, name="v1", task_type="vector", base_url="http://testserver")
    with pytest.raises(releases.ReleaseError, match="already has a release"):
        ask_release(project, django_capture_on_commit_callbacks)
