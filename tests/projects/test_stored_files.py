"""Deleting images, datasets and import jobs deletes their stored files once the deletion commits,
from the API and the admin, through Django's storage API: the same code runs on a storage that is
not the file system (Django's InMemoryStorage stands in for an object store). Real commits."""

import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from projects import tokens
from projects.media import add_image
from projects.models import Dataset, Media

pytestmark = pytest.mark.django_db(transaction=True)


def png(color):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "PNG")
    out.seek(0)
    return out


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", password="pw-root-123")


def images_of(dataset):
    """The stored names of a dataset's images and thumbnails (made by the eager thumbnail job)."""
    names = []
    for media in Media.objects.filter(dataset=dataset):
        assert media.thumbnail, "the thumbnail job ran on commit"
        names += [media.file.name, media.thumbnail.name]
    return names


@pytest.mark.parametrize("backend", ["file system", "in memory"])
def test_deleting_a_dataset_in_the_admin_deletes_its_images(client, superuser, settings, media_root, backend):
    if backend == "in memory":
        settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    doomed = Dataset.objects.create(name="doomed", created_by=superuser)
    kept = Dataset.objects.create(name="kept", created_by=superuser)
    for i in range(2):
        add_image(doomed, png((i, 0, 0)), f"{i}.png")
    add_image(kept, png((9, 9, 9)), "k.png")
    gone, stay = images_of(doomed), images_of(kept)
    assert all(default_storage.exists(name) for name in gone + stay)

    client.force_login(superuser)
    response = client.post(reverse("admin:projects_dataset_delete", args=[doomed.pk]), {"post": "yes"})
    assert response.status_code == 302

    assert not any(default_storage.exists(name) for name in gone)
    assert all(default_storage.exists(name) for name in stay)
    assert str(doomed.pk) not in default_storage.listdir("datasets")[0]
    if backend == "file system":
        assert not (Path(media_root) / "datasets" / str(doomed.pk)).exists()
    else:
        assert not list(Path(media_root).rglob("*.png"))  # nothing went to the disk


def test_deleting_an_image_in_the_admin_and_the_api(client, superuser):
    dataset = Dataset.objects.create(name="d", created_by=superuser)
    by_admin, by_api = add_image(dataset, png((1, 1, 1)), "a.png"), add_image(dataset, png((2, 2, 2)), "b.png")
    (admin_files, api_files) = (images_of(dataset)[:2], images_of(dataset)[2:])
    client.force_login(superuser)
    client.post(reverse("admin:projects_media_delete", args=[by_admin.pk]), {"post": "yes"})
    assert not any(default_storage.exists(name) for name in admin_files)
    assert all(default_storage.exists(name) for name in api_files)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {tokens.create_token(superuser, 'test')[1]}")
    assert api.delete(f"/api/media/{by_api.pk}").status_code == 204
    assert not any(default_storage.exists(name) for name in api_files)
