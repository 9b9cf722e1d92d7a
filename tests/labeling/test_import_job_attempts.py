"""The label import job's claim and attempts: a job that used up its attempts ends failed with a
message instead of staying `running`, every run records only its own outcome, and a failure's
message names no server path; a job whose starter is no longer an admin when it runs imports
nothing. (The export's counterpart is tests/exports/test_build.py.)"""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from background import claims
from formats import jsonio
from labeling import importing
from labeling.models import ImportJob, TaskLabels
from projects import members
from projects.models import ProjectMember
from tests.labeling.test_importing import MEDIA, make_project

pytestmark = pytest.mark.django_db

EXHAUSTED = (
    "The import stopped 3 times without finishing; its worker may run out of memory. "
    "Nothing was imported; split the file into smaller imports."
)
FILE = [{"internal_media_ID": MEDIA, "labels": {"poi": [{"point": [{"x": 5, "y": 5}]}]}}]
CONFIGURATION = {"entries": [{"key": "poi", "name": "Point", "kind": "point"}]}


def running_job(attempts, stale=True, data=FILE):
    """An import job whose last run (number `attempts`) died; its heartbeat stale or still fresh."""
    project = make_project(CONFIGURATION)
    admin = get_user_model().objects.create_user(f"admin-{project.pk}")
    ProjectMember.objects.create(project=project, user=admin, role=ProjectMember.Role.ADMIN)
    beat = timezone.now() - (claims.stale_after() + timedelta(minutes=1) if stale else timedelta(seconds=5))
    job = ImportJob(
        project=project, created_by=admin, original_name="labels.json", state=ImportJob.State.RUNNING,
        attempts=attempts, heartbeat=beat, progress=40,
    )  # fmt: skip
    job.file.save("labels.json", ContentFile(jsonio.dumps(data)), save=False)
    job.save()
    return job


def test_stale_job_past_its_attempts_fails_with_a_message():
    """Its third worker died too: the next run fails it (it used to stay running for good)."""
    job = running_job(attempts=3)
    assert importing.run_import_job(job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.attempts, job.error) == (ImportJob.State.FAILED, 3, EXHAUSTED)
    assert job.finished and job.finished_at is not None
    assert not TaskLabels.objects.filter(task__project=job.project).exists()


def test_job_past_its_attempts_is_looked_at_again_once_stale():
    """Redelivered while the dead third run still looks alive: the task is told to come back (it used
    to be told nothing, leaving the job running), and then fails it."""
    job = running_job(attempts=3, stale=False)
    wait = importing.run_import_job(job.pk)
    assert wait is not None and 0 < wait <= claims.stale_after().total_seconds() + 1
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.RUNNING
    ImportJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - claims.stale_after() - timedelta(1))
    assert importing.run_import_job(job.pk) is None
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.FAILED


def test_last_attempt_records_its_outcome():
    """The third (last allowed) run imports and ends DONE (its updates used to match no row: running for good)."""
    job = running_job(attempts=2)
    assert importing.run_import_job(job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.attempts, job.progress, job.summary["tasks"]) == (ImportJob.State.DONE, 3, 100, 1)
    assert not job.file
    assert TaskLabels.objects.get(task__project=job.project, task__media_id=MEDIA).geometry_count == 1


def test_run_taken_over_meanwhile_writes_nothing(monkeypatch):
    """While this run imported, its heartbeat went stale and another run claimed the job: this run's
    labels roll back and it records nothing, so the file is not imported twice."""
    job = running_job(attempts=0)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
    import_labels = importing.import_labels

    def taken_over_meanwhile(*args, **kwargs):
        ImportJob.objects.filter(pk=job.pk).update(attempts=2, heartbeat=timezone.now())
        return import_labels(*args, **kwargs)

    monkeypatch.setattr(importing, "import_labels", taken_over_meanwhile)
    assert importing.run_import_job(job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.attempts, job.summary) == (ImportJob.State.RUNNING, 2, {})
    assert not TaskLabels.objects.filter(task__project=job.project).exists()


def test_failure_message_names_no_server_path(media_root):
    """A run that fails on a server error says what went wrong, not where the server keeps its files."""
    job = running_job(attempts=0)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
    job.file.delete(save=False)
    with pytest.raises(FileNotFoundError):
        importing.run_import_job(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.FAILED
    assert job.error == "The server could not finish this: No such file or directory. The server's log has the details."
    assert str(media_root) not in job.error and "/" not in job.error


def test_job_of_an_admin_demoted_meanwhile_imports_nothing():
    """Queued by an admin who is a labeler by the time a worker runs it: rejected with the reason."""
    job = running_job(attempts=0)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
    keeper = get_user_model().objects.create_user("keeper")
    ProjectMember.objects.create(project=job.project, user=keeper, role=ProjectMember.Role.ADMIN)
    starter = ProjectMember.objects.get(project=job.project, user=job.created_by)
    members.change_role(job.project, starter.pk, ProjectMember.Role.LABELER)
    assert importing.run_import_job(job.pk) is None
    job.refresh_from_db()
    message = f"{job.created_by.username} is no longer an admin of {job.project.name}; nothing was imported."
    assert (job.state, job.errors) == (ImportJob.State.FAILED, [{"path": "", "message": message}])
    assert job.rejected
    assert not TaskLabels.objects.filter(task__project=job.project).exists()
