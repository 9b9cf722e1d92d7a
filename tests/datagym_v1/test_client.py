"""The DataGym v1 API (docs/datagym-v1.md): ErrorTO on every failure, the client's quirks, and the
unmodified ``datagym`` 0.7.2 client driving a live server end to end."""

import functools
import http.server
import importlib
import io
import subprocess
import sys
import threading
from importlib import metadata

import pytest
from django.test import Client
from django.urls import resolve
from PIL import Image

from formats import jsonio
from labeling.creation import create_project
from labeling.models import Task, TaskLabels
from labeling.states import State
from projects import tokens
from projects.models import Dataset, Media
from tests.conftest import unavailable

pytestmark = pytest.mark.django_db
DATAGYM = "datagym==0.7.2"

CONFIGURATION = {
    "entries": [
        {
            "key": "car",
            "name": "Car",
            "kind": "polygon",
            "children": [{"key": "car_type", "name": "Car type", "kind": "option", "options": ["sedan", "suv"]}],
        },
        {"key": "road", "name": "Road", "kind": "image_segmentation"},
        {"key": "weather", "name": "Weather", "kind": "option", "options": ["fair", "rainy"]},
    ]
}
# What the datagym client's LabelConfig.toJson() sends (docs/datagym-v1.md section 6): the same classes.
DATAGYM_CONFIGURATION = [
    {
        "entryKey": "car",
        "entryValue": "Car",
        "type": "polygon",
        "color": "#e6194b",
        "shortcut": 1,
        "children": [
            {
                "entryKey": "car_type",
                "entryValue": "Car type",
                "type": "select",
                "required": False,
                "options": {"sedan": "Sedan", "suv": "SUV"},
                "children": [],
            }
        ],
    },
    {"entryKey": "road", "entryValue": "Road", "type": "image_segmentation", "children": []},
    {
        "entryKey": "weather",
        "entryValue": "Weather",
        "type": "select",
        "required": False,
        "options": {"fair": "Fair", "rainy": "Rainy"},
        "children": [],
    },
]
ERROR_TO_KEYS = {"key", "params", "msg", "code", "details"}


def png(width=64, height=48, color=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner", password="pw-owner-123")


@pytest.fixture
def key(owner):
    return tokens.create_token(owner, "client")[1]


@pytest.fixture
def project(owner):
    return create_project("Streets", CONFIGURATION, owner=owner)


def assert_error_to(response, status, key):
    assert response.status_code == status, response.content
    body = jsonio.loads(response.content)
    assert set(body) == ERROR_TO_KEYS
    assert body["key"] == key
    assert body["code"] == status
    assert isinstance(body["params"], list)
    assert isinstance(body["details"], list)
    return body


class TestErrorTo:
    """Every failure under /api/v1/ is an ErrorTO object the client can read."""

    def test_no_token_is_401(self, client):
        assert_error_to(client.get("/api/v1/project"), 401, "ex_unauthorized")

    def test_wrong_and_revoked_tokens_are_403(self, client, owner, key):
        assert_error_to(client.get("/api/v1/project", {"token": "ly_wrong"}), 403, "ex_forbidden")
        token = owner.api_tokens.get()
        tokens.revoke(owner, token.pk)
        assert_error_to(client.get("/api/v1/project", {"token": key}), 403, "ex_forbidden")

    def test_unknown_route_is_404_for_every_method(self, client, key):
        for method in ("get", "post", "put", "delete"):
            body = assert_error_to(getattr(client, method)(f"/api/v1/nothing/here?token={key}"), 404, "ex_notfound")
            assert body["params"][0] == "handler"

    def test_unknown_project_is_404_with_three_params(self, client, key):
        body = assert_error_to(client.get("/api/v1/export/999", {"token": key}), 404, "ex_notfound")
        assert body["params"] == ["Project", "id", "999"]

    def test_wrong_method_is_405(self, client, key):
        response = client.patch(f"/api/v1/project?token={key}")
        assert_error_to(response, 405, "ex_validation")
        assert "GET" in response["Allow"]

    def test_lesser_role_is_403(self, client, project, django_user_model):
        labeler = django_user_model.objects.create_user("labeler")
        project.memberships.create(user=labeler, role="labeler")
        other_key = tokens.create_token(labeler, "x")[1]
        assert_error_to(client.get(f"/api/v1/export/{project.pk}", {"token": other_key}), 403, "ex_forbidden")

    def test_bad_dataset_body_is_400_with_details(self, client, key):
        response = client.post(
            f"/api/v1/dataset?token={key}", {"name": "bad/name", "shortDescription": None}, "application/json"
        )
        body = assert_error_to(response, 400, "ex_validation")
        assert body["details"][0]["name"] == "Name"
        assert body["details"][0]["key"] == "ex_pattern"

    def test_body_that_is_not_json_is_400(self, client, key):
        response = client.post(f"/api/v1/dataset?token={key}", b"{nope", "application/json")
        assert_error_to(response, 400, "ex_validation")

    def test_missing_filename_is_400(self, client, key, owner):
        dataset = Dataset.objects.create(name="d", created_by=owner)
        response = client.post(f"/api/v1/media/{dataset.pk}/file?token={key}", png(), "application/octet-stream")
        body = assert_error_to(response, 400, "ex_validation")
        assert body["details"] == [
            {"name": "Header: X-filename", "key": "ex_val_empty", "params": ["Header: X-filename"]}
        ]

    def test_oversized_upload_is_413(self, client, key, owner, settings):
        settings.LABELYARD_MAX_UPLOAD_BYTES = 100
        dataset = Dataset.objects.create(name="d", created_by=owner)
        response = client.post(
            f"/api/v1/media/{dataset.pk}/file?token={key}", png(), "application/octet-stream", HTTP_X_FILENAME="a.png"
        )
        assert_error_to(response, 413, "ex_size")

    def test_crash_is_500_error_to(self, key, monkeypatch):
        def boom(user):
            raise RuntimeError("boom")

        monkeypatch.setattr("datagym_v1.operations.list_projects", boom)
        response = Client(raise_request_exception=False).get("/api/v1/project", {"token": key})
        assert_error_to(response, 500, "ex_system")

    def test_csrf_is_never_required(self, key):
        csrf_client = Client(enforce_csrf_checks=True)
        response = csrf_client.post(f"/api/v1/dataset?token={key}", {"name": "fine"}, "application/json")
        assert response.status_code == 200


class TestRouting:
    """Quirks of the client's URLs (docs/datagym-v1.md section 7)."""

    def test_double_slash_config_routes(self):
        assert resolve("//api/v1/config/5").url_name == "configuration"
        assert resolve("/api/v1/config/5").url_name == "configuration"

    def test_head_on_get_routes(self, client, key, project):
        assert client.head("/api/v1/project", {"token": key}).status_code == 200
        assert client.head(f"/api/v1/export/{project.pk}", {"token": key}).status_code == 200

    def test_header_token_and_basic_auth_alongside(self, client, key):
        assert client.get("/api/v1/project", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
        response = client.get("/api/v1/project", {"token": key}, HTTP_AUTHORIZATION="Basic dXNlcjpwdw==")
        assert response.status_code == 200


class TestVisibility:
    """A token acts for its user: it sees exactly the projects where that user is admin."""

    def test_token_never_reaches_another_users_project(self, client, key, project, django_user_model):
        stranger = django_user_model.objects.create_user("stranger")
        secret = create_project("Secret", CONFIGURATION, owner=stranger)
        names = [p["name"] for p in jsonio.loads(client.get("/api/v1/project", {"token": key}).content)]
        assert names == ["Streets"]
        assert_error_to(client.get(f"/api/v1/export/{secret.pk}", {"token": key}), 404, "ex_notfound")
        configuration_id = secret.label_configuration.pk
        assert_error_to(client.delete(f"/api/v1/config/{configuration_id}?token={key}"), 404, "ex_notfound")
        assert_error_to(
            client.post(f"/api/v1/project/{secret.pk}/prediction?token={key}", b"[]", "application/json"),
            404,
            "ex_notfound",
        )

    def test_project_datasets_are_in_the_dataset_list(self, client, key, project, owner):
        dataset = Dataset.objects.create(name="batch", created_by=None)
        project.datasets.add(dataset)
        projects = jsonio.loads(client.get("/api/v1/project", {"token": key}).content)
        datasets = jsonio.loads(client.get("/api/v1/dataset", {"token": key}).content)
        assert [d["id"] for d in projects[0]["datasets"]] == [str(dataset.pk)]
        assert [d["id"] for d in datasets] == [str(dataset.pk)]


class TestImport:
    """POST api/v1/project/{id}/prediction answers as DataGym does (docs/datagym-v1.md section 5.7)."""

    def test_empty_body_is_500(self, client, key, project):
        response = client.generic("POST", f"/api/v1/project/{project.pk}/prediction?token={key}")
        assert_error_to(response, 500, "ex_gen_error_messages")

    def test_not_json_is_200_with_message(self, client, key, project):
        response = client.post(f"/api/v1/project/{project.pk}/prediction?token={key}", b"[{", "application/json")
        assert response.status_code == 200
        assert jsonio.loads(response.content)["errorMessages"]

    def test_unknown_media_is_500_and_writes_nothing(self, client, key, project):
        body = [{"internal_media_ID": "00000000-0000-0000-0000-000000000000", "labels": {}}]
        response = client.post(f"/api/v1/project/{project.pk}/prediction?token={key}", body, "application/json")
        error = assert_error_to(response, 500, "ex_gen_error_messages")
        assert error["details"]
        assert not TaskLabels.objects.exists()


class ImageServer:
    """Serves a folder over HTTP on 127.0.0.1 from a thread: the machine has no internet."""

    def __init__(self, directory):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, name):
        return f"http://127.0.0.1:{self.server.server_port}/{name}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def datagym_package(tmp_path_factory):
    """The real client from PyPI, installed without its unsatisfiable pins (docs/datagym-v1.md section 9) if missing."""
    try:
        importlib.import_module("datagym.client")
    except ImportError:
        target = tmp_path_factory.mktemp("datagym")
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), DATAGYM]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode:
            unavailable(f"{DATAGYM} could not be installed: {result.stderr[-500:]}")
        sys.path.insert(0, str(target))
    assert metadata.version("datagym") == DATAGYM.split("==")[1]
    return importlib.import_module("datagym.client")


@pytest.fixture
def datagym_client(datagym_package, live_server, key):
    return datagym_package.Client(key, base_url=live_server.url + "/")


def label_element(media_id, index):
    """One import element in exactly the form the export writes it back."""
    x = index % 20
    return {
        "internal_media_ID": media_id,
        "keepData": False,
        "global_classifications": {"weather": ["rainy" if index % 2 else "fair"]},
        "labels": {
            "car": [
                {
                    "polygon": [{"x": x, "y": 2}, {"x": x + 20, "y": 3}, {"x": x + 10, "y": 30}],
                    "classifications": {"car_type": ["sedan"]},
                    "nested_geometries": {},
                }
            ],
            "road": [],
        },
    }


@pytest.mark.django_db(transaction=True)
def test_unmodified_datagym_client_round_trip(datagym_client, project, tmp_path, settings):
    """Every client call succeeds against a live server and the exported labels equal the imported.

    URL images are fetched by a job; with eager Celery it runs once the request commits, before the
    answer is sent. Private fetching is on so the image server on loopback is reachable."""
    from datagym.exceptions.exceptions import ClientException

    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True
    client = datagym_client
    images = tmp_path / "images"
    images.mkdir()
    for i in range(55):
        (images / f"street_{i:03d}.png").write_bytes(png(color=(i, 100, 200)))
    (images / "upload.png").write_bytes(png(color=(1, 2, 3)))

    assert [p.name for p in client.get_projects()] == ["Streets"]
    remote = client.get_project_by_name("Streets")
    assert remote.media_type == "IMAGE"
    assert client.upload_label_config(remote.label_config_id, DATAGYM_CONFIGURATION)

    dataset = client.create_dataset("batch_01")
    assert dataset.name == "batch_01"
    assert client.create_dataset("batch_01").id == dataset.id  # 412 ex_alreadyexists -> the client's fallback
    assert client.add_dataset(dataset.id, remote.id)
    assert client.add_dataset(dataset.id, remote.id)  # already connected: 412 ex_already_contains

    uploaded = client.upload_image(dataset.id, str(images / "upload.png"))
    assert uploaded.image_name == "upload.png"
    assert client.upload_image(dataset.id, str(images / "upload.png")) is None  # duplicate name: warning

    with ImageServer(images) as server:
        urls = [server.url(f"street_{i:03d}.png") for i in range(55)]
        statuses = client.create_images_from_urls(dataset.id, [*urls, urls[0] + "?v=2"])
        # 56 URLs are two requests; the client concatenates the two lists.
        assert [s["mediaUploadStatus"] for s in statuses].count("SUCCESS") == 55
        assert statuses[-1]["mediaUploadStatus"] == "UNSUPPORTED_MIME_TYPE"
        again = client.create_images_from_urls(dataset.id, urls[:2])
        assert [s["mediaUploadStatus"] for s in again] == ["DUPLICATE", "DUPLICATE"]

    remote_dataset = client.get_dataset_by_name("batch_01")
    assert len(remote_dataset.images) == 56
    assert Task.objects.filter(project=project).count() == 56

    by_name = {image.image_name: image for image in remote_dataset.images}
    elements = [label_element(by_name[f"street_{i:03d}.png"].id, i) for i in range(55)]
    result = client.import_label_data(remote.id, elements)
    assert result == ["errorMessages", "errorMessages"]  # two batches (50 + 5), both {"errorMessages": ""}
    assert TaskLabels.objects.filter(task__project=project).count() == 55

    Task.objects.filter(project=project).update(state=State.COMPLETED)
    export = client.export_labels(remote.id)
    assert export[0]["label_classes"][0] == {"class_name": "car", "geometry_type": "polygon"}
    exported = {e["internal_media_ID"]: e for e in export[1:]}
    assert len(exported) == 56
    for element in elements:
        got = exported[element["internal_media_ID"]]
        assert got["global_classifications"] == element["global_classifications"]
        assert got["labels"] == element["labels"]
        assert got["status"] == "completed"
    assert client.export_labels_url(remote.id).startswith(client_base(client))

    target = tmp_path / "download"
    target.mkdir()
    client.download_image(by_name["street_007.png"], str(target))
    assert (target / "street_007.png").read_bytes() == (images / "street_007.png").read_bytes()

    assert client.delete_image(by_name["street_007.png"])
    assert not Media.objects.filter(pk=by_name["street_007.png"].id).exists()
    assert len(client.get_dataset_by_name("batch_01").images) == 55
    with pytest.raises(ClientException):
        client.export_labels("99999")


def client_base(client):
    from datagym.endpoints import Endpoint

    return Endpoint.BASE_PATH
