"""The bucket source API (api/buckets.py) against a real S3-compatible server: connecting queues a
sync, answers never carry the secret, bad settings are a 400 with every problem, syncing again and
disconnecting, and the server's own credentials for superusers (tests/storage_server.py)."""

import io

import pytest
from PIL import Image

from formats import jsonio
from labeling.creation import create_project
from labeling.models import Task
from projects import tokens
from projects.models import BucketSource, Dataset, Media
from tests import storage_server

pytestmark = pytest.mark.django_db
SECRET = storage_server.SECRET_KEY


def png(size):
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def private_allowed(settings):
    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def dataset(owner):
    dataset = Dataset.objects.create(name="api bucket", created_by=owner)
    create_project("Bucketed", None, owner=owner).datasets.add(dataset)
    return dataset


@pytest.fixture
def bucket(s3_endpoint):
    name = storage_server.new_bucket(s3_endpoint)
    for key in ("cam/1.png", "cam/2.png"):
        storage_server.client(s3_endpoint).put_object(Bucket=name, Key=key, Body=png((30, 20)))
    return name


def call(client, user, method, path, body=None):
    key = tokens.create_token(user, "buckets")[1]
    return client.generic(method, path, jsonio.dumps(body) if body is not None else "",
                          content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")  # fmt: skip


def settings_body(endpoint, bucket, **changes):
    return {"endpoint_url": endpoint, "bucket": bucket, "prefix": "cam/", "region": storage_server.REGION,
            "access_key_id": storage_server.ACCESS_KEY, "secret_access_key": SECRET, **changes}  # fmt: skip


@pytest.mark.usefixtures("private_allowed")
class TestConnect:
    def test_connects_syncs_and_never_shows_the_secret(
        self, client, owner, dataset, s3_endpoint, bucket, django_capture_on_commit_callbacks
    ):
        path = f"/api/datasets/{dataset.pk}/bucket-sources"
        with django_capture_on_commit_callbacks(execute=True):
            response = call(client, owner, "POST", path, settings_body(s3_endpoint, bucket))
        assert response.status_code == 202, response.content
        assert SECRET.encode() not in response.content
        body = response.json()
        assert {k: body[k] for k in ("bucket", "prefix", "access_key_id", "has_secret")} == {
            "bucket": bucket, "prefix": "cam/", "access_key_id": storage_server.ACCESS_KEY, "has_secret": True
        }  # fmt: skip
        source = call(client, owner, "GET", f"/api/bucket-sources/{body['id']}")
        assert SECRET.encode() not in source.content
        sync = source.json()["last_sync"]
        assert {k: sync[k] for k in ("state", "progress", "found", "added", "failed")} == {
            "state": "done", "progress": 100, "found": 2, "added": 2, "failed": 0
        }  # fmt: skip
        assert source.json()["media_count"] == 2
        media = call(client, owner, "GET", f"/api/datasets/{dataset.pk}/media").json()["results"]
        assert [(m["original_name"], m["bucket_source"], m["object_key"], m["size"]) for m in media] == [
            ("1.png", body["id"], "cam/1.png", len(png((30, 20)))),
            ("2.png", body["id"], "cam/2.png", len(png((30, 20)))),
        ]
        listed = call(client, owner, "GET", path)
        assert listed.status_code == 200 and SECRET.encode() not in listed.content

    def test_bad_settings_are_a_400_naming_each_field(self, client, owner, dataset, settings):
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = False
        body = settings_body("http://127.0.0.1:9000", "no spaces allowed", region="EU", secret_access_key="")
        response = call(client, owner, "POST", f"/api/datasets/{dataset.pk}/bucket-sources", body)
        assert response.status_code == 400
        error = response.json()
        assert error["code"] == "invalid"
        assert sorted(e["path"] for e in error["errors"]) == ["bucket", "endpoint_url", "region", "secret_access_key"]
        assert not BucketSource.objects.exists()

    def test_the_same_bucket_and_prefix_twice(self, client, owner, dataset, s3_endpoint, bucket):
        path = f"/api/datasets/{dataset.pk}/bucket-sources"
        assert call(client, owner, "POST", path, settings_body(s3_endpoint, bucket)).status_code == 202
        again = call(client, owner, "POST", path, settings_body(s3_endpoint, bucket))
        assert again.status_code == 400
        assert again.json()["errors"] == [
            {"path": "prefix", "message": "This bucket and prefix are already connected to the dataset."}
        ]

    def test_only_a_superuser_may_use_the_servers_credentials(self, client, owner, dataset, bucket):
        body = {"bucket": bucket, "use_server_credentials": True}
        response = call(client, owner, "POST", f"/api/datasets/{dataset.pk}/bucket-sources", body)
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"path": "use_server_credentials", "message": "Only a site administrator may use the server's credentials."}
        ]


def test_the_servers_credentials_read_the_servers_bucket(
    client, django_user_model, dataset, s3_storage, s3_endpoint, django_capture_on_commit_callbacks
):
    """The server's own endpoint is the operator's, not an admin-given address: it is reached even
    with private addresses refused (moto is on 127.0.0.1)."""
    root = django_user_model.objects.create_superuser("root")
    storage_server.client(s3_endpoint).put_object(Bucket=s3_storage, Key="incoming/x.png", Body=png((8, 6)))
    body = {"bucket": s3_storage, "prefix": "incoming/", "use_server_credentials": True}
    with django_capture_on_commit_callbacks(execute=True):
        response = call(client, root, "POST", f"/api/datasets/{dataset.pk}/bucket-sources", body)
    assert response.status_code == 202, response.content
    assert (response.json()["use_server_credentials"], response.json()["has_secret"]) == (True, False)
    media = Media.objects.get(dataset=dataset)
    assert (media.original_name, media.width, media.height) == ("x.png", 8, 6)


@pytest.mark.usefixtures("private_allowed")
class TestManage:
    @pytest.fixture
    def source(self, client, owner, dataset, s3_endpoint, bucket, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = call(client, owner, "POST", f"/api/datasets/{dataset.pk}/bucket-sources",
                            settings_body(s3_endpoint, bucket))  # fmt: skip
        return BucketSource.objects.get(pk=response.json()["id"])

    def test_sync_again(self, client, owner, source, s3_endpoint, bucket, django_capture_on_commit_callbacks):
        storage_server.client(s3_endpoint).put_object(Bucket=bucket, Key="cam/3.png", Body=png((4, 4)))
        with django_capture_on_commit_callbacks(execute=True):
            response = call(client, owner, "POST", f"/api/bucket-sources/{source.pk}/syncs")
        assert response.status_code == 202
        job = call(client, owner, "GET", f"/api/bucket-syncs/{response.json()['id']}").json()
        assert (job["state"], job["found"], job["added"]) == ("done", 3, 1)
        syncs = call(client, owner, "GET", f"/api/bucket-sources/{source.pk}/syncs").json()["results"]
        assert [s["added"] for s in syncs] == [1, 2]

    def test_a_sync_under_way_is_returned(self, client, owner, source):
        first = call(client, owner, "POST", f"/api/bucket-sources/{source.pk}/syncs")
        second = call(client, owner, "POST", f"/api/bucket-sources/{source.pk}/syncs")
        assert (first.status_code, second.status_code) == (202, 200)
        assert first.json()["id"] == second.json()["id"]

    def test_change_keeps_the_secret_and_refuses_a_new_bucket(self, client, owner, source):
        response = call(client, owner, "PATCH", f"/api/bucket-sources/{source.pk}", {"access_key_id": "other-key"})
        assert response.status_code == 200 and response.json()["has_secret"] is True
        source.refresh_from_db()
        assert (source.access_key_id, source.secret_access_key) == ("other-key", SECRET)
        moved = call(client, owner, "PATCH", f"/api/bucket-sources/{source.pk}", {"bucket": "elsewhere"})
        assert moved.status_code == 400 and moved.json()["errors"][0]["path"] == "bucket"

    def test_disconnect_removes_the_images_not_the_objects(self, client, owner, source, s3_endpoint, bucket):
        assert Task.objects.filter(media__source=source).count() == 2
        assert call(client, owner, "DELETE", f"/api/bucket-sources/{source.pk}").status_code == 204
        assert not Media.objects.exists() and not Task.objects.exists() and not BucketSource.objects.exists()
        listed = storage_server.client(s3_endpoint).list_objects_v2(Bucket=bucket)["Contents"]
        assert sorted(o["Key"] for o in listed) == ["cam/1.png", "cam/2.png"]

    def test_a_reader_of_the_dataset_cannot_see_sources(self, client, owner, source, django_user_model):
        labeler = django_user_model.objects.create_user("labeler")
        project = source.dataset.projects.get()
        project.memberships.create(user=labeler, role="labeler")
        assert call(client, labeler, "GET", f"/api/bucket-sources/{source.pk}").status_code == 403
        assert call(client, labeler, "GET", f"/api/datasets/{source.dataset_id}/bucket-sources").status_code == 403
        stranger = django_user_model.objects.create_user("stranger")
        assert call(client, stranger, "GET", f"/api/bucket-sources/{source.pk}").status_code == 404
