"""Exports and releases on an S3-compatible bucket (moto's server, tests/storage_server.py): every file
lands in the bucket and none under MEDIA_ROOT, downloads are checked as on local storage and then
redirected to a presigned URL, the commands copy the stored files out, and workers that share no
disk build one export together."""

import io
import os
import subprocess
import sys
import urllib.request
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase
from PIL import Image

from exports import build
from exports.models import ExportJob
from formats import jsonio
from projects import tokens
from tests import storage_server
from tests.conftest import ROOT, database_url, require, wait_for
from tests.exports.conftest import (
    SEED_CONFIGURATION,
    SEGMENTATION_CONFIGURATION,
    add_member,
    make_project,
    stored_bytes,
)
from tests.exports.test_build import SEED_DOCUMENT, SEED_SEGMENTATION
from tests.exports.test_releases import HEIGHT, WIDTH, release_project
from tests.exports.test_releases import build as build_release

SEGMENTED = {"geometries": [{"id": "s", "class": "seqmentation", "coordinates": SEED_SEGMENTATION}]}


def bucket_keys(endpoint, bucket):
    pages = storage_server.client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))


def local_files(folder):
    """The files under a local folder (none when it does not exist)."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file())


def fetch(url):
    """GET `url` as a download script would, straight to the server (no proxy): (status, headers, body)."""
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url) as response:
        return response.status, response.headers, response.read()


def redirected(response, endpoint):
    """The body behind a download view's answer, which must be a redirect to a presigned bucket URL."""
    assert response.status_code == 302, response
    location = response["Location"]
    assert location.startswith(endpoint + "/") and "Signature=" in location, location
    assert "no-store" in response["Cache-Control"]
    return fetch(location)


def export(project, masks=False):
    with TestCase.captureOnCommitCallbacks(execute=True):
        job, _ = build.start_export(project, None, build.normalise_options(masks=masks), "http://testserver")
    job.refresh_from_db()
    assert job.state == ExportJob.State.DONE, job.error
    return job


@pytest.mark.django_db
class TestExportToBucket:
    def test_json_export_is_stored_and_served_from_the_bucket(
        self, s3_storage, s3_endpoint, media_root, client, admin_user
    ):
        """The snapshot and the JSON are objects of the bucket (the parts are gone once assembled),
        nothing is under MEDIA_ROOT, and the token-checked download redirects to the file."""
        project = make_project("seed", SEED_CONFIGURATION, [SEED_DOCUMENT, SEED_DOCUMENT], labeler=admin_user)
        add_member(project, admin_user)
        job = export(project)
        keys = bucket_keys(s3_endpoint, s3_storage)
        folder = f"exports/{project.pk}/{job.pk}/"
        assert job.file in keys and job.snapshot in keys and job.file.startswith(folder)
        assert not [k for k in keys if k.startswith(folder + "parts/")]
        assert local_files(media_root) == []
        _, key = tokens.create_token(admin_user, "script")
        auth = {"Authorization": f"Token {key}"}
        status, headers, body = redirected(client.get(f"/exports/{job.pk}/download", headers=auth), s3_endpoint)
        assert status == 200 and headers["Content-Type"] == "application/json"
        assert headers["Content-Disposition"] == f'attachment; filename="labelyard_export_{project.pk}_{job.pk}.json"'
        data = jsonio.loads(body)
        assert len(data) == 3 and data[1]["labels"]["car"][0]["polygon"][0] == {"x": 57, "y": 412}
        # The same checks as on local storage come first: no token is the login page, another's job a 404.
        anonymous = client.get(f"/exports/{job.pk}/download")
        assert anonymous.status_code == 302 and not anonymous["Location"].startswith(s3_endpoint)
        other = make_project("other", SEED_CONFIGURATION, [SEED_DOCUMENT])
        assert client.get(f"/exports/{export(other).pk}/download", headers=auth).status_code == 404

    def test_masks_and_zip_are_stored_and_served_from_the_bucket(self, s3_storage, s3_endpoint, media_root, client):
        """With masks: each mask and the zip (JSON and masks) are objects; the mask URLs redirect to them."""
        user = signed_in_member(client)
        project = make_project("seg", SEGMENTATION_CONFIGURATION, [SEGMENTED, None], labeler=user)
        add_member(project, user)
        job = export(project, masks=True)
        keys = bucket_keys(s3_endpoint, s3_storage)
        masks = [k for k in keys if k.startswith(f"exports/{project.pk}/{job.pk}/masks/")]
        assert len(masks) == 2 and job.archive in keys
        # The chunks' JSON parts and mask zips are deleted once the files are assembled.
        assert not [k for k in keys if "/parts/" in k or "/mask-parts/" in k]
        assert local_files(media_root) == []
        _, _, archive = redirected(client.get(f"/exports/{job.pk}/download.zip"), s3_endpoint)
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            names = opened.namelist()
            tasks = jsonio.loads(opened.read(names[0]))[1:]
        assert names[0].endswith(".json") and sorted(n for n in names if n.startswith("masks/")) == sorted(
            f"masks/{k.split('/masks/')[1]}" for k in masks
        )
        status, headers, png = redirected(
            client.get(tasks[0]["segmentations"][0].removeprefix("http://testserver")), s3_endpoint
        )
        assert status == 200 and headers["Content-Type"] == "image/png"
        mask = np.array(Image.open(io.BytesIO(png)))
        assert mask.shape == (1080, 1920) and mask[100, 500] == 255 and mask[200, 600] == 0
        missing = f"/exports/{job.pk}/masks/{uuid.uuid4()}/seqmentation.png"
        assert client.get(missing).status_code == 404

    def test_export_command_reads_the_bucket(self, s3_storage, media_root, tmp_path):
        """export_labels writes the JSON and masks it reads from the bucket to the user's paths."""
        project = make_project("cmd", SEGMENTATION_CONFIGURATION, [SEGMENTED, SEGMENTED])
        out = tmp_path / "out"
        out.mkdir()
        call_command("export_labels", str(project.pk), "--out", str(out / "labels.json"), "--masks", str(out / "m"))
        assert len(jsonio.loads((out / "labels.json").read_bytes())) == 3
        assert len(list((out / "m").glob("*/seqmentation.png"))) == 2
        assert local_files(media_root) == []


def signed_in_member(client):
    """A user signed in on `client`, to be made a member of the test's project."""
    user = get_user_model().objects.create_user("member", password="pw-member-123")
    client.force_login(user)
    return user


@pytest.mark.django_db
class TestReleaseToBucket:
    def test_release_and_coco_are_stored_and_served_from_the_bucket(self, s3_storage, s3_endpoint, media_root, client):
        """The release file, COCO and bitmaps are objects; the downloads and the signed image and bitmap
        URLs redirect to them; the COCO parts are deleted once assembled."""
        user = signed_in_member(client)
        project = release_project()
        add_member(project, user)
        release = build_release(project)
        keys = bucket_keys(s3_endpoint, s3_storage)
        folder = f"releases/{project.pk}/{release.pk}/"
        assert {release.file, release.coco_file} <= set(keys)
        assert len([k for k in keys if k.startswith(folder + "bitmaps/")]) == 3
        assert not [k for k in keys if k.startswith(folder + "coco-parts/")]
        assert local_files(media_root) == []
        status, headers, body = redirected(client.get(f"/releases/{release.pk}/download"), s3_endpoint)
        assert status == 200 and headers["Content-Type"] == "application/json"
        sample = jsonio.loads(body)["dataset"]["samples"][0]
        _, _, coco = redirected(client.get(f"/releases/{release.pk}/coco"), s3_endpoint)
        assert len(jsonio.loads(coco)["annotations"]) == 9
        client.logout()  # signed release files need no login
        _, headers, image = redirected(
            client.get(sample["attributes"]["image"]["url"].removeprefix("http://testserver")), s3_endpoint
        )
        assert headers["Content-Type"] == "image/jpeg" and Image.open(io.BytesIO(image)).size == (WIDTH, HEIGHT)
        bitmap_url = sample["labels"]["ground-truth"]["attributes"]["segmentation_bitmap"]["url"]
        _, _, bitmap = redirected(client.get(bitmap_url.removeprefix("http://testserver")), s3_endpoint)
        assert np.asarray(Image.open(io.BytesIO(bitmap))).shape == (HEIGHT, WIDTH, 4)
        token = sample["attributes"]["image"]["url"].split("/")[-2]
        assert client.get(f"/release-files/{token[:-2]}xx/a.jpg").status_code == 403

    def test_create_release_command_reads_the_bucket(self, s3_storage, media_root, tmp_path):
        project = release_project()
        out = tmp_path / "out"
        out.mkdir()
        call_command("create_release", project.pk, "--name", "cli", "--out", str(out / "r.json"),
                     "--coco", str(out / "c.json"), stdout=io.StringIO())  # fmt: skip
        assert jsonio.loads((out / "r.json").read_bytes())["dataset"]["task_type"] == "segmentation-bitmap"
        assert len(jsonio.loads((out / "c.json").read_bytes())["annotations"]) == 9
        assert local_files(media_root) == []


@pytest.mark.django_db(transaction=True)
def test_segments_sdk_loads_a_release_through_presigned_redirects(s3_storage, live_server, tmp_path, monkeypatch):
    """The unmodified SDK fetches every image and bitmap from signed release-file URLs, which redirect
    to the bucket; its HTTP client (requests) follows them."""
    require("segments")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    from segments import SegmentsDataset

    release = build_release(release_project(), base_url=live_server.url)
    path = tmp_path / "release.json"
    path.write_bytes(stored_bytes(release.file))
    dataset = SegmentsDataset(str(path), labelset="ground-truth", filter_by=["labeled", "reviewed"], segments_dir=None)
    assert len(dataset) == 3
    for sample in dataset:
        assert sample["image"].size == (WIDTH, HEIGHT)
        ids = np.asarray(sample["segmentation_bitmap"])
        assert set(np.unique(ids)) - {0} == {a["id"] for a in sample["annotations"]}


@pytest.fixture
def bucket_workers(transactional_db, s3_storage, s3_endpoint, tmp_path):
    """Two `celery worker` processes on one private queue, each with its own empty MEDIA_ROOT and the
    test's bucket: like two machines that share the database, the broker and the bucket, no disk."""
    from labelyard.celery import app as celery_app

    queue = f"test-{uuid.uuid4().hex[:12]}"
    processes = []
    for number in (1, 2):
        media = tmp_path / f"worker-{number}-media"
        env = {
            **os.environ,
            **storage_server.environment(s3_endpoint, s3_storage),
            "DATABASE_URL": database_url(),
            "LABELYARD_MEDIA_ROOT": str(media),
            "CELERY_TASK_ALWAYS_EAGER": "0",
        }
        log = open(tmp_path / f"worker-{number}.log", "w")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "labelyard", "worker", "-Q", queue, "--concurrency=1",
             "--loglevel=info", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"{queue}-{number}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        process.media, process.log = media, log
        processes.append(process)
    celery_app.conf.task_always_eager = False
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield processes
    finally:
        celery_app.conf.task_default_queue = previous_queue
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.log.close()


@pytest.mark.worker
def test_workers_without_a_shared_disk_build_one_export(bucket_workers, s3_storage, s3_endpoint, media_root):
    """The chunks run on both workers; the one that finishes reads the other's parts and masks from the
    bucket. Nothing is written to any of the three MEDIA_ROOTs."""
    documents = [SEGMENTED] * 400
    project = make_project("two machines", SEGMENTATION_CONFIGURATION, documents, size=(640, 360))
    job, _ = build.start_export(project, None, build.normalise_options(masks=True), "http://testserver")
    logs = [process.log.name for process in bucket_workers]
    row = wait_for(
        lambda: ExportJob.objects.filter(pk=job.pk, state__in=["done", "failed"]).first(),
        timeout=180,
        message=f"the export (logs: {logs})",
    )
    assert row.state == ExportJob.State.DONE, row.error
    rendered = [Path(log).read_text().count("render_mask_chunk") for log in logs]
    assert all(rendered), f"each worker renders chunks: {rendered}"
    keys = bucket_keys(s3_endpoint, s3_storage)
    assert len([k for k in keys if f"/{job.pk}/masks/" in k]) == 400
    assert len(jsonio.loads(stored_bytes(row.file))) == 401
    for folder in (media_root, *(process.media for process in bucket_workers)):
        assert local_files(folder) == []
