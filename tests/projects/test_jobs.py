"""The Celery tasks of the projects app, run by a real worker process."""

import io

import pytest
from PIL import Image

from projects.media import add_image, make_thumbnail
from projects.models import Dataset, Media
from tests.conftest import wait_for


def png_bytes(size=(64, 48), color=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    out.seek(0)
    return out


@pytest.mark.worker
def test_worker_process_makes_thumbnail(celery_worker):
    """An upload enqueues make_thumbnail; a separate worker process runs it and stores the file."""
    dataset = Dataset.objects.create(name="worker")
    media = add_image(dataset, png_bytes(), "a.png")

    def thumbnail():
        return Media.objects.filter(pk=media.pk).exclude(thumbnail="").values_list("thumbnail", flat=True).first()

    name = wait_for(thumbnail, timeout=60, message=f"the worker (log: {celery_worker.log_path})")
    assert name.startswith("thumbnails/")
    assert celery_worker.poll() is None


def test_make_thumbnail_twice_writes_once(db, django_capture_on_commit_callbacks):
    """A second make_thumbnail() run finds the thumbnail and writes nothing."""
    dataset = Dataset.objects.create(name="twice")
    with django_capture_on_commit_callbacks(execute=True):
        media = add_image(dataset, png_bytes(), "b.png")  # eager: thumbnail made on commit
    first = Media.objects.get(pk=media.pk).thumbnail.name
    assert first
    make_thumbnail(str(media.pk))
    assert Media.objects.get(pk=media.pk).thumbnail.name == first
