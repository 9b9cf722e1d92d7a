"""The three entry points of the label import: the API, the project page and the command."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from formats import jsonio
from labeling.models import ImportJob, Task, TaskLabels
from projects.models import ProjectMember
from tests.formats.test_datagym import MEDIA, SEED_FILE
from tests.labeling.test_importing import make_project

BAD_FILE = [{"internal_media_ID": MEDIA, "labels": {"car": [{"polygon": [{"x": 1, "y": 1}]}]}}]
BAD_ERROR = {"path": "[0].labels.car[0].polygon", "message": "a polygon needs at least 3 points; got 1"}


@pytest.fixture
def project(db):
    return make_project()


def member(project, role, name):
    user = get_user_model().objects.create_user(name, password="pw-123456789")
    ProjectMember.objects.create(project=project, user=user, role=role)
    return user


@pytest.fixture
def admin_client(project):
    client = APIClient()
    client.force_authenticate(member(project, ProjectMember.Role.ADMIN, "boss"))
    return client


def url(project):
    return reverse("api:imports", args=[project.pk])


def test_api_json_body_imports_and_answers_201(project, admin_client):
    response = admin_client.post(url(project), jsonio.dumps(SEED_FILE), content_type="application/json")
    assert response.status_code == 201
    assert response.json()["geometries_added"] == 4
    assert TaskLabels.objects.get(task__media_id=MEDIA).imported_count == 4


def test_api_multipart_dry_run_answers_200_and_writes_nothing(project, admin_client):
    upload = SimpleUploadedFile("seed.json", jsonio.dumps(SEED_FILE))
    response = admin_client.post(url(project), {"file": upload, "dry_run": "true"}, format="multipart")
    assert response.status_code == 200
    assert response.json()["dry_run"] is True
    assert not TaskLabels.objects.exists()


def test_api_invalid_file_answers_400_with_every_error(project, admin_client):
    response = admin_client.post(url(project), jsonio.dumps(BAD_FILE), content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "1 error(s); nothing was imported", "code": "invalid_import",
                               "errors": [BAD_ERROR]}  # fmt: skip
    assert not TaskLabels.objects.exists()
    assert Task.objects.get(media_id=MEDIA).version == 0


def test_api_garbage_body_is_a_400_not_a_500(project, admin_client):
    response = admin_client.post(url(project), b"\xff\xfe{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["path"] == ""


def test_api_file_over_the_limit_answers_413(project, admin_client, settings):
    settings.LABELYARD_MAX_IMPORT_BYTES = 100
    response = admin_client.post(url(project), jsonio.dumps(SEED_FILE), content_type="application/json")
    assert response.status_code == 413
    assert "LABELYARD_MAX_IMPORT_BYTES" in response.json()["errors"][0]["message"]


def test_api_is_for_project_admins_only(project):
    client = APIClient()
    client.force_authenticate(member(project, ProjectMember.Role.LABELER, "lab"))
    response = client.post(url(project), jsonio.dumps(SEED_FILE), content_type="application/json")
    assert response.status_code == 403
    assert not TaskLabels.objects.exists()


def test_page_imports_a_small_file_inline_and_shows_the_report(project, client):
    client.force_login(member(project, ProjectMember.Role.ADMIN, "boss"))
    page = client.get(reverse("labeling:import", args=[project.pk]))
    assert page.status_code == 200
    upload = SimpleUploadedFile("seed.json", jsonio.dumps(SEED_FILE))
    response = client.post(reverse("labeling:import", args=[project.pk]), {"file": upload}, follow=True)
    assert response.status_code == 200
    assert b'id="import-summary"' in response.content
    job = ImportJob.objects.get()
    assert (job.state, job.summary["geometries_added"]) == (ImportJob.State.DONE, 4)
    detail = client.get(project.get_absolute_url())
    assert reverse("labeling:import", args=[project.pk]).encode() in detail.content


def test_page_shows_the_error_table(project, client):
    client.force_login(member(project, ProjectMember.Role.ADMIN, "boss"))
    upload = SimpleUploadedFile("bad.json", jsonio.dumps(BAD_FILE))
    response = client.post(reverse("labeling:import", args=[project.pk]), {"file": upload, "clip": "on"}, follow=True)
    assert b'id="import-errors"' in response.content
    assert b"a polygon needs at least 3 points; got 1" in response.content


def test_page_queues_a_large_file_and_shows_progress(project, client, settings, django_capture_on_commit_callbacks):
    settings.LABELYARD_IMPORT_INLINE_BYTES = 10
    client.force_login(member(project, ProjectMember.Role.ADMIN, "boss"))
    upload = SimpleUploadedFile("seed.json", jsonio.dumps(SEED_FILE))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("labeling:import", args=[project.pk]), {"file": upload}, follow=True)
    assert b'id="import-progress"' in response.content
    job = ImportJob.objects.get()
    assert job.state == ImportJob.State.QUEUED
    status = client.get(reverse("labeling:import_status", args=[project.pk, job.pk])).json()
    assert status == {"status": "queued", "progress": 0, "finished": False}
    assert len(callbacks) == 1


def test_command_imports_and_prints_a_summary(project, tmp_path):
    path = tmp_path / "seed.json"
    path.write_bytes(jsonio.dumps(SEED_FILE))
    out = io.StringIO()
    call_command("import_labels", str(project.pk), str(path), stdout=out)
    assert out.getvalue().strip() == ("Imported: 1 task(s), 4 geometries added, 0 replaced, 2 classifications set.")


def test_command_prints_one_line_per_error_and_fails(project, tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(jsonio.dumps(BAD_FILE))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_labels", str(project.pk), str(path), "--dry-run", stderr=err)
    assert err.getvalue().strip() == f"{BAD_ERROR['path']}: {BAD_ERROR['message']}"
    assert not TaskLabels.objects.exists()
