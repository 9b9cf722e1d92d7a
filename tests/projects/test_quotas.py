"""Per-user limits (projects/quotas.py): projects a user may create and bytes of images their datasets
may hold. Over a limit every way in refuses with a sentence naming the setting, and stores nothing."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from formats import jsonio
from labeling.creation import create_project
from projects import tokens
from projects.models import Dataset, Media, Project

pytestmark = pytest.mark.django_db

CONFIGURATION = {"entries": [{"key": "car", "name": "Car", "kind": "rectangle"}]}


def api_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens.create_token(user, 'test')[1]}")
    return client


def png(name="a.png"):
    out = io.BytesIO()
    # Noise does not compress: every file is about 30 KB, so a few fill a small allowance.
    Image.effect_noise((100, 100), 64).convert("RGB").save(out, "PNG")
    out.seek(0)
    out.name = name
    return out


def error(response):
    assert response.status_code == 400, response.content
    body = jsonio.loads(response.content)
    assert set(body) == {"detail", "code", "errors"}
    return " ".join(e["message"] for e in body["errors"])


def stored_images(media_root):
    return sorted(p.name for p in (Path(media_root) / "datasets").rglob("*") if p.is_file())


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice")


class TestProjects:
    @pytest.fixture(autouse=True)
    def two_projects(self, settings):
        settings.LABELYARD_MAX_PROJECTS_PER_USER = 2

    def test_api(self, alice, django_user_model):
        api = api_client(alice)
        for name in ("one", "two"):
            assert api.post("/api/projects", {"name": name}, format="json").status_code == 201
        message = error(api.post("/api/projects", {"name": "three"}, format="json"))
        assert "alice has 2 projects" in message and "LABELYARD_MAX_PROJECTS_PER_USER = 2" in message
        assert Project.objects.count() == 2
        # The limit is per user: bob still has his two.
        bob = api_client(django_user_model.objects.create_user("bob"))
        assert bob.post("/api/projects", {"name": "one"}, format="json").status_code == 201

    def test_page_and_deleting_frees_a_place(self, client, alice):
        first = create_project("one", CONFIGURATION, owner=alice)
        create_project("two", CONFIGURATION, owner=alice)
        client.force_login(alice)
        page = client.post(reverse("projects:create"), {"name": "three", "configuration": ""})
        assert page.status_code == 200 and "LABELYARD_MAX_PROJECTS_PER_USER = 2" in page.content.decode()
        client.post(reverse("projects:delete", args=[first.pk]), {"name": "one"})
        assert client.post(reverse("projects:create"), {"name": "three", "configuration": ""}).status_code == 302

    def test_command(self, tmp_path, alice):
        path = tmp_path / "config.json"
        path.write_bytes(jsonio.dumps(CONFIGURATION))
        for name in ("one", "two"):
            call_command(
                "create_project", "--name", name, "--config", str(path), "--owner", "alice", stdout=io.StringIO()
            )
        with pytest.raises(CommandError, match="LABELYARD_MAX_PROJECTS_PER_USER"):
            call_command("create_project", "--name", "three", "--config", str(path), "--owner", "alice")

    def test_superusers_and_zero_are_unlimited(self, settings, alice, django_user_model):
        root = django_user_model.objects.create_superuser("root")
        for i in range(3):
            create_project(f"p{i}", CONFIGURATION, owner=root)
        settings.LABELYARD_MAX_PROJECTS_PER_USER = 0
        for i in range(3):
            create_project(f"p{i}", CONFIGURATION, owner=alice)
        assert Project.objects.count() == 6


class TestStorage:
    @pytest.fixture(autouse=True)
    def room_for_two(self, settings):
        # Two ~30 KB images fit; a third does not.
        settings.LABELYARD_MAX_STORED_BYTES_PER_USER = 75_000

    def test_api_upload(self, alice, media_root):
        dataset = Dataset.objects.create(name="d", created_by=alice)
        api = api_client(alice)
        for name in ("a.png", "b.png"):
            response = api.post(f"/api/datasets/{dataset.pk}/media", {"file": png(name)}, format="multipart")
            assert response.status_code == 201, response.content
        message = error(api.post(f"/api/datasets/{dataset.pk}/media", {"file": png("c.png")}, format="multipart"))
        assert "over the 75000 bytes one user may store (LABELYARD_MAX_STORED_BYTES_PER_USER)" in message
        assert Media.objects.count() == 2 and len(stored_images(media_root)) == 2

    def test_page_upload_and_datagym_v1(self, client, alice, media_root):
        dataset = Dataset.objects.create(name="d", created_by=alice)
        client.force_login(alice)
        url = reverse("projects:dataset_upload", args=[dataset.pk])
        for name in ("a.png", "b.png"):
            assert client.post(url, {"image": png(name)}).status_code == 201
        response = client.post(url, {"image": png("c.png")})
        assert response.status_code == 400 and "LABELYARD_MAX_STORED_BYTES_PER_USER" in response.json()["error"]
        key = tokens.create_token(alice, "client")[1]
        response = client.post(
            f"/api/v1/media/{dataset.pk}/file?token={key}", png().getvalue(), "image/png", HTTP_X_FILENAME="d.png"
        )
        assert response.status_code == 400 and "LABELYARD_MAX_STORED_BYTES_PER_USER" in response.json()["msg"]
        assert Media.objects.count() == 2 and len(stored_images(media_root)) == 2

    def test_images_count_against_the_datasets_owner(self, alice, django_user_model):
        """An admin of a project adding images to a dataset alice made fills alice's allowance."""
        project = create_project("Streets", CONFIGURATION, owner=alice)
        bob = django_user_model.objects.create_user("bob")
        project.memberships.create(user=bob, role="admin")
        dataset = Dataset.objects.create(name="d", created_by=alice)
        project.datasets.add(dataset)
        api = api_client(bob)
        for name in ("a.png", "b.png"):
            api.post(f"/api/datasets/{dataset.pk}/media", {"file": png(name)}, format="multipart")
        message = error(api.post(f"/api/datasets/{dataset.pk}/media", {"file": png("c.png")}, format="multipart"))
        assert "alice's datasets" in message
        own = Dataset.objects.create(name="own", created_by=bob)
        response = api.post(f"/api/datasets/{own.pk}/media", {"file": png("c.png")}, format="multipart")
        assert response.status_code == 201

    def test_command_with_images_is_all_or_nothing(self, tmp_path, alice, media_root):
        path = tmp_path / "config.json"
        path.write_bytes(jsonio.dumps(CONFIGURATION))
        images = tmp_path / "images"
        images.mkdir()
        for name in ("a.png", "b.png", "c.png"):
            (images / name).write_bytes(png().getvalue())
        with pytest.raises(CommandError, match="LABELYARD_MAX_STORED_BYTES_PER_USER"):
            call_command("create_project", "--name", "p", "--config", str(path), "--owner", "alice",
                         "--images", str(images))  # fmt: skip
        assert not Project.objects.exists() and not Media.objects.exists()
        assert stored_images(media_root) == []
