"""Every (route, actor) pair of tests/permission_matrix.py, asked against a fresh world.

A world is one project with a labeler, a second labeler, a reviewer and an admin as members, a
stranger with no membership, and a superuser; its dataset holds three images (the labeler's task
in progress, the other labeler's task in progress, and a completed task), plus one finished export
and one import job. Token actors send ``Authorization: Token <key>`` of the same users.

The world is built once per module inside a transaction that is rolled back at the end; each test
runs in a savepoint of its own (pytest-django's `db`), so what one request changes or deletes is
undone before the next.
"""

import io
import uuid
import zipfile

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from exports.models import ExportChunk, ExportJob, Release, ReleaseChunk
from labeling.creation import create_project
from labeling.models import ImportJob, Task, TaskEvent, TaskLabels
from labeling.states import State
from projects import tokens
from projects.models import (
    BucketSource,
    BucketSyncJob,
    Dataset,
    Media,
    Project,
    ProjectMember,
    ThumbnailJob,
    UrlImportItem,
    UrlImportJob,
)
from tests.permission_matrix import ADMIN_LOGIN, CONFIG_JSON, LOGIN, MODEL_ADMIN_ACTORS, ROWS

MARKER = "Matrix Secret Project"
DATASET_MARKER = "matrix_secret_set"


def png_bytes(size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


class World:
    """The objects every matrix test runs against; placeholders in a row's path name them."""

    def __init__(self):
        users = get_user_model().objects
        self.users = {name: users.create_user(name) for name in ("stranger", "labeler", "labeler2", "reviewer",
                                                                   "admin", "newcomer")}  # fmt: skip
        self.users["superuser"] = users.create_superuser("root", email="root@example.com")
        admin = self.users["admin"]
        self.project = create_project(MARKER, CONFIG_JSON, owner=admin)
        for name, role in (("labeler", "labeler"), ("labeler2", "labeler"), ("reviewer", "reviewer")):
            ProjectMember.objects.create(project=self.project, user=self.users[name], role=role)
        self.member = ProjectMember.objects.get(project=self.project, user=self.users["labeler2"])
        self.dataset = Dataset.objects.create(name=DATASET_MARKER)
        self.spare_dataset = Dataset.objects.create(name="spare_set", created_by=admin)
        self.project.datasets.add(self.dataset)
        stored = None
        tasks = []
        for i, (labeler, state) in enumerate(
            (("labeler", State.IN_PROGRESS), ("labeler2", State.IN_PROGRESS), ("labeler", State.COMPLETED))
        ):
            media = Media(dataset=self.dataset, original_name=f"img_{i}.png", width=64, height=48,
                          mime_type="image/png", sha256="0" * 64)  # fmt: skip
            if stored is None:
                media.file.save("image.png", ContentFile(png_bytes()), save=False)
                stored = media.file.name
            media.file.name = stored
            media.save()
            tasks.append(Task.objects.create(project=self.project, media=media, state=state,
                                             labeler=self.users[labeler]))  # fmt: skip
        self.media = tasks[0].media
        self.task, self.other_task, self.done_task = tasks
        TaskLabels.objects.create(
            task=self.done_task,
            document={"geometries": [{"id": "g1", "class": "seg", "coordinates": [[[1, 1], [30, 1], [30, 30]]]}],
                      "classifications": {}},
            geometry_count=1,
        )  # fmt: skip
        self.task_event = TaskEvent.objects.create(task=self.task, project=self.project, from_state="waiting",
                                                   to_state="in_progress", at=self.task.created_at)  # fmt: skip
        self.export = self._finished_export()
        self.export_chunk = ExportChunk.objects.create(job=self.export, index=0, start=0, stop=0, done=True)
        self.release = self._finished_release()
        self.release_chunk = ReleaseChunk.objects.create(job=self.release, index=0, start=0, stop=0, done=True)
        self.thumbnail_job = ThumbnailJob.objects.create(media=self.media, state=ThumbnailJob.State.DONE)
        self.import_job = ImportJob.objects.create(project=self.project, created_by=admin, original_name="x.json",
                                                   state=ImportJob.State.DONE)  # fmt: skip
        self.url_import = UrlImportJob.objects.create(dataset=self.dataset, created_by=admin,
                                                      state=UrlImportJob.State.DONE)  # fmt: skip
        self.url_import_item = UrlImportItem.objects.create(job=self.url_import, index=0,
                                                            url="http://example.invalid/a.png")  # fmt: skip
        # No endpoint (AWS): nothing the matrix does connects to it, as syncs are queued on commit.
        self.bucket_source = BucketSource.objects.create(dataset=self.dataset, bucket="matrix-bucket",
                                                         access_key_id="AKIAMATRIX", secret_access_key="s")  # fmt: skip
        self.bucket_sync = BucketSyncJob.objects.create(source=self.bucket_source, state=BucketSyncJob.State.DONE)
        self.group = Group.objects.create(name="matrix group")
        self.api_token = tokens.create_token(admin, "listed")[0]

    def _finished_export(self):
        from django.core.files.storage import default_storage

        job = ExportJob.objects.create(project=self.project, options={"states": ["completed"], "masks": False},
                                       base_url="http://testserver", state=ExportJob.State.DONE)  # fmt: skip
        folder = f"exports/{self.project.pk}/{job.pk}"
        job.file = default_storage.save(f"{folder}/export.json", ContentFile(b'[{"label_classes": []}]'))
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("export.json", "[]")
        job.archive = default_storage.save(f"{folder}/export.zip", ContentFile(archive.getvalue()))
        job.save()
        return job

    def _finished_release(self):
        from django.core.files.storage import default_storage

        release = Release.objects.create(project=self.project, name="v1", task_type=Release.TaskType.VECTOR,
                                         base_url="http://testserver", state=Release.State.DONE)  # fmt: skip
        folder = f"releases/{self.project.pk}/{release.pk}"
        release.file = default_storage.save(f"{folder}/release.json", ContentFile(b"{}"))
        release.coco_file = default_storage.save(f"{folder}/coco.json", ContentFile(b"{}"))
        release.save()
        return release

    def placeholders(self):
        return {
            "project": self.project.pk,
            "dataset": self.dataset.pk,
            "spare_dataset": self.spare_dataset.pk,
            "media": self.media.pk,
            "task": self.task.pk,
            "other_task": self.other_task.pk,
            "done_task": self.done_task.pk,
            "member": self.member.pk,
            "export": self.export.pk,
            "export_chunk": self.export_chunk.pk,
            "release_chunk": self.release_chunk.pk,
            "thumbnail_job": self.thumbnail_job.pk,
            "release": self.release.pk,
            "import_job": self.import_job.pk,
            "url_import": self.url_import.pk,
            "url_import_item": self.url_import_item.pk,
            "bucket_source": self.bucket_source.pk,
            "bucket_sync": self.bucket_sync.pk,
            "config": self.project.label_configuration.pk,
            "user": self.users["labeler"].pk,
            "group": self.group.pk,
            "api_token": self.api_token.pk,
            "task_event": self.task_event.pk,
            "project_type": ContentType.objects.get_for_model(Project).pk,
        }

    def png_file(self):
        return SimpleUploadedFile(f"up_{uuid.uuid4().hex[:8]}.png", png_bytes(), content_type="image/png")

    def json_file(self, data):
        return SimpleUploadedFile("labels.json", data, content_type="application/json")

    def import_body(self):
        """A valid DataGym import of one image question-free task: no labels."""
        return {"data": [{"internal_media_ID": str(self.task.media_id), "labels": {}}],
                "content_type": "application/json"}  # fmt: skip

    def png_raw(self):
        return {"data": png_bytes(), "content_type": "application/octet-stream", "headers": {"X-filename": "raw.png"}}

    def client_for(self, actor):
        """A test client acting as `actor`: logged in, carrying a token, or neither."""
        client = Client()
        name = actor.removeprefix("token_")
        if actor.startswith("token_"):
            key = tokens.create_token(self.users[name], "matrix")[1]
            client.defaults["HTTP_AUTHORIZATION"] = f"Token {key}"
        elif actor != "anonymous":
            client.force_login(self.users[name])
        return client


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    root = tmp_path_factory.mktemp("matrix-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=root), transaction.atomic():
        built = World()
        built.media_root = root
        yield built
        transaction.set_rollback(True)


@pytest.fixture
def media_root(settings, world):
    """The world's files, instead of the per-test folder of tests/conftest.py."""
    settings.MEDIA_ROOT = world.media_root
    return world.media_root


def _cases():
    for row in ROWS:
        for actor, expected in row.expect.items():
            yield pytest.param(row, actor, expected, id=f"{row.method} {row.path} {actor}")


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "actor", "expected"), list(_cases()))
def test_matrix(world, row, actor, expected):
    path = row.path.format(**world.placeholders())
    kwargs = row.body(world) if row.body else {}
    client = world.client_for(actor)
    if "content_type" in kwargs:
        response = client.generic(row.method, path, **_encoded(kwargs))
    else:
        response = getattr(client, row.method.lower())(path, **kwargs)
    outcome = _outcome(response)
    assert outcome == expected, f"{actor} {row.method} {path}: expected {expected}, got {outcome}: {_peek(response)}"
    if row.sees and isinstance(expected, int) and expected == 200:
        body = _text(response)
        visible = MARKER in body or DATASET_MARKER in body
        assert visible == (actor in row.sees), f"{actor} {'sees' if visible else 'misses'} the project in {path}"


def _encoded(kwargs):
    """generic() wants bytes or text; JSON bodies in the table are Python values."""
    from formats import jsonio

    data = kwargs.get("data", b"")
    if kwargs.get("content_type") == "application/json" and not isinstance(data, bytes | str):
        data = jsonio.dumps(data)
    return {**kwargs, "data": data}


def _outcome(response):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/accounts/login/"):
            return LOGIN
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
    return response.status_code


def _text(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _peek(response):
    return _text(response)[:300]


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_every_route_has_a_row():
    """A route added without a matrix row fails here: say who may use it in tests/permission_matrix.py."""
    routes = set(_routes(get_resolver().url_patterns))
    covered = {row.route for row in ROWS}
    assert not routes - covered, f"routes without a permission matrix row: {sorted(routes - covered)}"
    assert not covered - routes, f"matrix rows for routes that no longer exist: {sorted(covered - routes)}"


def test_every_row_names_every_actor_it_must():
    """Each row covers the anonymous visitor and all five roles; API rows cover their tokens too."""
    roles = {"anonymous", "stranger", "labeler", "reviewer", "admin", "superuser"}
    for row in ROWS:
        if row.expect.keys() == set(MODEL_ADMIN_ACTORS):
            continue
        assert roles <= row.expect.keys(), f"{row.method} {row.path} misses {roles - row.expect.keys()}"
        if row.path.startswith("/api/") and not row.path.startswith(("/api/schema", "/api/docs", "/api/no-such")):
            tokens_needed = {f"token_{r}" for r in roles - {"anonymous"}}
            assert tokens_needed <= row.expect.keys(), f"{row.method} {row.path} misses its token actors"


# The session actors a CSRF check is tried with, in this order: the first one the row lets through.
CSRF_ACTORS = ("labeler", "reviewer", "admin", "superuser", "stranger")
REFUSALS = (401, 403, 404, 405)


def csrf_actor(row):
    """The first session actor the row lets through, or None: a write that every role is refused
    shows nothing about CSRF, as the role alone already answers 403 or 404."""
    for actor in CSRF_ACTORS:
        if row.expect.get(actor) not in REFUSALS + (None, ADMIN_LOGIN):
            return actor
    return None


def _session_writes():
    for row in ROWS:
        if row.method in ("POST", "PUT", "PATCH", "DELETE") and "api/v1" not in row.route:
            yield row


def _csrf_cases():
    for row in _session_writes():
        actor = csrf_actor(row)
        if actor is not None:
            yield pytest.param(row, actor, id=f"{row.method} {row.path} {actor}")


def test_every_session_write_route_is_tried_with_an_allowed_actor():
    """Each route and method that takes a session write has a row with an actor it lets through, so
    the CSRF test below reaches it (skip and complete: the labeler on their own task)."""
    writes = {(row.route, row.method) for row in _session_writes()}
    tried = {(row.route, row.method) for row in _session_writes() if csrf_actor(row)}
    assert writes == tried, f"no allowed session actor for {sorted(writes - tried)}"


def _send(client, row, world, **extra):
    path = row.path.format(**world.placeholders())
    kwargs = row.body(world) if row.body else {}
    headers = {**kwargs.pop("headers", {}), **extra}
    if "content_type" in kwargs:
        return client.generic(row.method, path, headers=headers, **_encoded(kwargs))
    return getattr(client, row.method.lower())(path, headers=headers, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(("row", "actor"), list(_csrf_cases()))
def test_csrf_on_every_form_and_session_write(world, row, actor):
    """A logged-in browser's POST, PUT, PATCH or DELETE without a CSRF token is a 403 on every
    route but the DataGym v1 API, which takes only tokens and is exempt by design. The actor is
    one the row lets through, and the same request with the token then succeeds: the 403 is the
    CSRF check's, not the role's."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users[actor])
    # The CSRF cookie a browser gets with any page; the token in a form or X-CSRFToken must match it.
    client.get("/account/api-tokens")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    refused = _send(client, row, world)
    assert refused.status_code == 403, f"{actor} {row.method} {row.path} without a CSRF token: {_peek(refused)}"
    assert "CSRF" in _text(refused), f"{row.method} {row.path}: a 403 not from the CSRF check: {_peek(refused)}"
    accepted = _send(client, row, world, **{"X-CSRFToken": token})
    expected = row.expect[actor]
    assert _outcome(accepted) == expected, f"{actor} {row.method} {row.path} with the token: {_peek(accepted)}"


@pytest.mark.django_db
def test_v1_needs_no_csrf_token(world):
    """The v1 API authenticates by token only, so a missing CSRF token does not stop it."""
    client = Client(enforce_csrf_checks=True)
    key = tokens.create_token(world.users["admin"], "csrf")[1]
    response = client.post(f"/api/v1/dataset?token={key}", b'{"name": "no_csrf"}', content_type="application/json")
    assert response.status_code == 200
