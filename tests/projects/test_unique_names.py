"""Project and dataset names are unique per owner: two teams may both call a project `Streets`, and
"already taken" only ever speaks of the asker's own names (it told anyone other teams' names)."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from formats import jsonio
from labeling.creation import ProjectRejected, create_project
from projects import tokens
from projects.models import Dataset, Project

pytestmark = pytest.mark.django_db

CONFIGURATION = {"entries": [{"key": "car", "name": "Car", "kind": "rectangle"}]}


def api_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.create_token(user, 'test')[1]}")
    return client


def png(name="a.png"):
    out = io.BytesIO()
    Image.new("RGB", (8, 6)).save(out, "PNG")
    out.seek(0)
    out.name = name
    return out


def field_errors(response, path="name"):
    assert response.status_code == 400, response.content
    body = jsonio.loads(response.content)
    assert set(body) == {"detail", "code", "errors"}
    return [e["message"] for e in body["errors"] if e["path"] == path]


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob")


class TestProjects:
    def test_two_owners_may_use_one_name_through_the_api(self, alice, bob):
        assert api_client(alice).post("/api/projects", {"name": "Streets"}, format="json").status_code == 201
        # Before, bob learnt that some team has a project named Streets.
        response = api_client(bob).post("/api/projects", {"name": "Streets"}, format="json")
        assert response.status_code == 201, response.content
        assert sorted(Project.objects.values_list("created_by__username", "name")) == [
            ("alice", "Streets"),
            ("bob", "Streets"),
        ]

    def test_a_duplicate_of_ones_own_is_a_400_naming_the_rule(self, alice):
        api = api_client(alice)
        api.post("/api/projects", {"name": "Streets"}, format="json")
        assert field_errors(api.post("/api/projects", {"name": "Streets"}, format="json")) == [
            "You already have a project named `Streets` (project names are unique per owner)."
        ]
        assert Project.objects.count() == 1

    def test_renaming_through_the_api(self, alice, bob):
        create_project("Streets", CONFIGURATION, owner=bob)
        create_project("Roads", CONFIGURATION, owner=alice)
        mine = create_project("Fields", CONFIGURATION, owner=alice)
        api = api_client(alice)
        assert field_errors(api.patch(f"/api/projects/{mine.pk}", {"name": "Roads"}, format="json")) == [
            "You already have a project named `Roads` (project names are unique per owner)."
        ]
        response = api.patch(f"/api/projects/{mine.pk}", {"name": "Streets"}, format="json")
        assert response.status_code == 200, response.content
        # Saving a project under its own name is no clash.
        assert api.patch(f"/api/projects/{mine.pk}", {"name": "Streets"}, format="json").status_code == 200

    def test_another_admin_renaming_the_owners_project(self, alice, bob):
        create_project("Roads", CONFIGURATION, owner=alice)
        project = create_project("Fields", CONFIGURATION, owner=alice)
        project.memberships.create(user=bob, role="admin")
        response = api_client(bob).patch(f"/api/projects/{project.pk}", {"name": "Roads"}, format="json")
        assert field_errors(response) == [
            "alice already has a project named `Roads` (project names are unique per owner)."
        ]

    def test_pages(self, client, alice, bob):
        create_project("Streets", CONFIGURATION, owner=bob)
        client.force_login(alice)
        response = client.post(reverse("projects:create"), {"name": "Streets", "configuration": ""})
        assert response.status_code == 302
        page = client.post(reverse("projects:create"), {"name": "Streets", "configuration": ""}).content.decode()
        assert "You already have a project named `Streets`" in page
        other = create_project("Roads", CONFIGURATION, owner=alice)
        page = client.post(reverse("projects:edit", args=[other.pk]), {"name": "Streets"}).content.decode()
        assert "You already have a project named `Streets`" in page
        assert Project.objects.filter(created_by=alice).count() == 2
        assert Project.objects.get(pk=other.pk).name == "Roads"

    def test_command(self, tmp_path, alice, bob):
        path = tmp_path / "config.json"
        path.write_bytes(jsonio.dumps(CONFIGURATION))
        images = tmp_path / "images"
        images.mkdir()
        Image.new("RGB", (8, 6)).save(images / "a.png")

        def run(owner):
            out = io.StringIO()
            call_command("create_project", "--name", "Streets", "--config", str(path), "--owner", owner,
                         "--images", str(images), stdout=out)  # fmt: skip
            return int(out.getvalue())

        first, second = run("alice"), run("bob")
        assert first != second
        with pytest.raises(CommandError, match="alice already has a project named `Streets`"):
            run("alice")
        # Each owner's images went into a dataset of that owner named like the project.
        assert sorted(Dataset.objects.values_list("created_by__username", "name")) == [
            ("alice", "Streets"),
            ("bob", "Streets"),
        ]

    def test_the_database_holds_the_rule(self, alice, bob):
        Project.objects.create(name="Streets", created_by=alice)
        Project.objects.create(name="Streets", created_by=bob)
        with pytest.raises(IntegrityError), transaction.atomic():
            Project.objects.create(name="Streets", created_by=alice)

    def test_ownerless_projects_clash_among_themselves(self):
        create_project("Streets", CONFIGURATION)
        with pytest.raises(ProjectRejected, match="without an owner is already named `Streets`"):
            create_project("Streets", CONFIGURATION)


class TestDatasets:
    def test_api(self, alice, bob):
        assert api_client(alice).post("/api/datasets", {"name": "batch"}, format="json").status_code == 201
        assert api_client(bob).post("/api/datasets", {"name": "batch"}, format="json").status_code == 201
        assert field_errors(api_client(alice).post("/api/datasets", {"name": "batch"}, format="json")) == [
            "You already have a dataset named `batch` (dataset names are unique per owner)."
        ]
        assert Dataset.objects.count() == 2

    def test_dataset_page(self, client, alice, bob):
        Dataset.objects.create(name="batch", created_by=bob)
        client.force_login(alice)
        assert client.post(reverse("projects:datasets"), {"name": "batch"}).status_code == 302
        page = client.post(reverse("projects:datasets"), {"name": "batch"}).content.decode()
        assert "You already have a dataset named `batch`" in page
        assert Dataset.objects.filter(created_by=alice).count() == 1

    def test_upload_page_new_dataset(self, client, alice, bob):
        Dataset.objects.create(name="batch", created_by=bob)
        project = create_project("Streets", CONFIGURATION, owner=alice)
        client.force_login(alice)
        url = reverse("projects:upload_images", args=[project.pk])
        assert client.post(url, {"new_dataset_name": "batch", "images": [png()]}).status_code == 302
        page = client.post(url, {"new_dataset_name": "batch", "images": [png("b.png")]}).content.decode()
        assert "You already have a dataset named `batch`" in page
        assert Dataset.objects.filter(created_by=alice).count() == 1

    def test_datagym_v1(self, client, alice, bob):
        Dataset.objects.create(name="batch", created_by=bob)
        key = tokens.create_token(alice, "client")[1]
        response = client.post(f"/api/v1/dataset?token={key}", {"name": "batch"}, "application/json")
        assert response.status_code == 200, response.content
        response = client.post(f"/api/v1/dataset?token={key}", {"name": "batch"}, "application/json")
        assert response.status_code == 412
        assert jsonio.loads(response.content)["key"] == "ex_alreadyexists"

    def test_admin_form(self, client, django_user_model, alice):
        admin = django_user_model.objects.create_superuser("root", password="pw-root-123")
        Dataset.objects.create(name="batch", created_by=alice)
        client.force_login(admin)
        url = reverse("admin:projects_dataset_add")
        response = client.post(url, {"name": "batch", "short_description": "", "created_by": alice.pk})
        assert response.status_code == 200
        assert "already exists" in response.content.decode()
        assert client.post(url, {"name": "batch", "short_description": "", "created_by": admin.pk}).status_code == 302
