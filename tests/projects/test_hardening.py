"""Hostile input at the projects app's doors: images that lie or explode, names that climb out of
folders, URLs that point inside the network, JSON nested 10,000 deep and bodies over a gigabyte (password
guessing: tests/labelyard/test_login_throttle.py). Each is refused with a clear 4xx and leaves nothing behind."""

import io
import socket
import tracemalloc
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from formats import jsonio
from labeling import url_imports
from labeling.creation import create_project
from labeling.models import Task
from projects import fetching, tokens
from projects.models import Dataset, Media, UrlImportItem
from tests.projects.url_servers import PUBLIC_ADDRESS, WebServer

pytestmark = pytest.mark.django_db
GIGABYTE = 1 << 30


def png(size=(40, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 200)).save(out, "PNG")
    return out.getvalue()


def png_bomb(side=50_000):
    """A PNG that claims side x side pixels (2.5 gigapixels) in a few hundred bytes."""

    def chunk(kind, data):
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(
        b"IEND", b""
    )  # fmt: skip


HOSTILE_FILES = {
    "bomb": png_bomb(),
    "truncated": png((400, 300))[:300],
    "pdf named png": b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n",
    "html named png": b"<html><script>alert(1)</script></html>",
    "svg with script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "png header then html": png()[:16] + b"<script>alert(1)</script>",
    "empty": b"",
}
TRAVERSAL_NAMES = ["../../etc/passwd.png", "..\\..\\boot.ini.png", "/abs/path.png", "..", "a\x00b.png", "x\n.png"]


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user("owner")


@pytest.fixture
def project(owner):
    project = create_project("Hardened", {"entries": [{"key": "car", "name": "Car", "kind": "polygon"}]}, owner=owner)
    project.datasets.add(Dataset.objects.create(name="hardened_set", created_by=owner))
    return project


@pytest.fixture
def dataset(project):
    return project.datasets.get()


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def token(owner):
    return tokens.create_token(owner, "hardening")[1]


def stored_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def upload(entry, client, token, dataset, data, name):
    """Send one file to one of the three upload doors; returns the response."""
    if entry == "page":
        # Written by hand: the test client itself refuses to send some of these names.
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        body = (
            b'--xyz\r\nContent-Disposition: form-data; name="image"; filename="' + quoted.encode() + b'"\r\n'
            b"Content-Type: image/png\r\n\r\n" + data + b"\r\n--xyz--\r\n"
        )
        return client.generic(
            "POST", f"/datasets/{dataset.pk}/upload", body, content_type="multipart/form-data; boundary=xyz"
        )
    if entry == "api":
        return client.post(
            f"/api/datasets/{dataset.pk}/media",
            {"file": SimpleUploadedFile("f.png", data, "image/png"), "name": name},
            HTTP_AUTHORIZATION=f"Token {token}",
        )
    return client.generic(
        "POST",
        f"/api/v1/media/{dataset.pk}/file?token={token}",
        data,
        content_type="application/octet-stream",
        headers={"X-filename": name},
    )


ENTRIES = ("page", "api", "v1")


class TestHostileImages:
    @pytest.mark.parametrize("entry", ENTRIES)
    @pytest.mark.parametrize("kind", HOSTILE_FILES)
    def test_refused_with_a_reason_and_nothing_kept(self, entry, kind, owner_client, token, dataset, media_root):
        """Bombs, truncated files and files that lie about their type are a 4xx with a reason; no row, no file."""
        response = upload(entry, owner_client, token, dataset, HOSTILE_FILES[kind], "photo.png")
        assert 400 <= response.status_code < 500, response.content[:300]
        assert response.content.strip(), "the refusal says why"
        assert not Media.objects.exists()
        assert stored_files(media_root) == []

    @pytest.mark.parametrize("entry", ENTRIES)
    @pytest.mark.parametrize("name", TRAVERSAL_NAMES)
    def test_path_names_are_refused(self, entry, name, owner_client, token, dataset, media_root):
        """A file name that is a path, or holds control characters, is refused; a multipart file
        name is cut to its last part by Django first. Either way no path reaches the disk."""
        response = upload(entry, owner_client, token, dataset, png(), name)
        if entry == "page" and response.status_code == 201:
            kept = Media.objects.get().original_name
            assert kept == response.json()["name"] and not {"/", "\\", "\0"} & set(kept) and kept != ".."
        else:
            assert 400 <= response.status_code < 500, response.content[:300]
            assert not Media.objects.exists()
        assert all(p.is_relative_to(media_root / "datasets") for p in stored_files(media_root))

    def test_percent_encoded_traversal_in_x_filename(self, client, token, dataset, media_root):
        """The v1 upload unquotes X-filename before checking it, so %2e%2e%2f is caught as ../."""
        response = upload("v1", client, token, dataset, png(), "%2e%2e%2f%2e%2e%2fescape.png")
        assert response.status_code == 400
        assert not Media.objects.exists()

    def test_stored_names_are_generated(self, owner_client, token, dataset, media_root):
        """A legal but hostile display name is kept as text; the stored path is the app's own."""
        name = "<img src=x onerror=alert(1)>.png"
        response = upload("v1", owner_client, token, dataset, png(), name)
        assert response.status_code == 200, response.content
        stored = Media.objects.get()
        assert stored.original_name == name
        assert stored.file.name.startswith(f"datasets/{dataset.pk}/") and "<" not in stored.file.name


@pytest.fixture
def image_server():
    server = WebServer("127.0.0.1")
    yield server
    server.close()


class TestUrlFetch:
    """Server-side request forgery: URL images come only from public addresses unless allowed.
    Redirects, proxies, slow servers and error texts: tests/projects/test_url_fetching.py."""

    @pytest.mark.parametrize(
        "address", ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                    "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "224.0.0.1"]
    )  # fmt: skip
    def test_local_and_private_addresses(self, address):
        assert not fetching.is_public_address(address)

    @pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
    def test_public_addresses(self, address):
        assert fetching.is_public_address(address)

    @pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "127.1", "2130706433"])
    def test_loopback_is_refused_before_connecting(self, settings, dataset, image_server, host):
        """Every spelling of loopback is refused by address, and the server never sees a request."""
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = False
        with pytest.raises(fetching.FetchFailed, match="is not a public internet host"):
            url_imports.add_image_from_url(dataset, f"http://{host}:{image_server.port}/cat.png")
        assert image_server.hits == []
        assert not Media.objects.exists()

    def test_metadata_service_is_refused(self, settings, dataset):
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = False
        with pytest.raises(fetching.FetchFailed, match="169.254.169.254 is not a public internet host"):
            url_imports.add_image_from_url(dataset, "http://169.254.169.254/latest/meta-data/iam.png")

    def test_rebinding_cannot_move_the_connection(self, settings, dataset, image_server, monkeypatch):
        """The name is looked up once and the connection goes to the address that was checked, so a
        DNS answer that turns to loopback after the check is never used."""
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = False
        settings.LABELYARD_URL_FETCH_TEST_PUBLIC_ADDRESSES = frozenset({PUBLIC_ADDRESS})
        public = WebServer(PUBLIC_ADDRESS)
        lookups = []
        real_getaddrinfo = socket.getaddrinfo

        def rebinding_dns(host, port, *args, **kwargs):
            if host != "rebind.test":
                return real_getaddrinfo(host, port, *args, **kwargs)
            lookups.append(host)
            answer = PUBLIC_ADDRESS if len(lookups) == 1 else "127.0.0.1"
            return real_getaddrinfo(answer, port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
        try:
            stored = url_imports.add_image_from_url(dataset, f"http://rebind.test:{public.port}/cat.png")
        finally:
            public.close()
        assert (stored.width, stored.height) == (40, 30)
        assert lookups == ["rebind.test"] and public.hits == ["/cat.png"] and image_server.hits == []

    def test_allowed_when_configured(self, settings, dataset, image_server):
        """A demo on one machine (`make run` sets the flag) fetches from loopback."""
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True
        stored = url_imports.add_image_from_url(dataset, f"http://127.0.0.1:{image_server.port}/cat.png")
        assert (stored.width, stored.height) == (40, 30) and image_server.hits == ["/cat.png"]

    def test_page_and_v1_store_nothing(
        self, settings, owner_client, token, dataset, image_server, django_capture_on_commit_callbacks
    ):
        """Both URL doors queue the URL; the job refuses it without connecting and says why."""
        settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = False
        url = f"http://127.0.0.1:{image_server.port}/cat.png"
        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(f"/datasets/{dataset.pk}/urls", {"urls": url})
        page = owner_client.get(f"/datasets/{dataset.pk}/").content.decode()
        assert f"{url}: 127.0.0.1 is not a public internet host" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = owner_client.post(
                f"/api/v1/media/{dataset.pk}/url?token={token}", jsonio.dumps([url]), content_type="application/json"
            )
        assert response.json()[0]["mediaUploadStatus"] == "SUCCESS"  # as in DataGym: fetched later
        item = UrlImportItem.objects.get(job__dataset=dataset, media_id=response.json()[0]["internal_media_ID"])
        assert item.state == "failed" and "not a public internet host" in item.error
        assert image_server.hits == [] and not Media.objects.exists()


DEEP = b"[" * 10_000 + b"]" * 10_000


def deep_object(levels=10_000):
    return b'{"a":' * levels + b"1" + b"}" * levels


class TestDeepJson:
    """JSON nested 10,000 levels deep is a 400 everywhere, never a RecursionError (a 500)."""

    @pytest.mark.parametrize(
        ("method", "path"),
        [("PUT", "/api/projects/{p}/configuration"), ("PATCH", "/api/projects/{p}"), ("POST", "/api/projects"),
         ("POST", "/api/datasets"), ("POST", "/api/projects/{p}/members"), ("POST", "/api/projects/{p}/datasets")],
    )  # fmt: skip
    @pytest.mark.parametrize(
        "body", [DEEP, b'{"configuration":' + DEEP + b"}", deep_object()], ids=["array", "in", "obj"]
    )
    def test_native_api(self, client, token, project, method, path, body):
        response = client.generic(
            method,
            path.format(p=project.pk),
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        )
        assert response.status_code == 400, response.content[:200]
        assert "depth" in response.json()["detail"] or "recursion" in response.json()["detail"]

    @pytest.mark.parametrize("body", [DEEP, deep_object()], ids=["array", "object"])
    def test_v1_configuration(self, client, token, project, body):
        response = client.generic(
            "PUT",
            f"/api/v1/config/{project.label_configuration.pk}?token={token}",
            body,
            content_type="application/json",
        )
        assert response.status_code == 400 and response.json()["key"] == "ex_validation"

    def test_configuration_check_and_form(self, owner_client, project):
        """The editor's inline check and the configuration form say the JSON is not valid."""
        response = owner_client.post(
            f"/projects/{project.pk}/configuration/check", DEEP, content_type="application/json"
        )
        assert response.status_code == 200 and "not valid JSON" in response.json()["errors"][0]
        response = owner_client.post(f"/projects/{project.pk}/configuration", {"configuration": DEEP.decode()})
        assert response.status_code == 200 and b"not valid JSON" in response.content
        response = owner_client.post("/projects/new", {"name": "Deep", "configuration": DEEP.decode()})
        assert response.status_code == 200 and b"not valid JSON" in response.content


class EndlessBody:
    """A WSGI input of `size` zero bytes made up as it is read: nothing of that size is ever allocated."""

    def __init__(self, size):
        self.size = size
        self.read_bytes = 0
        self.block = bytes(1 << 16)

    def read(self, count=-1):
        left = self.size - self.read_bytes
        count = left if count is None or count < 0 else min(count, left)
        count = min(count, len(self.block))
        self.read_bytes += count
        return self.block[:count]

    def readline(self, limit=-1):
        return self.read(limit if limit and limit > 0 else 1 << 16)


class TestHugeBodies:
    """A 1.2 GB body is refused with 413 from its Content-Length: almost nothing is read or kept."""

    @pytest.mark.parametrize(
        ("path", "content_type"),
        [("/api/v1/media/{d}/file?token={t}", "application/octet-stream"),
         ("/api/v1/project/{p}/prediction?token={t}", "application/json"),
         ("/api/datasets/{d}/media", "multipart/form-data; boundary=xyz"),
         ("/api/projects/{p}/imports", "application/json"),
         ("/api/projects/{p}/imports", "multipart/form-data; boundary=xyz"),
         ("/datasets/{d}/upload", "multipart/form-data; boundary=xyz"),
         ("/projects/{p}/import", "multipart/form-data; boundary=xyz")],
    )  # fmt: skip
    def test_refused_unread(self, owner_client, token, project, dataset, path, content_type, media_root, tmp_path):
        size = int(1.2 * GIGABYTE)
        body = EndlessBody(size)
        tracemalloc.start()
        try:
            response = owner_client.generic(
                "POST",
                path.format(d=dataset.pk, p=project.pk, t=token),
                b"",
                content_type=content_type,
                HTTP_AUTHORIZATION=f"Token {token}",
                HTTP_X_FILENAME="huge.png",
                **{"wsgi.input": body, "CONTENT_LENGTH": str(size)},
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert response.status_code == 413, response.content[:300]
        assert body.read_bytes < 1 << 20, f"{body.read_bytes} bytes read before refusing"
        assert peak < 32 << 20, f"{peak} bytes allocated"
        assert not Media.objects.exists()

    @pytest.mark.parametrize(
        ("method", "path"),
        [("POST", "/api/projects/{p}/exports"), ("PUT", "/api/tasks/{t}/labels"), ("POST", "/api/projects")],
    )
    def test_json_bodies_above_the_limit_are_a_413(self, settings, owner_client, project, method, path):
        """A JSON body above DATA_UPLOAD_MAX_MEMORY_SIZE is a 413 in the API's error shape, not a 500."""
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
        task = Task.objects.create(project=project, media=Media.objects.create(
            dataset=Dataset.objects.create(name="big"), original_name="a.png", width=4, height=4))  # fmt: skip
        body = jsonio.dumps({"states": ["completed"], "pad": "x" * 2000})
        response = owner_client.generic(
            method, path.format(p=project.pk, t=task.pk), body, content_type="application/json"
        )
        assert response.status_code == 413
        assert response.json() == {
            "detail": "The request body is too large: at most 1000 bytes.",
            "code": "too_large",
            "errors": [],
        }

    def test_streamed_upload_is_capped_while_reading(self, settings, token, dataset, client):
        """A body within the declared limit is copied in chunks; the cap holds while reading too."""
        settings.LABELYARD_MAX_UPLOAD_BYTES = 4 << 20
        size = 64 << 20
        body = EndlessBody(size)
        from datagym_v1 import operations as datagym_v1

        with pytest.raises(datagym_v1.V1Error) as caught:
            datagym_v1.read_to_tempfile(body, None)
        assert caught.value.status == 413
        assert body.read_bytes <= (4 << 20) + (1 << 20)
