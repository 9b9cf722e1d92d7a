"""The server-rendered project pages and the admin."""

import io

import pytest
from django.apps import apps
from django.urls import reverse
from PIL import Image

from demo.seeding import CONFIGURATION
from labeling.creation import create_project
from labeling.models import Task, TaskLabels
from projects.models import Media, Project, ProjectMember

pytestmark = pytest.mark.django_db


def upload(name, fmt="PNG"):
    out = io.BytesIO()
    Image.new("RGB", (20, 10)).save(out, fmt)
    out.seek(0)
    out.name = name
    return out


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner", password="pw-owner-123")


@pytest.fixture
def project(owner):
    return create_project("Streets", CONFIGURATION, owner=owner, description="<script>alert(1)</script>")


def test_login_required(client):
    response = client.get(reverse("projects:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_and_login(client, owner):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "owner", "password": "pw-owner-123"})
    assert response.status_code == 302


def test_project_list_shows_only_my_projects(client, owner, project, django_user_model):
    create_project("Secret", CONFIGURATION, owner=django_user_model.objects.create_user("other"))
    client.force_login(owner)
    page = client.get(reverse("projects:list")).content.decode()
    assert "Streets" in page
    assert "Secret" not in page


def test_project_home_escapes_and_counts(client, owner, project):
    client.force_login(owner)
    page = client.get(project.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Backlog" in page


def test_stranger_gets_404_and_labeler_403(client, project, django_user_model):
    stranger = django_user_model.objects.create_user("stranger")
    client.force_login(stranger)
    assert client.get(project.get_absolute_url()).status_code == 404
    labeler = django_user_model.objects.create_user("lab")
    ProjectMember.objects.create(project=project, user=labeler, role="labeler")
    client.force_login(labeler)
    assert client.get(project.get_absolute_url()).status_code == 200
    assert client.get(reverse("projects:configuration", args=[project.pk])).status_code == 403
    assert client.get(reverse("projects:upload_images", args=[project.pk])).status_code == 403


def test_create_project_page(client, owner):
    client.force_login(owner)
    response = client.post(reverse("projects:create"), {"name": "New", "configuration": ""})
    project = Project.objects.get(name="New")
    assert response["Location"] == project.get_absolute_url()
    assert project.memberships.get().user == owner


def test_create_project_page_shows_config_errors(client, owner):
    client.force_login(owner)
    response = client.post(reverse("projects:create"), {"name": "New", "configuration": '[{"key": "a"}]'})
    assert response.status_code == 200
    assert "`a`: kind must be one of" in response.content.decode()
    assert not Project.objects.filter(name="New").exists()


def test_upload_many_images(client, owner, project):
    client.force_login(owner)
    url = reverse("projects:upload_images", args=[project.pk])
    response = client.post(url, {"new_dataset_name": "batch", "images": [upload("a.png"), upload("b.jpg", "JPEG")]})
    assert response.status_code == 302
    assert Task.objects.filter(project=project).count() == 2
    media = Media.objects.get(original_name="b.jpg")
    assert client.get(reverse("projects:media_file", args=[media.pk])).status_code == 200


def test_upload_reports_each_bad_file(client, owner, project):
    client.force_login(owner)
    bad = io.BytesIO(b"not an image")
    bad.name = "evil.png"
    url = reverse("projects:upload_images", args=[project.pk])
    response = client.post(url, {"new_dataset_name": "batch", "images": [upload("ok.png"), bad]}, follow=True)
    page = response.content.decode()
    assert "`evil.png` is not an image." in page
    assert list(Media.objects.values_list("original_name", flat=True)) == ["ok.png"]


def test_media_of_other_projects_is_hidden(client, project, django_user_model):
    other = django_user_model.objects.create_user("other")
    client.force_login(other)
    media = Media.objects.create(
        dataset=project.datasets.create(name="d"), original_name="x.png", width=1, height=1, mime_type="image/png"
    )
    assert client.get(reverse("projects:media_file", args=[media.pk])).status_code == 404


def test_configuration_editor(client, owner, project):
    client.force_login(owner)
    url = reverse("projects:configuration", args=[project.pk])
    assert "car_type" in client.get(url).content.decode()
    response = client.post(url, {"configuration": '{"entries": [{"key": "car", "kind": "polygon"}, '
                                                  '{"key": "car", "kind": "line"}]}'})  # fmt: skip
    assert "`car`: another root entry has the same key" in response.content.decode()
    project.label_configuration.refresh_from_db()
    assert project.label_configuration.revision == 0
    response = client.post(url, {"configuration": '{"entries": [{"key": "bus", "kind": "rectangle"}]}'})
    assert response.status_code == 302
    project.label_configuration.refresh_from_db()
    assert project.label_configuration.entries[0]["key"] == "bus"
    assert project.label_configuration.revision == 1


@pytest.mark.parametrize(
    "model", [m for m in apps.get_models() if m._meta.app_label in {"projects", "labeling", "exports"}]
)
def test_admin_lists_every_model(admin_client, project, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert admin_client.get(url, {"q": "x"}).status_code == 200


def test_edit_project(client, owner, project):
    client.force_login(owner)
    response = client.post(reverse("projects:edit", args=[project.pk]), {"name": "Renamed", "description": "d"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.name, project.description) == ("Renamed", "d")


def test_delete_needs_the_name(client, owner, project):
    client.force_login(owner)
    url = reverse("projects:delete", args=[project.pk])
    assert "cannot be undone" in client.get(url).content.decode()
    response = client.post(url, {"name": "streets"})
    assert "The name does not match" in response.content.decode()
    assert Project.objects.filter(pk=project.pk).exists()
    assert client.post(url, {"name": "Streets"}).status_code == 302
    assert not Project.objects.filter(pk=project.pk).exists()


def test_delete_is_for_admins(client, project, django_user_model):
    reviewer = django_user_model.objects.create_user("rev")
    ProjectMember.objects.create(project=project, user=reviewer, role="reviewer")
    client.force_login(reviewer)
    assert client.post(reverse("projects:delete", args=[project.pk]), {"name": "Streets"}).status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_export_button_needs_labels(client, owner, project):
    client.force_login(owner)
    assert (
        'disabled title="There are no labels to export yet"' in client.get(project.get_absolute_url()).content.decode()
    )
    media = Media.objects.create(
        dataset=project.datasets.create(name="d"), original_name="x.png", width=1, height=1, mime_type="image/png"
    )
    TaskLabels.objects.create(task=Task.objects.create(project=project, media=media))
    page = client.get(project.get_absolute_url()).content.decode()
    assert 'id="export-labels" href="/projects/' in page
