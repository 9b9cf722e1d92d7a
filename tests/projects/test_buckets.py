"""Bucket sources against a real S3-compatible server (moto's, tests/storage_server.py): checking a
source's settings, the address rules for admin-given endpoints (projects/fetching.py), facts read from
ranged GETs of an object's first bytes only, and reading an image's bytes through open_media. The sync
job is tested in tests/labeling/test_bucket_syncs.py, the API in tests/api/test_buckets.py."""

import http.server
import io
import os
import threading

import pytest
from django.contrib.auth import get_user_model
from PIL import Image

from projects import bucket_media, buckets
from projects.media import ImageRejected, MediaUnavailable, open_media
from projects.models import BucketSource, Dataset, Media
from tests import storage_server
from tests.projects.url_servers import PUBLIC_ADDRESS, WebServer

pytestmark = pytest.mark.django_db
WIDTH, HEIGHT = 640, 480


def image_bytes(fmt, size=(WIDTH, HEIGHT), **options):
    """A noise image, so it does not compress below the first ranged read."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, fmt, **options)
    return out.getvalue()


@pytest.fixture
def private_allowed(settings):
    # moto listens on 127.0.0.1; the address rules themselves are tested below with the flag off.
    settings.LABELYARD_URL_FETCH_ALLOW_PRIVATE = True


@pytest.fixture
def bucket(s3_endpoint):
    return storage_server.new_bucket(s3_endpoint)


@pytest.fixture
def dataset():
    return Dataset.objects.create(name="in a bucket")


def put(endpoint, bucket, key, data):
    storage_server.client(endpoint).put_object(Bucket=bucket, Key=key, Body=data)


def make_source(dataset, endpoint, bucket, prefix="", **fields):
    values = {"region": storage_server.REGION, "access_key_id": storage_server.ACCESS_KEY,
              "secret_access_key": storage_server.SECRET_KEY, **fields}  # fmt: skip
    return BucketSource.objects.create(dataset=dataset, endpoint_url=endpoint, bucket=bucket, prefix=prefix, **values)


def record_requests(source):
    """(method, Range header) of every request the source's client sends from now on."""
    sent = []

    def record(request, **_):
        value = request.headers.get("Range")
        sent.append((request.method, value.decode() if isinstance(value, bytes) else value))

    client = buckets.storage_for(source).client
    client.meta.events.register("before-send.s3", record)
    return sent


class TestHeaderFacts:
    @pytest.mark.parametrize(
        ("fmt", "mime_type"),
        [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("BMP", "image/bmp"),
         ("TIFF", "image/tiff")],
    )  # fmt: skip
    def test_the_first_64_kib_hold_the_size(self, fmt, mime_type):
        data = image_bytes(fmt)
        assert len(data) > 64 * 1024
        facts = bucket_media.header_facts(data[: 64 * 1024], "a", len(data), complete=False)
        assert (facts.width, facts.height, facts.mime_type, facts.size) == (640, 480, mime_type, len(data))

    def test_a_header_that_goes_on_asks_for_more(self):
        """A JPEG whose 200 KB colour profile comes before its frame: its size is past the first 64 KiB."""
        data = image_bytes("JPEG", icc_profile=os.urandom(200_000))
        assert bucket_media.header_facts(data[: 64 * 1024], "a", len(data), complete=False) is None
        assert bucket_media.header_facts(data[: 1 << 20], "a", len(data), complete=True).width == 640

    def test_not_an_image_is_refused_at_once(self):
        with pytest.raises(ImageRejected, match="is not a JPEG, PNG, GIF, BMP, TIFF or WebP image"):
            bucket_media.header_facts(b"just some notes" * 100, "notes.jpg", 1500, complete=False)

    def test_a_turned_photo_is_refused(self):
        exif = Image.Exif()
        exif[0x0112] = 6  # rotated 90 degrees clockwise
        data = image_bytes("JPEG", size=(64, 48), exif=exif)
        with pytest.raises(ImageRejected, match=r"has an EXIF orientation \(6\)"):
            bucket_media.header_facts(data, "turned.jpg", len(data), complete=True)

    def test_too_many_pixels(self, settings):
        settings.LABELYARD_MAX_IMAGE_PIXELS = 100_000
        data = image_bytes("PNG")
        with pytest.raises(ImageRejected, match="pixels"):
            bucket_media.header_facts(data[: 64 * 1024], "big.png", len(data), complete=False)


@pytest.mark.usefixtures("private_allowed")
class TestObjectFacts:
    def test_one_ranged_read_of_the_first_64_kib(self, s3_endpoint, bucket, dataset):
        data = image_bytes("PNG")
        put(s3_endpoint, bucket, "street/001.png", data)
        source = make_source(dataset, s3_endpoint, bucket, prefix="street/")
        sent = record_requests(source)
        [result] = bucket_media.read_page(source, [("street/001.png", len(data))])
        assert result.error == ""
        assert (result.name, result.size, result.facts.width, result.facts.height) == ("001.png", len(data), 640, 480)
        assert sent == [("GET", "bytes=0-65535")]

    def test_a_longer_header_is_read_with_a_larger_range(self, s3_endpoint, bucket, dataset):
        data = image_bytes("JPEG", icc_profile=os.urandom(200_000))
        put(s3_endpoint, bucket, "a.jpg", data)
        source = make_source(dataset, s3_endpoint, bucket)
        sent = record_requests(source)
        [result] = bucket_media.read_page(source, [("a.jpg", len(data))])
        assert (result.facts.width, result.facts.height) == (640, 480)
        assert sent == [("GET", "bytes=0-65535"), ("GET", "bytes=0-1048575")]

    def test_keys_already_stored_are_not_read(self, s3_endpoint, bucket, dataset):
        source = make_source(dataset, s3_endpoint, bucket)
        Media.objects.create(dataset=dataset, source=source, object_key="a.png", original_name="a.png", width=1,
                             height=1, mime_type="image/png", sha256="")  # fmt: skip
        sent = record_requests(source)
        assert bucket_media.read_page(source, [("a.png", 10)]) == []
        assert sent == []

    def test_a_key_the_storage_would_rewrite_is_refused(self, s3_endpoint, bucket, dataset):
        source = make_source(dataset, s3_endpoint, bucket)
        [result] = bucket_media.read_page(source, [("a//b.png", 10)])
        assert "keys with backslashes, `//`, `.` or `..` parts are not read" in result.error

    def test_a_name_with_a_text_direction_control_is_refused(self, s3_endpoint, bucket, dataset):
        """rules/names.py: U+202E would show `invoice\u202egnp.exe` as `invoiceexe.png`."""
        [result] = bucket_media.read_page(make_source(dataset, s3_endpoint, bucket), [("invoice\u202egnp.png", 10)])
        assert "cannot contain invisible, control or text-direction characters (U+202E)" in result.error

    def test_an_empty_object(self, s3_endpoint, bucket, dataset):
        put(s3_endpoint, bucket, "empty.png", b"")
        [result] = bucket_media.read_page(make_source(dataset, s3_endpoint, bucket), [("empty.png", 0)])
        assert result.error == "`empty.png` is empty."


@pytest.mark.usefixtures("private_allowed")
class TestOpenMedia:
    def test_reads_the_object_through_the_source(self, s3_endpoint, bucket, dataset):
        data = image_bytes("PNG", size=(32, 24))
        put(s3_endpoint, bucket, "in/a.png", data)
        source = make_source(dataset, s3_endpoint, bucket, prefix="in/")
        media = Media.objects.create(dataset=dataset, source=source, object_key="in/a.png", original_name="a.png",
                                     width=32, height=24, mime_type="image/png", sha256="")  # fmt: skip
        with open_media(media) as handle:
            assert handle.read() == data

    def test_a_gone_object_is_a_clear_error(self, s3_endpoint, bucket, dataset):
        source = make_source(dataset, s3_endpoint, bucket)
        media = Media.objects.create(dataset=dataset, source=source, object_key="gone.png", original_name="gone.png",
                                     width=1, height=1, mime_type="image/png", sha256="")  # fmt: skip
        with pytest.raises(MediaUnavailable, match=f"`gone.png` in bucket {bucket} at {s3_endpoint} does not exist"):
            open_media(media)


class TestSettings:
    def fields(self, **changes):
        return {"endpoint_url": "", "bucket": "team-images", "prefix": "", "region": "eu-central-1",
                "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s3cr3t", **changes}  # fmt: skip

    @pytest.mark.parametrize(
        "endpoint",
        ["http://127.0.0.1:9000", "http://localhost:9000", "http://169.254.169.254", "http://10.0.0.5",
         "http://[::1]:9000"],
    )  # fmt: skip
    def test_private_endpoints_are_refused(self, endpoint):
        with pytest.raises(buckets.SourceRejected) as rejected:
            buckets.clean_source(self.fields(endpoint_url=endpoint), user=None)
        assert list(rejected.value.errors) == ["endpoint_url"]
        assert "is not a public internet host" in rejected.value.errors["endpoint_url"][0]

    @pytest.mark.parametrize(
        "endpoint", ["ftp://s3.example.com", "https://user:pw@s3.example.com", "https://s3.example.com/bucket"]
    )
    def test_an_endpoint_is_only_scheme_host_and_port(self, endpoint):
        with pytest.raises(buckets.SourceRejected) as rejected:
            buckets.clean_source(self.fields(endpoint_url=endpoint), user=None)
        assert list(rejected.value.errors) == ["endpoint_url"]

    def test_private_endpoints_are_allowed_with_the_flag(self, private_allowed):
        assert buckets.clean_source(self.fields(endpoint_url="http://127.0.0.1:9000"), user=None)["bucket"] == (
            "team-images"
        )

    def test_keys_are_needed(self):
        with pytest.raises(buckets.SourceRejected) as rejected:
            buckets.clean_source(self.fields(access_key_id="", secret_access_key=""), user=None)
        assert sorted(rejected.value.errors) == ["access_key_id", "secret_access_key"]

    def test_only_a_superuser_may_use_the_servers_credentials(self):
        admin = get_user_model().objects.create_user("admin")
        root = get_user_model().objects.create_superuser("root")
        fields = self.fields(use_server_credentials=True, access_key_id="", secret_access_key="")
        with pytest.raises(buckets.SourceRejected) as rejected:
            buckets.clean_source(fields, user=admin)
        assert rejected.value.errors == {
            "use_server_credentials": ["Only a site administrator may use the server's credentials."]
        }
        assert buckets.clean_source(fields, user=root)["use_server_credentials"] is True

    def test_the_servers_credentials_never_go_to_another_endpoint(self):
        root = get_user_model().objects.create_superuser("root")
        fields = self.fields(use_server_credentials=True, access_key_id="", secret_access_key="")
        with pytest.raises(buckets.SourceRejected) as rejected:
            buckets.clean_source({**fields, "endpoint_url": "https://s3.attacker.example"}, user=root)
        assert list(rejected.value.errors) == ["endpoint_url"]

    def test_a_change_keeps_the_secret_unless_given_and_never_moves_the_bucket(self, dataset):
        source = BucketSource.objects.create(dataset=dataset, **self.fields())
        buckets.change_source(source, {"access_key_id": "AKIANEW", "secret_access_key": ""}, user=None)
        source.refresh_from_db()
        assert (source.access_key_id, source.secret_access_key) == ("AKIANEW", "s3cr3t")
        with pytest.raises(buckets.SourceRejected) as rejected:
            buckets.change_source(source, {"bucket": "other", "prefix": "x/"}, user=None)
        assert sorted(rejected.value.errors) == ["bucket", "prefix"]


class TestAddressRules:
    """A source saved while private addresses were allowed: with the flag off, every connection is
    checked again, so nothing reaches the address."""

    def test_a_private_endpoint_is_not_connected_to(self, settings, dataset):
        server = WebServer("127.0.0.1")
        try:
            source = make_source(dataset, server.url("").rstrip("/"), "team-images")
            with pytest.raises(buckets.BucketUnavailable, match="127.0.0.1 is not a public internet host"):
                list(buckets.image_pages(source))
            assert server.hits == []
        finally:
            server.close()

    def test_a_redirect_is_not_followed(self, settings, dataset):
        """An endpoint counted as public answers every request with a redirect to a private address."""
        settings.LABELYARD_URL_FETCH_TEST_PUBLIC_ADDRESSES = frozenset({PUBLIC_ADDRESS})
        target = WebServer("127.0.0.1")
        redirector = Redirector(PUBLIC_ADDRESS, target.url("/team-images"))
        try:
            source = make_source(dataset, redirector.endpoint, "team-images")
            with pytest.raises(buckets.BucketUnavailable, match="answered 307"):
                list(buckets.image_pages(source))
            assert redirector.hits and target.hits == []
        finally:
            redirector.close()
            target.close()


class Flooder:
    """An HTTP server on 127.0.0.1 answering every request with 200 and 20 MB of junk, as a server that
    ignores a Range or never ends a listing would; `sent` counts the bytes it got out."""

    def __init__(self):
        self.sent = 0
        flooder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", str(20 << 20))
                self.end_headers()
                try:
                    for _ in range(20 << 4):
                        self.wfile.write(b"<" * (1 << 16))
                        flooder.sent += 1 << 16
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.usefixtures("private_allowed")
class TestLongAnswers:
    def test_a_listing_longer_than_an_image_is_cut_off(self, settings, dataset):
        settings.LABELYARD_MAX_UPLOAD_BYTES = 100_000
        flooder = Flooder()
        try:
            source = make_source(dataset, flooder.endpoint, "team-images")
            with pytest.raises(buckets.BucketUnavailable, match="could not be read"):
                list(buckets.image_pages(source))
        finally:
            flooder.close()
        assert flooder.sent < 10 << 20

    def test_a_range_is_read_even_when_the_server_ignores_it(self, dataset):
        flooder = Flooder()
        try:
            source = make_source(dataset, flooder.endpoint, "team-images")
            [result] = bucket_media.read_page(source, [("big.png", 20 << 20)])
        finally:
            flooder.close()
        assert result.error == "`big.png` is not a JPEG, PNG, GIF, BMP, TIFF or WebP image."
        assert flooder.sent < 10 << 20

    def test_an_object_grown_past_the_limit_is_not_fetched(self, settings, s3_endpoint, bucket, dataset):
        put(s3_endpoint, bucket, "a.png", image_bytes("PNG", size=(64, 48)))
        source = make_source(dataset, s3_endpoint, bucket)
        media = Media.objects.create(dataset=dataset, source=source, object_key="a.png", original_name="a.png",
                                     width=64, height=48, mime_type="image/png", sha256="")  # fmt: skip
        settings.LABELYARD_MAX_UPLOAD_BYTES = 1000
        with pytest.raises(MediaUnavailable, match=f"`a.png` in bucket {bucket} at .* is larger than 1000 bytes now"):
            open_media(media)


class Redirector:
    """An HTTP server on `address` answering every request with a 307 to `location`."""

    def __init__(self, address, location):
        self.hits = []
        hits = self.hits

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                hits.append(self.path)
                self.send_response(307)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.endpoint = f"http://{address}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def checking_server():
    """A second S3-compatible server that refuses every key it has not issued."""
    try:
        endpoint, process = storage_server.start_local_server(checks_credentials=True)
    except (RuntimeError, OSError) as error:
        pytest.skip(str(error))
    yield endpoint
    process.terminate()
    process.wait(10)


@pytest.mark.usefixtures("private_allowed")
class TestBucketErrors:
    def test_wrong_credentials(self, checking_server, dataset):
        source = make_source(dataset, checking_server, "team-images", access_key_id="AKIAWRONG")
        with pytest.raises(buckets.BucketUnavailable) as error:
            list(buckets.image_pages(source))
        assert str(error.value) == (
            f"The server of bucket team-images at {checking_server} refused the credentials (InvalidAccessKeyId): "
            "check the access key id and secret."
        )
        assert "labelyard-test-secret" not in str(error.value)

    def test_no_such_bucket(self, s3_endpoint, dataset):
        source = make_source(dataset, s3_endpoint, "no-such-bucket-here")
        with pytest.raises(buckets.BucketUnavailable) as error:
            list(buckets.image_pages(source))
        assert str(error.value) == f"There is no bucket no-such-bucket-here at {s3_endpoint}."

    def test_nothing_listening(self, dataset):
        source = make_source(dataset, f"http://127.0.0.1:{storage_server.free_port()}", "team-images")
        with pytest.raises(buckets.BucketUnavailable, match="Could not connect to the server of bucket team-images"):
            list(buckets.image_pages(source))


class TestAdmin:
    """Django's admin shows a source without its secret and checks its settings as the page does."""

    def test_the_secret_is_never_shown_and_kept_when_left_empty(self, admin_client, dataset):
        source = BucketSource.objects.create(dataset=dataset, bucket="team-images", access_key_id="AKIAEXAMPLE",
                                             secret_access_key="s3cr3t-value")  # fmt: skip
        url = f"/admin/projects/bucketsource/{source.pk}/change/"
        page = admin_client.get(url)
        assert page.status_code == 200 and b"s3cr3t-value" not in page.content
        form = {"dataset": dataset.pk, "endpoint_url": "", "bucket": "team-images", "prefix": "", "region": "",
                "access_key_id": "AKIANEW", "new_secret": "", "created_by": ""}  # fmt: skip
        assert admin_client.post(url, form).status_code == 302
        source.refresh_from_db()
        assert (source.access_key_id, source.secret_access_key) == ("AKIANEW", "s3cr3t-value")

    def test_a_private_endpoint_is_refused(self, admin_client, dataset):
        form = {"dataset": dataset.pk, "endpoint_url": "http://127.0.0.1:9000", "bucket": "b", "prefix": "",
                "region": "", "access_key_id": "AKIA", "new_secret": "x", "created_by": ""}  # fmt: skip
        page = admin_client.post("/admin/projects/bucketsource/add/", form)
        assert page.status_code == 200 and b"is not a public internet host" in page.content
        assert not BucketSource.objects.exists()
