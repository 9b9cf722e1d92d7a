"""Stored files (projects/stored.py) on local storage and on an S3-compatible bucket (moto's server):
saving replaces a job's own names in one step, ranges and folders read and delete what they should,
and every image download checks access first, then streams (local) or redirects to a presigned URL
(bucket). Images added from a folder or an upload land in the bucket, none under MEDIA_ROOT."""

import io
import urllib.request
from pathlib import Path

import pytest
from django.core.files.storage import storages
from PIL import Image
from rest_framework.test import APIClient

from labeling.creation import create_project
from projects import stored, tokens
from projects.models import Media
from tests import storage_server

pytestmark = pytest.mark.django_db

CONFIGURATION = {"entries": [{"key": "car", "name": "Car", "kind": "rectangle"}]}


@pytest.fixture(params=["local", "bucket"])
def storage(request):
    """The job storage of either kind, empty."""
    if request.param == "bucket":
        request.getfixturevalue("s3_storage")
    return storages["exports"]


@pytest.fixture
def scratch(tmp_path):
    """A scratch folder beside the test's MEDIA_ROOT (tmp_path / "media")."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


def scratch_file(folder, content):
    path = Path(folder) / "scratch.bin"
    path.write_bytes(content)
    return path


def read(storage, name):
    with storage.open(name, "rb") as handle:
        return handle.read()


class TestSaving:
    def test_a_saved_name_is_replaced_and_the_scratch_file_is_gone(self, storage, scratch):
        first = scratch_file(scratch, b"first")
        assert stored.save_file(storage, "exports/1/2/part.json", first) == "exports/1/2/part.json"
        assert not first.exists()
        second = scratch_file(scratch, b"second, longer")
        assert stored.save_file(storage, "exports/1/2/part.json", second) == "exports/1/2/part.json"
        assert read(storage, "exports/1/2/part.json") == b"second, longer"
        assert storage.listdir("exports/1/2")[1] == ["part.json"]

    def test_bytes_go_through_the_scratch_folder(self, storage, scratch):
        stored.save_bytes(storage, "exports/1/2/masks/a/road.png", b"\x89PNG", scratch)
        assert read(storage, "exports/1/2/masks/a/road.png") == b"\x89PNG"
        assert list(scratch.iterdir()) == []


class TestSmallFiles:
    def test_every_file_is_stored_when_the_block_ends(self, storage, scratch):
        with stored.SmallFiles(storage, scratch) as pngs:
            for index in range(20):
                pngs.save(f"exports/1/2/masks/{index:02d}/road.png", bytes([index]) * 1000)
        assert stored.walk(storage, "exports/1/2/masks") == [f"{index:02d}/road.png" for index in range(20)]
        assert read(storage, "exports/1/2/masks/07/road.png") == bytes([7]) * 1000

    def test_a_failed_save_is_raised(self, s3_storage, scratch, monkeypatch):
        """A chunk must not count itself done when one of its files was not stored."""
        storage = storages["exports"]
        monkeypatch.setattr(storage, "bucket_name", "no-such-bucket")
        missing = storage.connection.meta.client.exceptions.NoSuchBucket
        with pytest.raises(missing), stored.SmallFiles(storage, scratch) as pngs:
            pngs.save("exports/1/2/masks/a/road.png", b"png")


class TestReading:
    def test_ranges(self, storage, scratch):
        stored.save_file(storage, "s/snapshot.jsonl", scratch_file(scratch, b"header\nline 1\nline 2\n"))
        with stored.open_range(storage, "s/snapshot.jsonl", 7, 14) as stream:
            assert list(stream) == [b"line 1\n"]
        with stored.open_range(storage, "s/snapshot.jsonl", 7) as stream:
            assert stream.read() == b"line 1\nline 2\n"
        with stored.open_range(storage, "s/snapshot.jsonl") as stream:
            assert stream.readline() == b"header\n"
        with stored.open_range(storage, "s/snapshot.jsonl", 14, 14) as stream:
            assert stream.read() == b""
        with pytest.raises(FileNotFoundError):
            stored.open_range(storage, "s/missing.jsonl").read()

    def test_copy_into_streams_a_large_file_in_blocks(self, storage, scratch):
        content = bytes(range(256)) * (3 * stored.BLOCK // 256 + 7)
        stored.save_file(storage, "big.bin", scratch_file(scratch, content))
        out = io.BytesIO()
        stored.copy_into(storage, "big.bin", out)
        assert out.getvalue() == content

    def test_first_line_longer_than_the_first_range(self, storage, scratch):
        header = b"{" + b"x" * 100_000 + b"}\n"
        stored.save_file(storage, "s/long.jsonl", scratch_file(scratch, header + b"line\n"))
        assert stored.read_line(storage, "s/long.jsonl", guess=1000) == header

    def test_walk_read_many_and_delete_folder(self, storage, scratch):
        names = ["masks/b/road.png", "masks/a/road.png", "masks/a/sky.png", "parts/000001.json", "parts/000000.json"]
        for name in names:
            stored.save_bytes(storage, f"exports/7/9/{name}", name.encode(), scratch)
        stored.save_bytes(storage, "exports/7/90/parts/000000.json", b"another job", scratch)
        assert stored.walk(storage, "exports/7/9/masks") == ["a/road.png", "a/sky.png", "b/road.png"]
        assert stored.walk(storage, "exports/7/9/none") == []
        wanted = [f"exports/7/9/masks/{n}" for n in ("b/road.png", "a/road.png")]
        assert list(stored.read_many(storage, wanted)) == [(n, n.removeprefix("exports/7/9/").encode()) for n in wanted]
        stored.delete_folder(storage, "exports/7/9")
        assert stored.walk(storage, "exports/7/9") == []
        assert stored.walk(storage, "exports/7/90") == ["parts/000000.json"]


class TestConcatenate:
    @pytest.mark.parametrize(
        "sizes, copies",
        [
            # the first part travels with the header (too small a part alone); the second is copied
            ((6, 6, 1), 1),
            # the gathered header and first two parts make a part; the third is copied
            ((1, 6, 6), 1),
            ((6, 6, 6, 6), 3),
            # nothing large enough to copy: one upload
            ((1, 2), 0),
        ],
    )
    def test_pieces_are_joined_in_order(self, storage, scratch, sizes, copies):
        """Bytes and stored pieces join into one file; on a bucket large pieces are copied in place."""
        pieces, expected = [b"[header]"], b"[header]"
        for index, megabytes in enumerate(sizes):
            content = bytes([65 + index]) * (megabytes * 1024 * 1024 + index)
            stored.save_file(storage, f"j/parts/{index}.json", scratch_file(scratch, content))
            pieces.append((f"j/parts/{index}.json", len(content)))
            expected += content
        pieces.append(b"[footer]")
        expected += b"[footer]"
        copied = []
        if stored.in_bucket(storage):
            storage.connection.meta.client.meta.events.register(
                "before-call.s3.UploadPartCopy", lambda **kwargs: copied.append(kwargs["model"].name)
            )
        assert stored.concatenate(storage, "j/joined.json", pieces) == ("j/joined.json", len(expected))
        assert read(storage, "j/joined.json") == expected
        assert len(copied) == (copies if stored.in_bucket(storage) else 0)


def png_upload(name="street.png", color=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", (30, 20), color).save(out, "PNG")
    out.seek(0)
    out.name = name
    return out


def fetch(url):
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url) as response:
        return response.headers, response.read()


def bucket_keys(endpoint, bucket):
    return sorted(item["Key"] for item in storage_server.client(endpoint).list_objects_v2(Bucket=bucket)["Contents"])


class TestImagesInABucket:
    def test_uploaded_images_are_served_from_the_bucket(
        self, s3_storage, s3_endpoint, media_root, django_user_model, django_capture_on_commit_callbacks
    ):
        """An upload and its thumbnail are objects; the workspace, API and DataGym v1 downloads check
        access, then redirect to presigned URLs with the image's type and name; nothing is local."""
        owner = django_user_model.objects.create_user("owner")
        stranger = django_user_model.objects.create_user("stranger")
        project = create_project("Streets", CONFIGURATION, owner=owner)
        key = tokens.create_token(owner, "test")[1]
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        dataset = api.post("/api/datasets", {"name": "batch"}, format="json").json()
        api.post(f"/api/projects/{project.pk}/datasets", {"dataset": dataset["id"]}, format="json")
        upload = png_upload()
        with django_capture_on_commit_callbacks(execute=True):  # the thumbnail job
            media = api.post(f"/api/datasets/{dataset['id']}/media", {"file": upload}, format="multipart").json()
        row = Media.objects.get(pk=media["id"])
        assert {row.file.name, row.thumbnail.name} <= set(bucket_keys(s3_endpoint, s3_storage))
        assert not Path(media_root).exists() or not any(p.is_file() for p in Path(media_root).rglob("*"))

        answer = api.get(media["file_url"])
        assert answer.status_code == 302 and answer["Location"].startswith(s3_endpoint)
        headers, body = fetch(answer["Location"])
        assert body == upload.getvalue() and headers["Content-Type"] == "image/png"
        assert headers["Content-Disposition"] == 'inline; filename="street.png"'

        v1 = api.get(f"/api/v1/media/{row.pk}?token={key}")
        assert v1.status_code == 302
        headers, body = fetch(v1["Location"])
        assert body == upload.getvalue() and headers["Content-Disposition"] == 'attachment; filename="street.png"'

        page = APIClient()
        page.force_login(owner)
        headers, body = fetch(page.get(f"/media/{row.pk}/file")["Location"])
        assert body == upload.getvalue()
        headers, thumbnail = fetch(page.get(f"/media/{row.pk}/thumbnail")["Location"])
        assert headers["Content-Type"] == "image/jpeg" and Image.open(io.BytesIO(thumbnail)).size == (30, 20)

        page.force_login(stranger)
        assert page.get(f"/media/{row.pk}/file").status_code == 404
        assert page.get(f"/media/{row.pk}/thumbnail").status_code == 404

    def test_images_from_a_folder_go_to_the_bucket(self, s3_storage, s3_endpoint, media_root, tmp_path):
        """create_project --images reads the user's folder and stores each image through the storage."""
        folder = tmp_path / "images"
        folder.mkdir()
        for i in range(3):
            (folder / f"street_{i}.png").write_bytes(png_upload(color=(i, 0, 0)).getvalue())
        project = create_project("From a folder", CONFIGURATION, images_dir=folder)
        names = sorted(Media.objects.filter(dataset__projects=project).values_list("file", flat=True))
        assert len(names) == 3 and set(names) <= set(bucket_keys(s3_endpoint, s3_storage))
        assert not Path(media_root).exists() or not any(p.is_file() for p in Path(media_root).rglob("*"))


def test_local_downloads_stream_the_file(client, django_user_model, tmp_path):
    """On local storage the same views answer with the file itself (no redirect)."""
    owner = django_user_model.objects.create_user("owner")
    project = create_project("Local", CONFIGURATION, owner=owner, images_dir=_folder_of_one(tmp_path))
    row = Media.objects.get(dataset__projects=project)
    client.force_login(owner)
    answer = client.get(f"/media/{row.pk}/file")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/png"
    assert b"".join(answer.streaming_content) == (tmp_path / "images" / "one.png").read_bytes()


def _folder_of_one(tmp_path):
    folder = tmp_path / "images"
    folder.mkdir()
    (folder / "one.png").write_bytes(png_upload().getvalue())
    return folder
