"""Syncing a bucket source (labeling/bucket_syncs.py) against a real S3-compatible server: image
objects under the prefix become Media that refer to them (nothing copied) and tasks in the projects
the dataset is attached to; syncing again adds only new keys; a bucket that refuses fails the job
with the reason. moto listens on 127.0.0.1, so private addresses are allowed here (the address rules:
tests/projects/test_buckets.py)."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from background import sweeping
from labeling import bucket_syncs
from labeling.creation import create_project
from labeling.models import Task
from projects import quotas
from projects.models import BucketSyncJob, Dataset, Media
from tests import storage_server

pytestmark = pytest.mark.django_db
State = BucketSyncJob.State


def image(fmt, size):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 10)).save(out, fmt)
    return out.getvalue()


JPEG = image("JPEG", (640, 480))
PNG = image("PNG", (320, 200))
GIF = image("GIF", (50, 40))


@pytest.fixture(autouse=True)
def private_allowed(settings):
    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def dataset(owner):
    return Dataset.objects.create(name="street", created_by=owner)


@pytest.fixture
def project(owner, dataset):
    project = create_project("Street", None, owner=owner)
    project.datasets.add(dataset)
    return project


@pytest.fixture
def bucket(s3_endpoint):
    name = storage_server.new_bucket(s3_endpoint)
    for key, data in {
        "photos/a.jpg": JPEG,
        "photos/b.png": PNG,
        "photos/sub/c.GIF": GIF,
        "photos/readme.txt": b"not listed: not an image name",
        "photos/bad.jpg": b"a text file with an image's name",
        "other/d.png": PNG,
    }.items():
        put(s3_endpoint, name, key, data)
    return name


def put(endpoint, bucket, key, data):
    storage_server.client(endpoint).put_object(Bucket=bucket, Key=key, Body=data)


def fields(endpoint, bucket, prefix="photos/"):
    return {"endpoint_url": endpoint, "bucket": bucket, "prefix": prefix, "region": storage_server.REGION,
            "access_key_id": storage_server.ACCESS_KEY, "secret_access_key": storage_server.SECRET_KEY}  # fmt: skip


def connect(dataset, owner, endpoint, bucket, capture, prefix="photos/"):
    with capture(execute=True):
        source, job = bucket_syncs.connect(dataset, fields(endpoint, bucket, prefix), owner)
    job.refresh_from_db()
    return source, job


def sync_again(source, owner, capture):
    with capture(execute=True):
        job, created = bucket_syncs.start_sync(source, owner)
    assert created
    job.refresh_from_db()
    return job


def test_images_stay_in_the_bucket_and_become_tasks(
    s3_endpoint, bucket, owner, project, dataset, media_root, django_capture_on_commit_callbacks
):
    source, job = connect(dataset, owner, s3_endpoint, bucket, django_capture_on_commit_callbacks)
    assert (job.state, job.error) == (State.DONE, "")
    assert (job.found, job.checked, job.added, job.failed) == (4, 4, 3, 1)
    assert job.errors == ["`bad.jpg` is not a JPEG, PNG, GIF, BMP, TIFF or WebP image."]
    media = {m.original_name: m for m in Media.objects.filter(dataset=dataset)}
    assert {name: (m.width, m.height, m.mime_type, m.size, m.object_key) for name, m in media.items()} == {
        "a.jpg": (640, 480, "image/jpeg", len(JPEG), "photos/a.jpg"),
        "b.png": (320, 200, "image/png", len(PNG), "photos/b.png"),
        "sub/c.GIF": (50, 40, "image/gif", len(GIF), "photos/sub/c.GIF"),
    }
    assert all(m.source_id == source.pk and not m.file for m in media.values())
    assert set(Task.objects.filter(project=project).values_list("media__original_name", flat=True)) == set(media)
    # Nothing was copied: the only files written are the thumbnails, made from the bucket's bytes.
    stored = sorted(p.relative_to(media_root).parts[0] for p in Path(media_root).rglob("*") if p.is_file())
    assert stored == ["thumbnails"] * 3
    with Image.open(Media.objects.get(original_name="a.jpg").thumbnail.open("rb")) as thumbnail:
        assert thumbnail.size == (256, 192)


def test_syncing_again_adds_only_new_keys(
    s3_endpoint, bucket, owner, project, dataset, django_capture_on_commit_callbacks
):
    source, _ = connect(dataset, owner, s3_endpoint, bucket, django_capture_on_commit_callbacks)
    put(s3_endpoint, bucket, "photos/e.png", PNG)
    job = sync_again(source, owner, django_capture_on_commit_callbacks)
    assert (job.state, job.found, job.checked, job.added, job.failed) == (State.DONE, 5, 5, 1, 1)
    assert Media.objects.filter(dataset=dataset).count() == 4
    assert Task.objects.filter(project=project).count() == 4
    # The same job delivered twice does nothing the second time.
    assert bucket_syncs.run_sync(job.pk) is None
    assert Media.objects.filter(dataset=dataset).count() == 4


def test_images_in_a_bucket_take_no_storage_allowance(
    s3_endpoint, bucket, owner, dataset, settings, django_capture_on_commit_callbacks
):
    """projects/quotas.py counts the bytes Labelyard stores; a bucket's images stay in the bucket."""
    settings.LABELYARD_MAX_STORED_BYTES_PER_USER = 100
    _, job = connect(dataset, owner, s3_endpoint, bucket, django_capture_on_commit_callbacks)
    assert job.added == 3
    assert quotas.stored_bytes(owner) == 0


def test_one_sync_per_source_at_a_time(s3_endpoint, bucket, owner, dataset, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        source, first = bucket_syncs.connect(dataset, fields(s3_endpoint, bucket), owner)
        again, created = bucket_syncs.start_sync(source, owner)
    assert (again.pk, created, len(queued)) == (first.pk, False, 1)


def test_a_name_the_dataset_holds_is_refused(s3_endpoint, bucket, owner, dataset, django_capture_on_commit_callbacks):
    uploaded = Media(dataset=dataset, original_name="a.jpg", width=1, height=1, mime_type="image/jpeg", sha256="")
    uploaded.file.save("image.jpg", ContentFile(JPEG))
    _, job = connect(dataset, owner, s3_endpoint, bucket, django_capture_on_commit_callbacks)
    assert (job.added, job.failed) == (2, 2)
    assert "`a.jpg` is already in the dataset (from an upload or another source)." in job.errors
    assert Media.objects.get(dataset=dataset, original_name="a.jpg").pk == uploaded.pk


def test_a_missing_bucket_fails_the_job_with_the_reason(
    s3_endpoint, owner, dataset, django_capture_on_commit_callbacks
):
    _, job = connect(dataset, owner, s3_endpoint, "no-such-bucket-anywhere", django_capture_on_commit_callbacks)
    assert (job.state, job.error) == (State.FAILED, f"There is no bucket no-such-bucket-anywhere at {s3_endpoint}.")
    assert not Media.objects.exists()


def test_a_lost_workers_job_carries_on(s3_endpoint, bucket, owner, dataset, django_capture_on_commit_callbacks):
    """A job left running by a dead worker is taken over once its heartbeat is stale; keys stored
    before are skipped and still counted as added by the job."""
    source, job = connect(dataset, owner, s3_endpoint, bucket, django_capture_on_commit_callbacks)
    Media.objects.filter(original_name="b.png").delete()
    stale = timezone.now() - timedelta(hours=1)
    BucketSyncJob.objects.filter(pk=job.pk).update(state=State.RUNNING, heartbeat=stale)
    assert bucket_syncs.run_sync(job.pk) is None
    job.refresh_from_db()
    assert (job.state, job.attempts, job.added) == (State.DONE, 2, 4)
    assert Media.objects.filter(dataset=dataset).count() == 3


def test_a_held_job_is_left_alone(s3_endpoint, bucket, owner, dataset, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        _, job = bucket_syncs.connect(dataset, fields(s3_endpoint, bucket), owner)
    BucketSyncJob.objects.filter(pk=job.pk).update(state=State.RUNNING, heartbeat=timezone.now())
    wait = bucket_syncs.run_sync(job.pk)
    assert wait is not None and wait > 60
    assert not Media.objects.exists()


def test_the_sweeper_sends_a_lost_sync_again(s3_endpoint, bucket, owner, dataset, django_capture_on_commit_callbacks):
    """A sync whose message was lost (queued, heartbeat stale) is found by background/sweeping.py."""
    with django_capture_on_commit_callbacks():
        _, job = bucket_syncs.connect(dataset, fields(s3_endpoint, bucket), owner)
    BucketSyncJob.objects.filter(pk=job.pk).update(heartbeat=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweeping.sweep()["projects.BucketSyncJob"] == (1, 0)
    job.refresh_from_db()
    assert (job.state, job.added) == (State.DONE, 3)
