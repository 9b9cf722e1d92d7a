"""The bucket section of the dataset page (labeling/views/buckets.py): connect with a form that never
shows the secret again, form errors for bad settings, sync again, new credentials, disconnect. The
sync itself runs against a real S3-compatible server (tests/storage_server.py)."""

import io

import pytest
from django.urls import reverse
from PIL import Image

from labeling.creation import create_project
from projects.models import BucketSource, BucketSyncJob, Dataset, Media
from tests import storage_server

pytestmark = pytest.mark.django_db
SECRET = storage_server.SECRET_KEY


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def dataset(owner):
    dataset = Dataset.objects.create(name="paged", created_by=owner)
    create_project("Paged", None, owner=owner).datasets.add(dataset)
    return dataset


@pytest.fixture
def bucket(s3_endpoint, settings):
    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True
    name = storage_server.new_bucket(s3_endpoint)
    out = io.BytesIO()
    Image.new("RGB", (12, 9)).save(out, "PNG")
    storage_server.client(s3_endpoint).put_object(Bucket=name, Key="x/one.png", Body=out.getvalue())
    return name


def form(endpoint, bucket, **changes):
    return {"endpoint_url": endpoint, "bucket": bucket, "prefix": "x/", "region": storage_server.REGION,
            "access_key_id": storage_server.ACCESS_KEY, "secret_access_key": SECRET, **changes}  # fmt: skip


def test_connect_lists_the_bucket_and_never_shows_the_secret(
    client, owner, dataset, s3_endpoint, bucket, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("projects:bucket_connect", args=[dataset.pk]), form(s3_endpoint, bucket))
    assert response.status_code == 302 and response.url.endswith("#buckets")
    page = client.get(response.url).content.decode()
    assert f"Connected bucket {bucket} at {s3_endpoint}; listing it in the background." in page
    assert f"key {storage_server.ACCESS_KEY}, secret stored" in page
    assert "Done" in page and "1 added" in page and "one.png" in page
    assert SECRET not in page
    assert Media.objects.get(dataset=dataset).object_key == "x/one.png"


def test_bad_settings_show_on_the_form_and_change_nothing(client, owner, dataset, settings):
    client.force_login(owner)
    data = form("http://127.0.0.1:9000", "team", secret_access_key="")
    response = client.post(reverse("projects:bucket_connect", args=[dataset.pk]), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "127.0.0.1 is not a public internet host" in page and "Give the secret access key." in page
    assert not BucketSource.objects.exists()


def test_only_superusers_are_offered_the_servers_credentials(client, owner, dataset, django_user_model):
    client.force_login(owner)
    assert "use_server_credentials" not in client.get(reverse("projects:dataset", args=[dataset.pk])).content.decode()
    client.force_login(django_user_model.objects.create_superuser("root"))
    assert "use_server_credentials" in client.get(reverse("projects:dataset", args=[dataset.pk])).content.decode()


class TestConnected:
    @pytest.fixture
    def source(self, client, owner, dataset, s3_endpoint, bucket, django_capture_on_commit_callbacks):
        client.force_login(owner)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("projects:bucket_connect", args=[dataset.pk]), form(s3_endpoint, bucket))
        return BucketSource.objects.get()

    def test_sync_again(self, client, dataset, source, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("projects:bucket_sync", args=[dataset.pk, source.pk]))
        assert response.status_code == 302
        assert list(BucketSyncJob.objects.values_list("state", "added")) == [("done", 0), ("done", 1)]

    def test_new_credentials_keep_a_blank_secret(self, client, dataset, source, s3_endpoint):
        data = {"endpoint_url": s3_endpoint, "region": "eu-west-1", "access_key_id": "rotated", "secret_access_key": ""}
        client.post(reverse("projects:bucket_credentials", args=[dataset.pk, source.pk]), data)
        source.refresh_from_db()
        assert (source.region, source.access_key_id, source.secret_access_key) == ("eu-west-1", "rotated", SECRET)

    def test_disconnect(self, client, dataset, source):
        response = client.post(reverse("projects:bucket_disconnect", args=[dataset.pk, source.pk]))
        assert response.status_code == 302
        assert not BucketSource.objects.exists() and not Media.objects.exists()

    def test_another_datasets_source_is_a_404(self, client, owner, source):
        other = Dataset.objects.create(name="other", created_by=owner)
        assert client.post(reverse("projects:bucket_sync", args=[other.pk, source.pk])).status_code == 404
