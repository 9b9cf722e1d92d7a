"""Export jobs run inline (eager Celery): the file's shape, reuse, idempotent steps, failures."""

import io
import zipfile

import numpy as np
import pytest
from django.test import TestCase
from django.utils import timezone
from PIL import Image

from exports import build
from exports.models import ExportChunk, ExportJob
from formats import jsonio
from labeling import bulk
from labeling.models import TaskLabels
from labeling.states import State
from projects import tokens
from projects.models import ProjectMember
from tests.exports.conftest import SEED_CONFIGURATION, SEGMENTATION_CONFIGURATION, make_project

pytestmark = pytest.mark.django_db

SEED_DOCUMENT = {
    "geometries": [
        {"id": "g1", "class": "car", "coordinates": [[57, 412], [54, 463], [130, 524], [1148, 684]]},
    ],
    "classifications": {"weather": {"values": ["sunny"], "children": {"daytime": {"values": ["day"]}}}},
}
SEED_SEGMENTATION = [
    [[254, 173], [177, 174], [182, 77], [833, 50], [842, 160], [780, 161], [784, 322], [250, 313]],
    [[579, 165], [685, 163], [688, 278], [579, 279]],
    [[400, 169], [496, 167], [500, 275], [399, 272]],
    [[285, 172], [332, 171], [331, 250], [286, 249]],
]


def run(project, states=None, masks=False, user=None):
    options = build.normalise_options(states, masks)
    with TestCase.captureOnCommitCallbacks(execute=True):
        job, _ = build.start_export(project, user, options, "http://testserver")
    job.refresh_from_db()
    return job


def exported(job):
    return jsonio.loads(build.media_path(job.file).read_bytes())


class TestSeedShape:
    def test_seed_example_exports_in_the_seed_shape(self, admin_user):
        """The seed's configuration and labels give the seed's file, with the decisions' choices."""
        project = make_project("seed", SEED_CONFIGURATION, [SEED_DOCUMENT], labeler=admin_user)
        job = run(project)
        assert job.state == ExportJob.State.DONE, job.error
        task = project.tasks.select_related("media").get()
        assert exported(job) == [
            {
                "label_classes": [
                    {"class_name": "bus", "geometry_type": "rectangle"},
                    {"class_name": "car", "geometry_type": "polygon"},
                    {"class_name": "car_type", "classification_type": "select"},
                    {"class_name": "weather", "classification_type": "radio"},
                    {"class_name": "daytime", "classification_type": "select"},
                ]
            },
            {
                "internal_media_ID": str(task.media_id),
                "external_media_ID": task.media.original_name,
                "labeler": "boss",
                "status": "completed",
                "global_classifications": {"weather": ["sunny", {"daytime": ["day"]}]},
                "labels": {
                    "bus": [],
                    "car": [
                        {
                            "polygon": [
                                {"x": 57, "y": 412},
                                {"x": 54, "y": 463},
                                {"x": 130, "y": 524},
                                {"x": 1148, "y": 684},
                            ],
                            "classifications": {"car_type": [None]},
                            "nested_geometries": {},
                        }
                    ],
                },
            },
        ]

    def test_empty_project_still_lists_its_classes(self):
        """A project without exportable tasks exports [{"label_classes": [...]}]."""
        project = make_project("empty", SEED_CONFIGURATION, [SEED_DOCUMENT], state=State.WAITING)
        data = exported(run(project))
        assert len(data) == 1 and len(data[0]["label_classes"]) == 5

    def test_states_option_selects_tasks(self):
        """Only tasks in the chosen states are written."""
        project = make_project("states", SEED_CONFIGURATION, [SEED_DOCUMENT] * 3, state=State.IN_PROGRESS)
        assert len(exported(run(project))) == 1
        assert len(exported(run(project, states=["in_progress"]))) == 4

    def test_segmentation_urls_and_masks(self, admin_client, admin_user):
        """Segmentation projects list one mask URL per class; the URL serves the task's mask."""
        document = {"geometries": [{"id": "s", "class": "seqmentation", "coordinates": SEED_SEGMENTATION}]}
        project = make_project("seg", SEGMENTATION_CONFIGURATION, [document, None], labeler=admin_user)
        job = run(project, masks=True)
        assert job.state == ExportJob.State.DONE, job.error
        tasks = exported(job)[1:]
        assert [t["segmentations"] for t in tasks] == [
            [f"http://testserver/exports/{job.pk}/masks/{t['internal_media_ID']}/seqmentation.png"] for t in tasks
        ]
        assert tasks[0]["labels"]["seqmentation"][0]["image_segmentation"][1][0] == {"x": 579, "y": 165}
        response = admin_client.get(tasks[0]["segmentations"][0].removeprefix("http://testserver"))
        assert response.status_code == 200
        mask = np.array(Image.open(io.BytesIO(b"".join(response.streaming_content))))
        assert mask.shape == (1080, 1920) and mask[100, 500] == 255 and mask[200, 600] == 0
        too_long = f"/exports/{job.pk}/masks/{tasks[0]['internal_media_ID']}/{'a' * 300}.png"
        assert admin_client.get(too_long).status_code == 404
        empty = admin_client.get(tasks[1]["segmentations"][0].removeprefix("http://testserver"))
        assert not np.array(Image.open(io.BytesIO(b"".join(empty.streaming_content)))).any()
        with zipfile.ZipFile(build.media_path(job.archive)) as archive:
            names = archive.namelist()
        assert names[0].endswith(".json") and len([n for n in names if n.startswith("masks/")]) == 2

    def test_a_script_downloads_with_its_api_token(self, client, admin_user):
        """The URLs the API answers with (the file, the zip, a mask) take the same token; a revoked
        token is a 401 that says so, and no token sends the browser to the login page."""
        document = {"geometries": [{"id": "s", "class": "seqmentation", "coordinates": SEED_SEGMENTATION}]}
        project = make_project("seg", SEGMENTATION_CONFIGURATION, [document], labeler=admin_user)
        job = run(project, masks=True)
        token, key = tokens.create_token(admin_user, "script")
        auth = {"Authorization": f"Token {key}"}
        answer = client.get(f"/api/exports/{job.pk}", headers=auth).json()
        data = client.get(answer["download_url"].removeprefix("http://testserver"), headers=auth)
        assert data.status_code == 200
        mask_url = jsonio.loads(b"".join(data.streaming_content))[1]["segmentations"][0]
        assert client.get(mask_url.removeprefix("http://testserver"), headers=auth).status_code == 200
        assert client.get(answer["archive_url"].removeprefix("http://testserver"), headers=auth).status_code == 200
        assert client.get(f"/exports/{job.pk}/download").status_code == 302
        no_zip = run(project)  # without masks: other options, so a new job with no zip
        missing = client.get(f"/exports/{no_zip.pk}/download.zip", headers=auth)
        assert missing.status_code == 404 and b"This export has no zip file." in missing.content
        tokens.revoke(admin_user, token.pk)
        refused = client.get(f"/exports/{job.pk}/download", headers=auth)
        assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Token" and refused.content


class TestReuse:
    def test_unchanged_project_reuses_the_job(self):
        """Exporting again with the same options and no change returns the finished job."""
        project = make_project("reuse", SEED_CONFIGURATION, [SEED_DOCUMENT])
        first = run(project)
        again, created = build.start_export(project, None, build.normalise_options(), "http://testserver")
        assert (again.pk, created) == (first.pk, False)

    def test_any_change_makes_a_new_file(self):
        """A label edit bumps the revision, so the next export is a new job with a new file."""
        project = make_project("change", SEED_CONFIGURATION, [SEED_DOCUMENT])
        first = run(project)
        TaskLabels.objects.update(document={"geometries": [], "classifications": {}})
        project.bump_revision()
        second = run(project)
        assert second.pk != first.pk and second.file != first.file
        assert exported(second)[1]["labels"]["car"] == []

    def test_assigning_a_labeler_makes_a_new_file(self, client, admin_user, django_user_model):
        """The labeler is in the file: assigning one (API or bulk action) makes the next export a new one."""
        project = make_project(
            "assign", SEED_CONFIGURATION, [SEED_DOCUMENT, SEED_DOCUMENT], state=State.IN_PROGRESS, labeler=admin_user
        )
        labeler = django_user_model.objects.create_user("lab")
        ProjectMember.objects.create(project=project, user=labeler, role=ProjectMember.Role.LABELER)
        first = run(project, states=[State.IN_PROGRESS])
        task = project.tasks.order_by("pk").first()
        client.force_login(admin_user)
        response = client.post(f"/api/tasks/{task.pk}/assign", {"labeler": "lab"}, content_type="application/json")
        assert response.status_code == 200
        second = run(project, states=[State.IN_PROGRESS])
        assert second.pk != first.pk and exported(second)[1]["labeler"] == "lab"
        bulk.assign(project.tasks.exclude(pk=task.pk), project, labeler)
        third = run(project, states=[State.IN_PROGRESS])
        assert third.pk != second.pk and [t["labeler"] for t in exported(third)[1:]] == ["lab", "lab"]

    def test_queued_twin_reuses_finished_files(self):
        """A queued job whose twin finished first points at the twin's files instead of rebuilding."""
        project = make_project("twin", SEED_CONFIGURATION, [SEED_DOCUMENT])
        first = run(project)
        twin = ExportJob.objects.create(
            project=project, options=first.options, base_url=first.base_url, revision=project.revision
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            build.build_export(twin.pk)
        twin.refresh_from_db()
        assert (twin.state, twin.file, twin.size) == (ExportJob.State.DONE, first.file, first.size)


class TestIdempotence:
    def test_build_export_twice_writes_nothing_new(self):
        """A second build_export() run of a finished job writes nothing."""
        project = make_project("twice", SEED_CONFIGURATION, [SEED_DOCUMENT])
        job = run(project)
        path = build.media_path(job.file)
        stamp = path.stat().st_mtime_ns
        build.build_export(job.pk)
        job.refresh_from_db()
        assert job.state == ExportJob.State.DONE and job.attempts == 1
        assert path.stat().st_mtime_ns == stamp

    def test_render_chunk_twice_counts_once(self):
        """A redelivered mask chunk is not counted twice."""
        document = {"geometries": [{"id": "s", "class": "seqmentation", "coordinates": SEED_SEGMENTATION}]}
        project = make_project("chunks", SEGMENTATION_CONFIGURATION, [document] * 3)
        job = run(project, masks=True)
        chunk = ExportChunk.objects.get(job=job)
        build.render_chunk(chunk.pk)
        job.refresh_from_db()
        assert (job.chunks_done, job.chunks_total, job.state) == (1, 1, ExportJob.State.DONE)

    def test_stale_running_job_is_taken_over(self, settings):
        """A running job whose worker died is rebuilt from scratch by the next run."""
        settings.LABELYARD_JOB_STALE_SECONDS = 0
        project = make_project("stale", SEED_CONFIGURATION, [SEED_DOCUMENT])
        job = ExportJob.objects.create(
            project=project, options=build.normalise_options(), base_url="http://x", state="running", attempts=1
        )
        with TestCase.captureOnCommitCallbacks(execute=True):
            build.build_export(job.pk)
        job.refresh_from_db()
        assert (job.state, job.attempts) == (ExportJob.State.DONE, 2)

    def test_job_held_in_its_snapshot_phase_says_when_to_retry(self):
        """A redelivered build of a job whose snapshot another run is writing waits for its heartbeat."""
        project = make_project("held", SEED_CONFIGURATION, [SEED_DOCUMENT])
        job = ExportJob.objects.create(
            project=project, options=build.normalise_options(), base_url="http://x", state="running", attempts=1,
            heartbeat=timezone.now(),
        )  # fmt: skip
        wait = build.build_export(job.pk)
        assert 0 < wait <= 301
        ExportJob.objects.filter(pk=job.pk).update(chunks_total=3)
        assert build.build_export(job.pk) is None
        job.refresh_from_db()
        assert (job.state, job.attempts) == (ExportJob.State.RUNNING, 1)

    def test_job_killing_its_worker_stops_after_max_attempts(self, settings):
        """After MAX_ATTEMPTS claims a stale job fails instead of looping."""
        settings.LABELYARD_JOB_STALE_SECONDS = 0
        project = make_project("loop", SEED_CONFIGURATION, [SEED_DOCUMENT])
        job = ExportJob.objects.create(
            project=project, options=build.normalise_options(), base_url="http://x", state="running", attempts=3
        )
        build.build_export(job.pk)
        job.refresh_from_db()
        assert job.state == ExportJob.State.FAILED and "3 times" in job.error


class TestFailure:
    def test_failure_stores_the_message(self, monkeypatch):
        """An error while building fails the job with a message and no file."""
        project = make_project("fail", SEED_CONFIGURATION, [SEED_DOCUMENT])

        def broken(*args, **kwargs):
            raise OSError(28, "No space left on device", "/srv/labelyard/media/exports/1/2/parts")

        monkeypatch.setattr(build, "write_part", broken)
        job = run(project)
        # Every member reads it: what went wrong, but no server path (the log has the whole error).
        message = "The server could not finish this: No space left on device. The server's log has the details."
        assert (job.state, job.error, job.file) == (ExportJob.State.FAILED, message, "")
