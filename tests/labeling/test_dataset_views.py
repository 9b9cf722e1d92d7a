"""Dataset pages: per-file uploads, images by URL, attach and detach, and who may see them."""

import functools
import http.server
import io
import threading

import pytest
from django.urls import reverse
from PIL import Image

from labeling.attaching import attach_dataset
from labeling.creation import create_project
from labeling.models import Task
from projects.models import Dataset, Media

pytestmark = pytest.mark.django_db


def png(name="a.png"):
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (1, 2, 3)).save(out, "PNG")
    out.seek(0)
    out.name = name
    return out


@pytest.fixture
def setup(django_user_model):
    owner = django_user_model.objects.create_user("owner")
    project = create_project("p", None, owner=owner)
    dataset = Dataset.objects.create(name="d", created_by=owner)
    attach_dataset(project, dataset)
    return owner, project, dataset


@pytest.fixture
def image_server(tmp_path):
    (tmp_path / "street.png").write_bytes(png().getvalue())
    (tmp_path / "notes.txt").write_text("not an image")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_upload_one_file_creates_its_task(client, setup):
    owner, project, dataset = setup
    client.force_login(owner)
    response = client.post(reverse("projects:dataset_upload", args=[dataset.pk]), {"image": png()})
    assert response.status_code == 201
    assert response.json()["width"] == 16
    assert Task.objects.filter(project=project).count() == 1


def test_upload_rejection_is_json(client, setup):
    owner, _, dataset = setup
    client.force_login(owner)
    bad = io.BytesIO(b"nope")
    bad.name = "x.png"
    response = client.post(reverse("projects:dataset_upload", args=[dataset.pk]), {"image": bad})
    assert response.status_code == 400
    assert response.json() == {"name": "x.png", "error": "`x.png` is not an image."}
    response = client.post(reverse("projects:dataset_upload", args=[dataset.pk]), {})
    assert response.status_code == 400


def test_images_by_url_report_each_failure(client, settings, setup, image_server, django_capture_on_commit_callbacks):
    """A list with a bad URL is shown again with the reason and queues nothing; a good list is
    fetched in the background and the page lists each URL that failed."""
    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True
    owner, project, dataset = setup
    client.force_login(owner)
    url = reverse("projects:dataset_urls", args=[dataset.pk])
    response = client.post(url, {"urls": f"{image_server}/street.png\nftp://x/y.png"})
    assert response.status_code == 400
    assert "ftp://x/y.png: only http and https URLs can be added." in response.content.decode()
    assert not dataset.url_imports.exists()

    urls = f"{image_server}/street.png\n{image_server}/missing.png\n{image_server}/notes.txt"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"urls": urls}, follow=True)
    page = response.content.decode()
    assert "Fetching 3 URL(s) in the background." in page
    page = client.get(reverse("projects:dataset", args=[dataset.pk])).content.decode()
    assert "1 of 3" in page
    assert f"{image_server}/missing.png: the server answered 404." in page
    assert "`notes.txt` is not an image." in page
    media = Media.objects.get()
    assert (media.original_name, media.source_url, media.width) == ("street.png", f"{image_server}/street.png", 16)
    assert Task.objects.filter(project=project, media=media).exists()


def test_attach_and_detach(client, setup):
    owner, _, dataset = setup
    other = create_project("q", None, owner=owner)
    Media.objects.create(dataset=dataset, original_name="z.png", width=1, height=1, mime_type="image/png")
    client.force_login(owner)
    url = reverse("projects:dataset_attach", args=[dataset.pk])
    client.post(url, {"project": other.pk, "action": "attach"})
    assert Task.objects.filter(project=other).count() == 1
    client.post(url, {"project": other.pk, "action": "detach"})
    assert not Task.objects.filter(project=other).exists()
    assert not other.datasets.exists()


def test_strangers_see_nothing(client, setup, django_user_model):
    _, project, dataset = setup
    stranger = django_user_model.objects.create_user("stranger")
    client.force_login(stranger)
    assert client.get(reverse("projects:dataset", args=[dataset.pk])).status_code == 404
    assert client.post(reverse("projects:dataset_upload", args=[dataset.pk]), {"image": png()}).status_code == 404
    assert "d" not in [d.name for d in client.get(reverse("projects:datasets")).context["datasets"]]
    mine = Dataset.objects.create(name="mine", created_by=stranger)
    response = client.post(reverse("projects:dataset_attach", args=[mine.pk]), {"project": project.pk})
    assert response.status_code == 404


def test_pages_render(client, setup):
    owner, _, dataset = setup
    client.force_login(owner)
    assert client.get(reverse("projects:datasets")).status_code == 200
    page = client.get(reverse("projects:dataset", args=[dataset.pk])).content.decode()
    assert 'id="drop-zone"' in page
    response = client.post(reverse("projects:datasets"), {"name": "fresh"})
    assert response.status_code == 302
    assert Dataset.objects.get(name="fresh").created_by == owner


def test_check_configuration_endpoint(client, setup):
    owner, project, _ = setup
    client.force_login(owner)
    url = reverse("projects:check_configuration", args=[project.pk])
    good = client.post(url, b'{"entries": [{"key": "car", "kind": "polygon"}]}', content_type="application/json")
    assert good.json()["errors"] == []
    bad = client.post(url, b'{"entries": [{"key": "car"}]}', content_type="application/json")
    assert bad.json()["errors"][0].startswith("`car`: kind must be one of")
    assert client.post(url, b"{", content_type="application/json").json()["errors"][0].startswith("This is not")
