"""Releases end to end: build, immutability, run-twice, the real segments-ai SDK over HTTP, pycocotools,
a real worker, and the pages, API and command refusing bad input with 4xx or CommandError."""

import io
import os
import re
import signal
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from exports import releases
from exports.models import Release
from formats import jsonio
from labeling.models import Task, TaskLabels
from labeling.states import State
from projects.models import Media, ProjectMember
from raster import masks
from tests.conftest import require, wait_for
from tests.exports.conftest import SEGMENTATION_CONFIGURATION, add_member, make_project

WIDTH, HEIGHT = 160, 120
CONFIGURATION = {
    "entries": [
        {"key": "road", "name": "Road", "kind": "image_segmentation", "children": [
            {"key": "surface", "name": "Surface", "kind": "option", "options": ["asphalt", "gravel"]},
        ]},
        {"key": "car", "name": "Car", "kind": "polygon", "children": [
            {"key": "tags", "name": "Tags", "kind": "checklist", "options": ["parked", "damaged"]},
            {"key": "wheel", "name": "Wheel", "kind": "point"},
        ]},
        {"key": "sign", "name": "Sign", "kind": "rectangle"},
        {"key": "lane", "name": "Lane", "kind": "line"},
        {"key": "weather", "name": "Weather", "kind": "option", "options": ["fair", "rainy"]},
    ]
}  # fmt: skip


def document(i):
    """A road with a hole, a car over it, a sign, a lane, a wheel: the areas overlap, so ids are tested."""
    dx = 3 * i
    return {
        "geometries": [
            {"id": "r", "class": "road", "source": "human",
             "coordinates": [[[10 + dx, 60], [150, 60], [150, 115], [10 + dx, 115]],
                             [[40, 80], [70, 80], [70, 100], [40, 100]]],
             "classifications": {"surface": {"values": ["gravel"]}}},
            {"id": "c", "class": "car", "source": "human",
             "coordinates": [[20 + dx, 40], [90, 45.5], [85, 90], [25 + dx, 85]],
             "classifications": {"tags": {"values": ["parked"]}},
             "nested": [{"id": "w", "class": "wheel", "source": "human", "coordinates": [30, 86]}]},
            {"id": "s", "class": "sign", "source": "human", "coordinates": [100, 5, 31, 25]},
            {"id": "l", "class": "lane", "source": "human", "coordinates": [[0, 118], [159, 110]]},
        ],
        "classifications": {"weather": {"values": ["rainy" if i % 2 else "fair"]}},
    }  # fmt: skip


def jpeg(i):
    buffer = io.BytesIO()
    Image.new("RGB", (WIDTH, HEIGHT), (20 * i % 255, 90, 160)).save(buffer, "JPEG")
    return buffer.getvalue()


def release_project(name="release project", states=(State.COMPLETED, State.REVIEWED, State.COMPLETED, State.WAITING)):
    """Four images with stored JPEG files: two completed, one reviewed, one waiting without labels."""
    documents = [document(i) if state != State.WAITING else None for i, state in enumerate(states)]
    project = make_project(name, CONFIGURATION, documents, size=(WIDTH, HEIGHT))
    for i, (task, state) in enumerate(zip(Task.objects.filter(project=project).order_by("id"), states, strict=True)):
        Task.objects.filter(pk=task.pk).update(state=state)
        media = Media.objects.get(pk=task.media_id)
        media.file.save(f"{media.pk}.jpg", ContentFile(jpeg(i)), save=True)
    project.bump_revision()
    return project


def build(project, name="v1.0", task_type="segmentation-bitmap", base_url="http://testserver", **options):
    release = releases.create_release(
        project,
        None,
        name=name,
        description="First release",
        labeled_states=options.get("labeled_states", [State.COMPLETED]),
        reviewed_states=options.get("reviewed_states", [State.REVIEWED]),
        task_type=task_type,
        base_url=base_url,
        dispatch=False,
    )
    releases.build_release(release.pk, render=releases.render_inline)
    release.refresh_from_db()
    assert release.state == Release.State.DONE, release.error
    return release


def read(release, field="file"):
    return jsonio.loads(releases.media_path(getattr(release, field)).read_bytes())


@pytest.mark.django_db
class TestBuildRelease:
    def test_counts_and_files(self):
        """A bitmap release lists every task as a sample; labelled ones have bitmaps and annotations."""
        release = build(release_project())
        assert (release.sample_count, release.labeled_count, release.reviewed_count) == (4, 2, 1)
        data = read(release)
        samples = data["dataset"]["samples"]
        assert [s["labels"]["ground-truth"] and s["labels"]["ground-truth"]["label_status"] for s in samples] == [
            "LABELED", "REVIEWED", "LABELED", None,
        ]  # fmt: skip
        assert [c["name"] for c in data["dataset"]["task_attributes"]["categories"]] == ["Road", "Car", "Sign"]
        label = samples[0]["labels"]["ground-truth"]["attributes"]
        assert [(a["id"], a["category_id"]) for a in label["annotations"]] == [(1, 1), (2, 2), (3, 3)]
        assert label["annotations"][0]["attributes"] == {"surface": "gravel"}
        assert label["annotations"][1]["attributes"] == {"tags": ["parked"]}
        assert label["image_attributes"] == {"weather": "fair"}
        assert release.annotation_count == 9

    def test_second_run_does_nothing(self):
        """A second build_release() run of a finished release writes nothing and claims nothing."""
        release = build(release_project())
        path = releases.media_path(release.file)
        before = (path.read_bytes(), path.stat().st_mtime_ns)
        releases.build_release(release.pk, render=releases.render_inline)
        release.refresh_from_db()
        assert release.attempts == 1 and release.state == Release.State.DONE
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before

    @pytest.mark.parametrize("task_type", ["segmentation-bitmap", "vector"])
    def test_coco_file_names_are_the_sample_names(self, task_type):
        """`x.jpg` (unlabelled, first) and `x.png` share a stem: the release renames the second, and so does COCO."""
        project = release_project(states=(State.WAITING, State.COMPLETED, State.REVIEWED))
        first, second, _ = Task.objects.filter(project=project).order_by("id").values_list("media_id", flat=True)
        Media.objects.filter(pk=first).update(original_name="x.jpg")
        Media.objects.filter(pk=second).update(original_name="x.png")
        project.bump_revision()
        release = build(project, task_type=task_type)
        samples = {s["uuid"]: s["name"] for s in read(release)["dataset"]["samples"]}
        assert samples[str(second)] == f"x-{str(second)[:8]}.png"
        coco = jsonio.loads(releases.media_path(release.coco_file).read_bytes())
        assert {i["labelyard_media"]: i["file_name"] for i in coco["images"]} == {
            media: name for media, name in samples.items() if media != str(first)
        }

    def test_a_failed_release_frees_its_name(self):
        """A release that failed (here the disk) says so without server paths; creating it again replaces it."""
        project = release_project()

        def broken(*args, **kwargs):
            raise OSError(28, "No space left on device", "/srv/labelyard/media/releases/1/1/chunks")

        failed = releases.create_release(
            project,
            None,
            name="v2",
            description="",
            labeled_states=[State.COMPLETED],
            reviewed_states=[],
            task_type="segmentation-bitmap",
            base_url="http://testserver",
            dispatch=False,
        )
        releases.build_release(failed.pk, render=broken)
        failed.refresh_from_db()
        assert failed.state == Release.State.FAILED and "/srv" not in failed.error
        assert "No space left on device" in failed.error
        again = build(project, name="V2")
        assert again.state == Release.State.DONE
        assert list(project.releases.values_list("name", flat=True)) == ["V2"]

    @pytest.mark.parametrize("task_type", ["segmentation-bitmap", "vector"])
    def test_a_dead_finisher_is_taken_over_by_a_redelivered_chunk(self, monkeypatch, task_type):
        """The worker dies while writing the files: the redelivered last chunk waits for the heartbeat
        to go stale (it returns the seconds, the task retries then), and then writes the release."""
        project = release_project()
        release = releases.create_release(
            project, None, name="dies", description="", labeled_states=[State.COMPLETED],
            reviewed_states=[State.REVIEWED], task_type=task_type, base_url="http://testserver", dispatch=False,
        )  # fmt: skip
        chunks = []
        releases.build_release(release.pk, render=lambda pk, attempt, ranges: chunks.extend(ranges))
        release.refresh_from_db()

        def killed(*args):
            raise SystemExit("worker killed")  # a BaseException: nothing in the finish catches it

        real_write_files = releases._write_files
        monkeypatch.setattr(releases, "_write_files", killed)
        (start, stop), *_ = chunks
        with pytest.raises(SystemExit):
            releases.render_inline(release.pk, release.attempts, chunks)
        monkeypatch.setattr(releases, "_write_files", real_write_files)

        wait = releases.render_chunk(release.pk, release.attempts, 0, start, stop)
        assert 250 < wait <= 301 and Release.objects.get(pk=release.pk).state == Release.State.RUNNING
        Release.objects.filter(pk=release.pk).update(heartbeat=timezone.now() - timedelta(seconds=301))
        assert releases.render_chunk(release.pk, release.attempts, 0, start, stop) is None
        done = Release.objects.get(pk=release.pk)
        assert done.state == Release.State.DONE, done.error
        assert read(done, "coco_file")["annotations"]

    def test_release_is_immutable(self):
        """After the labels change, the release file and COCO file stay byte-identical; a new release differs."""
        project = release_project()
        release = build(project)
        files = {f: releases.media_path(getattr(release, f)).read_bytes() for f in ("file", "coco_file")}
        bitmap = sorted(releases.media_path(releases.release_dir(release) / "bitmaps").iterdir())[0].read_bytes()
        changed = document(7)
        changed["geometries"] = changed["geometries"][1:]
        TaskLabels.objects.filter(task__project=project).update(document=changed)
        Task.objects.filter(project=project).update(state=State.REVIEWED)
        project.bump_revision()
        release.refresh_from_db()
        for field, content in files.items():
            assert releases.media_path(getattr(release, field)).read_bytes() == content
        bitmaps = releases.media_path(releases.release_dir(release) / "bitmaps")
        assert sorted(bitmaps.iterdir())[0].read_bytes() == bitmap
        later = build(project, name="v2.0")
        assert releases.media_path(later.file).read_bytes() != files["file"]
        assert later.reviewed_count == 4

    def test_bitmap_ids_match_annotations(self):
        """Every id in a bitmap is an annotation and the reverse; later objects lie on top; alpha is 255."""
        release = build(release_project())
        for sample in read(release)["dataset"]["samples"]:
            label = sample["labels"]["ground-truth"]
            if label is None:
                continue
            media = sample["uuid"]
            png = releases.media_path(releases.bitmap_name(release, media)).read_bytes()
            rgba = np.asarray(Image.open(io.BytesIO(png)))
            assert rgba.shape == (HEIGHT, WIDTH, 4) and (rgba[..., 3] == 255).all()
            rgb = rgba.astype(np.uint32)
            ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
            assert set(np.unique(ids)) - {0} == {a["id"] for a in label["attributes"]["annotations"]}
            task = Task.objects.get(media_id=media)
            geometries = TaskLabels.objects.get(task=task).document["geometries"]
            car = masks.render(WIDTH, HEIGHT, [[geometries[1]["coordinates"]]]) > 0
            assert (ids[car] == 2).all()

    def test_hidden_objects_are_left_out_of_bitmap_and_annotations(self):
        """A sign wholly covered by a later one has no pixel: ids stay 1..n over the visible objects."""
        hidden = document(0)
        hidden["geometries"][2:3] = [
            {"id": "s1", "class": "sign", "source": "human", "coordinates": [100, 5, 20, 20]},
            {"id": "s2", "class": "sign", "source": "human", "coordinates": [95, 0, 40, 40]},
        ]
        release = build(make_project("hidden", CONFIGURATION, [hidden], size=(WIDTH, HEIGHT)))
        (sample,) = read(release)["dataset"]["samples"]
        annotations = sample["labels"]["ground-truth"]["attributes"]["annotations"]
        assert [(a["id"], a["category_id"]) for a in annotations] == [(1, 1), (2, 2), (3, 3)]
        png = releases.media_path(releases.bitmap_name(release, sample["uuid"])).read_bytes()
        ids = np.asarray(Image.open(io.BytesIO(png))).astype(np.uint32)[..., 0]
        assert set(np.unique(ids)) == {0, 1, 2, 3}
        assert (ids[0:40, 95:135] == 3).all()

    def test_vector_release(self):
        """A vector release has every geometry class, with boxes, polygons, polylines and points in pixels."""
        release = build(release_project(), task_type="vector")
        data = read(release)
        assert [c["name"] for c in data["dataset"]["task_attributes"]["categories"]] == [
            "Road", "Car", "Wheel", "Sign", "Lane",
        ]  # fmt: skip
        annotations = data["dataset"]["samples"][0]["labels"]["ground-truth"]["attributes"]["annotations"]
        assert [(a["type"], a["category_id"]) for a in annotations] == [
            ("polygon", 1), ("polygon", 2), ("point", 3), ("bbox", 4), ("polyline", 5),
        ]  # fmt: skip
        assert annotations[3]["points"] == [[100.0, 5.0], [131.0, 30.0]]
        assert data["dataset"]["samples"][3]["labels"] == {"ground-truth": None}


def coco_iou_check(release):
    """Every COCO annotation's mask, decoded by pycocotools, against Labelyard's rendering: IoU >= 0.99."""
    from pycocotools.coco import COCO

    coco = COCO(str(releases.media_path(release.coco_file)))
    assert coco.getImgIds() and coco.getAnnIds()
    by_media = {}
    for image in coco.loadImgs(coco.getImgIds()):
        task = Task.objects.get(media_id=image["labelyard_media"])
        by_media[image["id"]] = TaskLabels.objects.get(task=task).document
    kinds = {"road": "image_segmentation", "car": "polygon", "sign": "rectangle"}
    seen = dict.fromkeys(by_media, 0)
    for annotation in coco.loadAnns(coco.getAnnIds()):
        image = coco.loadImgs(annotation["image_id"])[0]
        geometry = [g for g in by_media[image["id"]]["geometries"] if g["class"] in kinds][seen[image["id"]]]
        seen[image["id"]] += 1
        ours = (
            masks.render(
                image["width"], image["height"], [masks.area_rings(kinds[geometry["class"]], geometry["coordinates"])]
            )
            > 0
        )
        theirs = coco.annToMask(annotation).astype(bool)
        iou = (ours & theirs).sum() / (ours | theirs).sum()
        assert iou >= 0.99, (geometry["class"], iou)
        if geometry["class"] == "road":
            assert isinstance(annotation["segmentation"], dict) and annotation["area"] == ours.sum()
        else:
            assert isinstance(annotation["segmentation"], list)
    return coco


@pytest.mark.django_db
class TestCoco:
    def test_masks_match_labelyard_rendering(self):
        """pycocotools decodes every annotation to Labelyard's own mask (IoU >= 0.99); holes are RLE."""
        release = build(release_project())
        coco = coco_iou_check(release)
        assert len(coco.getImgIds()) == 3  # the waiting task is not labelled
        assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["Road", "Car", "Sign"]
        annotation = coco.loadAnns(coco.getAnnIds())[2]
        assert annotation["bbox"] == [100.0, 5.0, 31.0, 25.0] and annotation["area"] == 31 * 25
        assert annotation["iscrowd"] == 0

    @pytest.mark.parametrize("task_type", ["segmentation-bitmap", "vector"])
    def test_chunks_write_parts_numbered_across_the_release(self, monkeypatch, task_type):
        """With one task per chunk, the parts assemble into ids 1..n, each annotation on its own image."""
        monkeypatch.setattr(releases, "CHUNK_SIZE", 1)
        monkeypatch.setattr(releases, "VECTOR_CHUNK_SIZE", 1)
        release = build(release_project(), task_type=task_type)
        assert release.chunks_total == 4
        coco = coco_iou_check(release)
        assert coco.getAnnIds() == list(range(1, 10)) and coco.getImgIds() == [1, 2, 3]
        assert [len(coco.getAnnIds(imgIds=[i])) for i in (1, 2, 3)] == [3, 3, 3]
        assert not (releases.media_path(releases.release_dir(release)) / "coco-parts").exists()


@pytest.fixture
def sdk(monkeypatch):
    require("segments")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    from segments import SegmentsDataset
    from segments.utils import export_dataset

    return SegmentsDataset, export_dataset


@pytest.mark.django_db(transaction=True)
class TestSegmentsSdk:
    def test_bitmap_release_loads_and_exports(self, sdk, live_server, tmp_path):
        """The real SDK loads a bitmap release over signed URLs, iterates it, and exports coco-instance and semantic.

        segments_dir=None: with Pillow 13 the SDK cannot cache bitmaps (docs/segments-release.md section 9),
        so every image and bitmap is fetched over HTTP on access.
        """
        SegmentsDataset, export_dataset = sdk
        release = build(release_project(), base_url=live_server.url)
        path = str(releases.media_path(release.file))
        dataset = SegmentsDataset(path, labelset="ground-truth", filter_by=["labeled", "reviewed"], segments_dir=None)
        assert len(dataset) == 3
        for sample in dataset:
            assert sample["image"].size == (WIDTH, HEIGHT)
            ids = np.asarray(sample["segmentation_bitmap"])
            assert set(np.unique(ids)) - {0} == {a["id"] for a in sample["annotations"]}
        coco_file, _ = export_dataset(dataset, export_folder=str(tmp_path / "coco"), export_format="coco-instance")
        exported = jsonio.loads(Path(coco_file).read_bytes())
        assert len(exported["images"]) == 3 and len(exported["annotations"]) == 9
        export_dataset(dataset, export_folder=str(tmp_path / "semantic"), export_format="semantic")
        semantic = sorted((tmp_path / "semantic").glob("*_semantic.png"))
        assert len(semantic) == 3
        values = np.asarray(Image.open(semantic[0]))
        assert set(np.unique(values)) == {0, 1, 2, 3}

    def test_vector_release_loads_and_exports(self, sdk, live_server, tmp_path):
        """The real SDK loads a vector release with caching on and exports coco-instance."""
        SegmentsDataset, export_dataset = sdk
        release = build(release_project(), task_type="vector", base_url=live_server.url)
        dataset = SegmentsDataset(
            str(releases.media_path(release.file)),
            labelset="ground-truth",
            filter_by=["LABELED", "reviewed"],
            segments_dir=str(tmp_path / "segments"),
        )
        names = [sample["name"] for sample in dataset]
        assert len(names) == 3 and all(sample["image"] is not None for sample in dataset)
        coco_file, _ = export_dataset(dataset, export_folder=str(tmp_path / "out"), export_format="coco-instance")
        exported = jsonio.loads(Path(coco_file).read_bytes())
        kinds = [sorted(k for k in ("bbox", "points", "keypoints") if k in a) for a in exported["annotations"]]
        assert kinds[:5] == [["points"], ["points"], ["keypoints"], ["bbox"], []]


@pytest.mark.worker
def test_worker_builds_release(celery_worker, media_root):
    """A real worker process builds a bitmap release, chunks included, from a create_release() call."""
    project = release_project()
    release = releases.create_release(
        project, None, name="w1", description="", labeled_states=[State.COMPLETED],
        reviewed_states=[State.REVIEWED], task_type="segmentation-bitmap", base_url="http://testserver",
    )  # fmt: skip
    done = wait_for(
        lambda: Release.objects.filter(pk=release.pk, state__in=["done", "failed"]).first(),
        timeout=90,
        message="the worker to build the release",
    )
    assert done.state == Release.State.DONE, done.error + Path(celery_worker.log_path).read_text()[-3000:]
    assert done.labeled_count == 2 and done.chunks_total == 1


def selected_task_types(page):
    """The values of the task type menu's options that the page renders as selected."""
    menu = re.search(r'<select name="task_type"[^>]*>(.*?)</select>', page.content.decode(), re.S)
    assert menu, "the release form has no task type menu"
    return re.findall(r'<option value="([^"]*)" selected>', menu.group(1))


@pytest.mark.django_db
class TestEntryPoints:
    def test_page_defaults_to_vector_without_segmentations(self, admin_client, admin_user):
        """docs/decisions.md, Releases: `vector` is the default when no class is a segmentation."""
        project = make_project("vector only", {"entries": [{"key": "car", "name": "Car", "kind": "polygon"}]}, [None])
        add_member(project, admin_user)
        page = admin_client.get(reverse("exports:releases", args=[project.pk]))
        assert page.status_code == 200
        assert selected_task_types(page) == ["vector"]

    def test_page_creates_release(self, admin_client, admin_user):
        """The Releases tab creates a release (default task type from the configuration) and lists it."""
        project = release_project()
        add_member(project, admin_user)
        url = reverse("exports:releases", args=[project.pk])
        page = admin_client.get(url)
        assert page.status_code == 200
        assert selected_task_types(page) == ["segmentation-bitmap"]
        response = admin_client.post(url, {"name": "v1", "labeled_states": ["completed"],
                                           "reviewed_states": ["reviewed"], "task_type": "vector"})  # fmt: skip
        assert response.status_code == 302
        assert Release.objects.get(project=project).name == "v1"
        again = admin_client.post(url, {"name": "v1", "labeled_states": ["completed"], "task_type": "vector"})
        assert again.status_code == 200 and "already has a release" in again.content.decode()
        both = admin_client.post(url, {"name": "v2", "labeled_states": ["completed"],
                                       "reviewed_states": ["completed"], "task_type": "vector"})  # fmt: skip
        assert both.status_code == 200 and "not both" in both.content.decode()

    def test_labeler_cannot_create(self, client, django_user_model):
        """Members see releases; only admins create them (403)."""
        project = release_project()
        labeler = django_user_model.objects.create_user("lab", password="pw-lab-12345")
        add_member(project, labeler, ProjectMember.Role.LABELER)
        client.force_login(labeler)
        assert client.get(reverse("exports:releases", args=[project.pk])).status_code == 200
        response = client.post(reverse("exports:releases", args=[project.pk]), {"name": "x", "task_type": "vector"})
        assert response.status_code == 403 and b"Only project admins create releases." in response.content
        api = client.post(f"/api/projects/{project.pk}/releases", {"name": "x"}, content_type="application/json")
        assert api.status_code == 403

    def test_other_methods_are_a_405(self, admin_client, admin_user):
        """The Releases page takes GET and POST; release files are read-only, whatever the token."""
        release = build(release_project())
        add_member(release.project, admin_user)
        assert admin_client.delete(reverse("exports:releases", args=[release.project_id])).status_code == 405
        url = read(release)["dataset"]["samples"][0]["attributes"]["image"]["url"].removeprefix("http://testserver")
        assert admin_client.post(url).status_code == 405 and admin_client.head(url).status_code == 200

    def test_api(self, admin_client, admin_user, django_capture_on_commit_callbacks):
        """POST creates (201) and the release is built; bad input is a 400 with the field named, never a 500."""
        project = release_project()
        add_member(project, admin_user)
        url = f"/api/projects/{project.pk}/releases"
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(url, {"name": "api-1"}, content_type="application/json")
        assert response.status_code == 201, response.content
        body = admin_client.get(f"/api/releases/{response.json()['id']}").json()
        assert body["state"] == "done" and body["task_type"] == "segmentation-bitmap"
        assert admin_client.get(body["download_url"]).status_code == 200
        assert admin_client.get(body["coco_url"]).status_code == 200
        assert [r["name"] for r in admin_client.get(url).json()] == ["api-1"]
        bad_bodies = (
            ({}, "name"), ({"name": "api-1"}, "name"), ({"name": "API-1"}, "name"), ({"name": "a/b"}, "name"),
            ({"name": "../../x"}, "name"), ({"name": "tab\there"}, "name"), ({"name": ".."}, "name"),
            ({"name": "x", "task_type": "cube"}, "task_type"),
            ({"name": "x", "labeled_states": ["?"]}, "labeled_states.0"),
            ({"name": "x", "labeled_states": [], "reviewed_states": []}, "non_field_errors"),
            ({"name": "x" * 101}, "name"),
            ({"name": "x", "labeled_states": ["reviewed"], "reviewed_states": ["reviewed"]}, "reviewed_states"),
            ([], "non_field_errors"),
        )  # fmt: skip
        for bad, path in bad_bodies:
            answer = admin_client.post(url, bad, content_type="application/json")
            assert answer.status_code == 400, (bad, answer.content)
            assert path in [error["path"] for error in answer.json()["errors"]], (bad, answer.content)
        assert [r["name"] for r in admin_client.get(url).json()] == ["api-1"]
        # A list left out takes its default, less what the other list holds.
        with django_capture_on_commit_callbacks(execute=True):
            only_reviewed = admin_client.post(
                url, {"name": "rev", "reviewed_states": ["reviewed"]}, content_type="application/json"
            )
            all_labelled = admin_client.post(
                url, {"name": "lab", "labeled_states": ["completed", "reviewed"]}, content_type="application/json"
            )
        assert (only_reviewed.json()["labeled_states"], only_reviewed.json()["reviewed_states"]) == (
            ["completed"],
            ["reviewed"],
        )
        assert (all_labelled.json()["labeled_states"], all_labelled.json()["reviewed_states"]) == (
            ["completed", "reviewed"],
            [],
        )
        assert admin_client.post(url, b"{", content_type="application/json").status_code == 400
        assert admin_client.get("/api/releases/999999").status_code == 404
        assert admin_client.post("/api/projects/999999/releases", {"name": "x"},
                                 content_type="application/json").status_code == 404  # fmt: skip

    def test_signed_urls(self, client):
        """Release files need no login; a tampered, foreign or expired token is refused with a 4xx."""
        release = build(release_project())
        sample = read(release)["dataset"]["samples"][0]
        image_url = sample["attributes"]["image"]["url"].removeprefix("http://testserver")
        bitmap_url = sample["labels"]["ground-truth"]["attributes"]["segmentation_bitmap"]["url"]
        image = client.get(image_url)
        assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
        bitmap = client.get(bitmap_url.removeprefix("http://testserver"))
        assert bitmap.status_code == 200 and b"".join(bitmap.streaming_content)[:4] == b"\x89PNG"
        token = image_url.split("/")[2]
        assert client.get(image_url.replace(token, token[:-2] + "xx")).status_code == 403
        assert client.get(f"/release-files/{token}/other.jpg").status_code == 404
        assert client.get("/release-files/nonsense/a.png").status_code == 403

    def test_expired_urls(self, client, settings):
        """An URL older than LABELYARD_RELEASE_URL_MAX_AGE is refused (403)."""
        release = build(release_project())
        url = read(release)["dataset"]["samples"][0]["attributes"]["image"]["url"].removeprefix("http://testserver")
        settings.LABELYARD_RELEASE_URL_MAX_AGE = -1
        response = client.get(url)
        assert response.status_code == 403 and b"expired" in response.content
        # The age is checked when used: raising the setting revives the release's links.
        settings.LABELYARD_RELEASE_URL_MAX_AGE = 3600
        assert client.get(url).status_code == 200

    def test_command(self, tmp_path):
        """create_release builds inline and copies the files; bad input is a CommandError sentence."""
        project = release_project()
        out, coco_out = tmp_path / "release.json", tmp_path / "coco.json"
        stdout = io.StringIO()
        call_command("create_release", project.pk, "--name", "cli", "--out", str(out), "--coco", str(coco_out),
                     stdout=stdout)  # fmt: skip
        assert "4 sample(s), 2 labelled, 1 reviewed" in stdout.getvalue()
        assert jsonio.loads(out.read_bytes())["dataset"]["task_type"] == "segmentation-bitmap"
        assert jsonio.loads(coco_out.read_bytes())["images"]
        for args, message in (
            ([999999, "--name", "x"], "There is no project 999999"),
            ([project.pk, "--name", "cli"], "already has a release"),
            ([project.pk, "--name", " "], "1 to 100 characters"),
            ([project.pk, "--name", "y", "--labeled-states", "bogus"], "Unknown task state(s) bogus"),
            ([project.pk, "--name", "z", "--labeled-states", "", "--reviewed-states", ""], "at least one state"),
            ([project.pk, "--name", "CLI"], "already has a release named “cli”"),
            ([project.pk, "--name", "a/b"], "cannot hold '/'"),
            ([project.pk, "--name", "o", "--out", str(tmp_path)], "is a folder"),
            ([project.pk, "--name", "o", "--coco", str(tmp_path / "no" / "c.json")], "does not exist"),
            ([project.pk, "--name", "o", "--base-url", "not a url"], "not an http"),
        ):
            with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
                call_command("create_release", *args, stdout=io.StringIO())
        assert os.path.getsize(out) > 0
        # The argument mistakes were found before a release was made: "o" is still free.
        assert list(Release.objects.filter(project=project).values_list("name", flat=True)) == ["cli"]
        assert jsonio.loads(out.read_bytes())["dataset"]["name"] == f"release-project-{project.pk}"

    def test_a_bitmap_needs_an_area_class(self, admin_client, admin_user):
        """A configuration of points and lines has nothing to draw into a bitmap: a 400 on the task type."""
        project = make_project("points", {"entries": [{"key": "p", "name": "P", "kind": "point"}]}, [None])
        add_member(project, admin_user)
        answer = admin_client.post(
            f"/api/projects/{project.pk}/releases",
            {"name": "b", "task_type": "segmentation-bitmap"},
            content_type="application/json",
        )
        assert answer.status_code == 400 and answer.json()["errors"][0]["path"] == "task_type"
        assert not Release.objects.filter(project=project).exists()


@pytest.mark.worker
def test_killed_worker_leaves_no_release_file_behind_a_link(celery_worker, admin_client, admin_user):
    """SIGKILL of the worker while a release is built: it is not done, serves nothing, and a run
    after the heartbeat went stale builds it completely."""
    from tests.exports.test_jobs import children_of, segmented_documents

    project = make_project("killed release", SEGMENTATION_CONFIGURATION, segmented_documents(400))
    add_member(project, admin_user)
    release = releases.create_release(
        project, admin_user, name="k1", description="", labeled_states=[State.COMPLETED], reviewed_states=[],
        task_type="segmentation-bitmap", base_url="http://testserver",
    )  # fmt: skip
    wait_for(
        lambda: Release.objects.get(pk=release.pk).progress > 0,
        timeout=120,
        interval=0.02,
        message=f"the release to start (log: {celery_worker.log_path})",
    )
    for pid in [*children_of(celery_worker.pid), celery_worker.pid]:
        os.kill(pid, signal.SIGKILL)
    celery_worker.wait(timeout=10)
    row = Release.objects.get(pk=release.pk)
    assert row.state == Release.State.RUNNING and row.file == "" and row.coco_file == ""
    assert admin_client.get(reverse("exports:release_download", args=[release.pk])).status_code == 404
    assert admin_client.get(reverse("exports:release_coco", args=[release.pk])).status_code == 404

    Release.objects.filter(pk=release.pk).update(heartbeat=None)
    releases.build_release(release.pk, render=releases.render_inline)
    done = Release.objects.get(pk=release.pk)
    assert (done.state, done.sample_count, done.attempts) == (Release.State.DONE, 400, 2), done.error
    assert read(done)["dataset"]["samples"] and read(done, "coco_file")["annotations"]
