"""The layout of docs/deploy.md on one machine: a web server (gunicorn) and two Celery workers (the
first also runs beat) as separate processes, each with its OWN data folder and the same DJANGO_SECRET_KEY, sharing only
PostgreSQL (a database this test creates and migrates), Redis and a fresh bucket. Everything goes
through HTTP with an API token, as a script would: a project, uploaded images and images that stay in
another bucket (a bucket source), imported labels, an export with masks, a release loaded with the
Segments.ai SDK. Afterwards no image, mask or export file may be in any data folder, and the bucket
holds them. Needs PostgreSQL, Redis and the S3-compatible server: under CI=true a missing one fails,
elsewhere the test is skipped (tests/conftest.py `unavailable`).

The tests run in file order against one site; each checks one part, so a failure names the part.
"""

import io
import os
import secrets
import subprocess
import sys
import time
import uuid
import zipfile

import numpy as np
import pytest
from PIL import Image

from formats import jsonio
from tests import storage_server
from tests.conftest import ROOT, require, unavailable

pytestmark = pytest.mark.worker

CONFIGURATION = {
    "entries": [
        {"key": "car", "name": "Car", "kind": "polygon"},
        {"key": "road", "name": "Road", "kind": "image_segmentation"},
    ]
}
WIDTH, HEIGHT = 160, 120
UPLOADS = ("street_1.png", "street_2.png", "street_3.jpg")
IN_SOURCE = ("cam/a.png", "cam/b.jpg")
# What a process may leave in its data folder: no file that holds an image, a mask or an export.
# Beat (run by the first worker, `-B`) keeps its schedule there (dbm may split it into .dat, .dir
# and .bak files).
ALLOWED_IN_DATA_FOLDERS = {"secret_key", "celerybeat-schedule"}
DEFAULT_DATABASE_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"


def image_bytes(name, color):
    out = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), color).save(out, "JPEG" if name.endswith(".jpg") else "PNG")
    return out.getvalue()


def with_database(url, name):
    base, _, _ = url.partition("?")[0].rpartition("/")
    return f"{base}/{name}"


def database_server():
    """The maintenance database of DATABASE_URL's PostgreSQL server when it names one, else of the local one."""
    url = os.environ.get("DATABASE_URL", "")
    return (
        with_database(url, "postgres") if url.startswith(("postgres://", "postgresql://")) else DEFAULT_DATABASE_SERVER
    )


def broker_url():
    url = os.environ.get("CELERY_BROKER_URL", "")
    return url if url.startswith("redis://") else DEFAULT_REDIS


def check_services():
    psycopg = require("psycopg")
    redis = require("redis")
    require("gunicorn")
    try:
        psycopg.connect(database_server(), connect_timeout=3, autocommit=True).close()
    except psycopg.Error as error:
        unavailable(f"PostgreSQL at {database_server()} does not answer: {error}")
    try:
        redis.Redis.from_url(broker_url(), socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {broker_url()} does not answer: {error}")
    return psycopg


class Site:
    """The processes of one site and how to reach it."""

    def __init__(self, root, s3_endpoint):
        self.root = root
        self.endpoint = s3_endpoint
        self.bucket = storage_server.new_bucket(s3_endpoint)
        self.source_bucket = storage_server.new_bucket(s3_endpoint)
        self.database = f"lbl_multihost_{uuid.uuid4().hex[:10]}"
        self.secret = secrets.token_urlsafe(50)
        self.data_folders = {name: root / f"data-{name}" for name in ("web", "worker1", "worker2")}
        self.processes = {}
        self.logs = {}
        self.port = storage_server.free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def environment(self, name):
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("AWS_", "LABELYARD_", "DJANGO_", "CELERY_", "DATABASE_"))}  # fmt: skip
        return {
            **keep,
            **storage_server.environment(self.endpoint, self.bucket),
            "DJANGO_SECRET_KEY": self.secret,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": with_database(database_server(), self.database),
            "CELERY_BROKER_URL": broker_url(),
            # A queue of this site's own, so no other worker on the same Redis takes its jobs.
            "CELERY_TASK_DEFAULT_QUEUE": f"queue-{self.database}",
            "LABELYARD_DATA_DIR": str(self.data_folders[name]),
            # The bucket source below is on moto's loopback address.
            "LABELYARD_URL_FETCH_ALLOW_PRIVATE": "1",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }

    def manage(self, *args, extra=None):
        env = {**self.environment("web"), **(extra or {})}
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, name, command):
        log = open(self.root / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        self.logs[name] = log
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=self.environment(name), stdout=log,
                                                stderr=subprocess.STDOUT)  # fmt: skip

    def start_all(self):
        self.start("web", [sys.executable, "-m", "gunicorn", "labelyard.wsgi:application", "--bind",
                           f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "120"])  # fmt: skip
        for name, beat in (("worker1", ["-B"]), ("worker2", [])):
            self.start(name, [sys.executable, "-m", "celery", "-A", "labelyard", "worker", *beat, "--loglevel=info",
                              "--concurrency=2", "--without-gossip", "--without-mingle", "--without-heartbeat",
                              "-n", f"{name}-{self.database}@%h"])  # fmt: skip

    def stop(self):
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs.values():
            log.close()

    def log_tails(self):
        return "\n".join(f"--- {name}\n{(self.root / f'{name}.log').read_text()[-2500:]}" for name in self.logs)


@pytest.fixture(scope="module")
def site(tmp_path_factory, s3_endpoint):
    psycopg = check_services()
    site = Site(tmp_path_factory.mktemp("multi-host"), s3_endpoint)
    for folder in site.data_folders.values():
        folder.mkdir()
    with psycopg.connect(database_server(), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{site.database}"')
    try:
        site.manage("migrate", "--no-input")
        site.manage("createsuperuser", "--no-input", "--username", "admin", "--email", "admin@example.com",
                    extra={"DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(16)})  # fmt: skip
        site.token = site.manage("create_api_token", "admin", "--name", "multi-host").strip().splitlines()[-1]
        site.start_all()
        site.client = require("httpx").Client(
            base_url=site.url, headers={"Authorization": f"Token {site.token}"}, timeout=60, trust_env=False
        )
        wait_until(lambda: answers(site), site, "the web server to answer", timeout=60)
        site.state = {}
        yield site
    finally:
        site.stop()
        with psycopg.connect(database_server(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{site.database}" WITH (FORCE)')


def answers(site):
    try:
        return site.client.get("/accounts/login/").status_code == 200
    except Exception:  # noqa: BLE001 - not listening yet
        return False


def wait_until(predicate, site, what, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for name, process in site.processes.items():
            assert process.poll() is None, f"{name} exited while waiting for {what}\n{site.log_tails()}"
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{site.log_tails()}")


def api(site, method, path, **kwargs):
    response = site.client.request(method, f"/api/{path}", **kwargs)
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text[:500]}"
    return response.json() if response.content else None


def finished(site, path, field="state"):
    """Poll the job at `path` until it is done or failed; returns it."""
    return wait_until(lambda: (lambda job: job if job[field] in ("done", "failed") else None)(api(site, "GET", path)),
                      site, path)  # fmt: skip


def test_images_tasks_and_labels(site):
    """A project, three uploaded images and two that stay in another bucket (synced by a worker),
    their tasks, thumbnails made by the workers, and imported labels."""
    project = api(site, "POST", "projects", json={"name": "Multi host", "configuration": CONFIGURATION})
    dataset = api(site, "POST", "datasets", json={"name": "multi host images"})
    for i, name in enumerate(UPLOADS):
        files = {"file": (name, image_bytes(name, (40 * i, 90, 200)), "application/octet-stream")}
        api(site, "POST", f"datasets/{dataset['id']}/media", files=files)
    api(site, "POST", f"projects/{project['id']}/datasets", json={"dataset": dataset["id"]})
    s3 = storage_server.client(site.endpoint)
    for key in IN_SOURCE:
        s3.put_object(Bucket=site.source_bucket, Key=key, Body=image_bytes(key, (200, 30, 30)))
    source = api(site, "POST", f"datasets/{dataset['id']}/bucket-sources", json={
        "endpoint_url": site.endpoint, "bucket": site.source_bucket, "prefix": "cam/",
        "region": storage_server.REGION, "access_key_id": storage_server.ACCESS_KEY,
        "secret_access_key": storage_server.SECRET_KEY})  # fmt: skip
    sync = wait_until(lambda: (lambda s: s if s and s["state"] in ("done", "failed") else None)(
        api(site, "GET", f"bucket-sources/{source['id']}")["last_sync"]), site, "the bucket sync")  # fmt: skip
    assert (sync["state"], sync["added"], sync["error"]) == ("done", 2, "")

    tasks = api(site, "GET", f"projects/{project['id']}/tasks")["results"]
    assert sorted(t["media_name"] for t in tasks) == sorted([*UPLOADS, "a.png", "b.jpg"])
    for task in tasks:
        for state in ("waiting", "in_progress", "completed"):
            api(site, "POST", f"tasks/{task['id']}/state", json={"state": state})
    outline = [{"x": 10, "y": 10}, {"x": 150, "y": 10}, {"x": 150, "y": 110}, {"x": 10, "y": 110}]
    hole = [{"x": 40, "y": 40}, {"x": 60, "y": 40}, {"x": 60, "y": 60}]
    car = [{"x": 5, "y": 5}, {"x": 50, "y": 5}, {"x": 30, "y": 40}]
    labels = [{"internal_media_ID": t["media"], "labels": {"road": [{"image_segmentation": [outline, hole]}],
                                                           "car": [{"polygon": car}]}} for t in tasks]  # fmt: skip
    summary = api(site, "POST", f"projects/{project['id']}/imports", json=labels)
    assert (summary["tasks"], summary["geometries_added"]) == (5, 10)

    site.state["project"] = project["id"]

    media = [m["id"] for m in api(site, "GET", f"datasets/{dataset['id']}/media")["results"]]
    for m in media:
        # An uploaded image is a redirect to its presigned URL (docs/export.md, "Downloads").
        image = site.client.get(f"/api/media/{m}/file", follow_redirects=True)
        assert image.content[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0")
    wait_until(lambda: thumbnails(site) == len(media), site, "the workers' thumbnails")


def thumbnails(site):
    listed = storage_server.client(site.endpoint).list_objects_v2(Bucket=site.bucket, Prefix="thumbnails/")
    return len(listed.get("Contents", []))


def test_export_with_masks(site):
    project = site.state["project"]
    job = api(site, "POST", f"projects/{project}/exports", json={"masks": True})
    job = finished(site, f"exports/{job['id']}")
    assert job["state"] == "done", f"{job['error']}\n{site.log_tails()}"
    archive = site.client.get(job["archive_url"], follow_redirects=True)
    assert archive.status_code == 200, archive.text[:300]
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        names = zipped.namelist()
        [document] = [n for n in names if n.endswith(".json")]
        exported = jsonio.loads(zipped.read(document))
        masks = [n for n in names if n.endswith(".png")]
    assert len([e for e in exported if "internal_media_ID" in e]) == 5
    assert len(masks) == 5


def test_release_loads_with_the_segments_sdk(site, tmp_path):
    require("segments")
    from segments import SegmentsDataset

    project = site.state["project"]
    release = api(site, "POST", f"projects/{project}/releases", json={"name": "v1"})
    release = finished(site, f"releases/{release['id']}")
    assert release["state"] == "done", f"{release['error']}\n{site.log_tails()}"
    download = site.client.get(release["download_url"], follow_redirects=True)
    assert download.status_code == 200, download.text[:300]
    path = tmp_path / "release.json"
    path.write_bytes(download.content)
    dataset = SegmentsDataset(str(path), labelset="ground-truth", filter_by=["labeled", "reviewed"],
                              segments_dir=None)  # fmt: skip
    assert len(dataset) == 5
    for sample in dataset:
        assert sample["image"].size == (WIDTH, HEIGHT)
        assert np.asarray(sample["segmentation_bitmap"]).shape == (HEIGHT, WIDTH)
        assert len(sample["annotations"]) == 2


def test_no_data_folder_holds_a_file_the_bucket_should(site):
    """Run last: whatever the parts above made, none of it may be on a host's disk."""
    stray = {
        name: sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                     if p.is_file() and p.name.partition(".")[0] not in ALLOWED_IN_DATA_FOLDERS)
        for name, folder in site.data_folders.items()
    }  # fmt: skip
    assert stray == {"web": [], "worker1": [], "worker2": []}
    keys = [o["Key"] for o in storage_server.client(site.endpoint).list_objects_v2(Bucket=site.bucket)["Contents"]]
    prefixes = {key.split("/", 1)[0] for key in keys}
    assert {"datasets", "thumbnails"} <= prefixes
    assert len([k for k in keys if k.startswith("datasets/")]) == len(UPLOADS)
    assert any(k.startswith("exports/") and k.endswith(".zip") for k in keys), sorted(prefixes)
    assert any(k.startswith("releases/") for k in keys), sorted(prefixes)
    # The bucket source's images stayed where they were: nothing of theirs was copied but thumbnails.
    source_keys = storage_server.client(site.endpoint).list_objects_v2(Bucket=site.source_bucket)["Contents"]
    assert sorted(o["Key"] for o in source_keys) == sorted(IN_SOURCE)
