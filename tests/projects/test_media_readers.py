"""Every reader of image bytes goes through projects.media.open_media, so an image that stays in a
bucket is served like an uploaded one: the workspace's image and thumbnail, the API's media file,
the DataGym v1 download and a release's signed image link. When the bucket object is gone the answer
is a 404 saying so, never a 500. Real S3-compatible server (tests/storage_server.py)."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from exports import signing
from exports.models import Release
from labeling.creation import create_project
from projects import tokens
from projects.media import make_thumbnail
from projects.models import BucketSource, Dataset, Media, ThumbnailJob
from tests import storage_server

pytestmark = pytest.mark.django_db


def png(size=(48, 32)):
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 40)).save(out, "PNG")
    return out.getvalue()


IMAGE = png()


@pytest.fixture
def world(settings, s3_endpoint, django_user_model):
    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True
    bucket = storage_server.new_bucket(s3_endpoint)
    storage_server.client(s3_endpoint).put_object(Bucket=bucket, Key="in/a.png", Body=IMAGE)
    owner = django_user_model.objects.create_user("owner")
    project = create_project("Readers", None, owner=owner)
    dataset = Dataset.objects.create(name="readers", created_by=owner)
    project.datasets.add(dataset)
    source = BucketSource.objects.create(dataset=dataset, endpoint_url=s3_endpoint, bucket=bucket, prefix="in/",
                                         region=storage_server.REGION, access_key_id=storage_server.ACCESS_KEY,
                                         secret_access_key=storage_server.SECRET_KEY)  # fmt: skip
    media = Media.objects.create(dataset=dataset, source=source, object_key="in/a.png", original_name="a.png",
                                 width=48, height=32, mime_type="image/png", sha256="", size=len(IMAGE))  # fmt: skip
    release = Release.objects.create(project=project, name="r1", task_type=Release.TaskType.VECTOR,
                                     base_url="http://testserver", state=Release.State.DONE)  # fmt: skip
    return {"owner": owner, "media": media, "release": release, "key": tokens.create_token(owner, "readers")[1],
            "endpoint": s3_endpoint, "bucket": bucket}  # fmt: skip


def requests(world):
    media = world["media"]
    link = signing.token(signing.new_signer(), world["release"].pk, media.pk, signing.IMAGE)
    token = {"HTTP_AUTHORIZATION": f"Token {world['key']}"}
    return {
        "workspace image": (reverse("projects:media_file", args=[media.pk]), {}),
        "workspace thumbnail (none yet)": (reverse("projects:media_thumbnail", args=[media.pk]), {}),
        "API media file": (reverse("api:media-file", args=[media.pk]), token),
        "DataGym v1 download": (f"/api/v1/media/{media.pk}", token),
        "release image link": (reverse("exports:release_file", args=[link, f"{media.pk}.png"]), {}),
    }


READERS = ["workspace image", "workspace thumbnail (none yet)", "API media file", "DataGym v1 download",
           "release image link"]  # fmt: skip


@pytest.mark.parametrize("reader", READERS)
def test_serves_the_bucket_object(client, world, reader):
    client.force_login(world["owner"])
    path, headers = requests(world)[reader]
    response = client.get(path, **headers)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == IMAGE


@pytest.mark.parametrize("reader", READERS)
def test_a_gone_object_is_a_404(client, world, reader):
    storage_server.client(world["endpoint"]).delete_object(Bucket=world["bucket"], Key="in/a.png")
    client.force_login(world["owner"])
    path, headers = requests(world)[reader]
    assert client.get(path, **headers).status_code == 404


def test_the_thumbnail_job_reads_the_bucket(world):
    job = ThumbnailJob.objects.create(media=world["media"])
    make_thumbnail(world["media"].pk)
    media = Media.objects.get(pk=world["media"].pk)
    with Image.open(media.thumbnail.open("rb")) as thumbnail:
        assert thumbnail.size == (48, 32)
    job.refresh_from_db()
    assert job.state == ThumbnailJob.State.DONE


def test_a_gone_object_fails_the_thumbnail_job_with_the_reason(world):
    job = ThumbnailJob.objects.create(media=world["media"])
    storage_server.client(world["endpoint"]).delete_object(Bucket=world["bucket"], Key="in/a.png")
    make_thumbnail(world["media"].pk)
    job.refresh_from_db()
    assert (job.state, job.error) == (
        ThumbnailJob.State.FAILED,
        f"`in/a.png` in bucket {world['bucket']} at {world['endpoint']} does not exist (any more).",
    )
    assert not Media.objects.get(pk=world["media"].pk).thumbnail


def test_an_object_replaced_by_another_size_gets_no_thumbnail(world):
    job = ThumbnailJob.objects.create(media=world["media"])
    storage_server.client(world["endpoint"]).put_object(Bucket=world["bucket"], Key="in/a.png", Body=png((20, 20)))
    make_thumbnail(world["media"].pk)
    job.refresh_from_db()
    assert (job.state, job.error) == (
        ThumbnailJob.State.FAILED, "`a.png` is 20x20 in its bucket now, not 48x32 as when it was synced."
    )  # fmt: skip


def test_the_datagym_api_names_bucket_images_aws_s3(client, world):
    """DataGym's own media source types: LOCAL, SHAREABLE_LINK and AWS_S3 for images in a bucket."""
    dataset = world["media"].dataset_id
    answer = client.get(f"/api/v1/dataset/{dataset}", HTTP_AUTHORIZATION=f"Token {world['key']}").json()
    assert [(m["mediaName"], m["mediaSourceType"]) for m in answer["media"]] == [("a.png", "AWS_S3")]
