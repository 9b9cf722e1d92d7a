"""A label save or import racing a change of the label configuration: the labels are checked against
the configuration they are stored under, so a class deleted meanwhile is never stored.

Each test runs the write and the configuration change in threads with their own database
connections and forces one interleaving with a hook: the write has checked its labels against the
old configuration, then the change commits (or is in flight, holding its locks), then the write
goes on. Before the fix the write stored a shape of the deleted class (its next save refused, the
export dropping it, the workspace throwing on it).
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from formats import datagym, jsonio
from labeling import configuring, importing, labels
from labeling.configuring import save_configuration
from labeling.labels import read_labels, save_labels
from labeling.models import Task, TaskLabels
from labeling.states import State
from projects.models import LabelConfiguration, ProjectMember
from rules import labels as labels_document
from tests.conftest import wait_for
from tests.exports.conftest import make_project

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = {
    "entries": [
        {"key": "keep", "name": "Keep", "kind": "point"},
        {"key": "gone", "name": "Gone", "kind": "point"},
    ]
}
AFTER = {"entries": [{"key": "keep", "name": "Keep", "kind": "point"}]}
WAIT = 30  # seconds any step may take before the test fails instead of hanging
GONE_MESSAGE = "`gone` is not a geometry class here (allowed: keep)"
REFUSAL = {
    "path": "",
    "message": "The project's label configuration changed while the file was being checked, so it was "
    "checked against a configuration that no longer holds. Nothing was imported; import it again.",
}


def point(key, ident="h1"):
    return {"id": ident, "class": key, "source": "human", "coordinates": [5, 5]}


def document(*keys):
    return {"geometries": [point(key, f"h{i}") for i, key in enumerate(keys, 1)], "classifications": {}}


def import_file(task, key):
    return jsonio.dumps([{"internal_media_ID": str(task.media_id), "labels": {key: [{"point": [{"x": 5, "y": 5}]}]}}])


class Worker(threading.Thread):
    """Runs `work()` on its own database connection, keeping its result or exception."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.result, self.error = work, None, None

    def run(self):
        try:
            self.result = self.work()
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            self.error = error
        finally:
            connections.close_all()

    def outcome(self):
        self.join(WAIT)
        assert not self.is_alive(), "the thread is stuck"
        return self.result, self.error


def pause_after_first_check(monkeypatch):
    """Make the next labels check (rules/labels.py validate) pause once it has run.

    Returns (checked, go_on): `checked` is set when the check is done, the save then waits for `go_on`.
    """
    checked, go_on = threading.Event(), threading.Event()
    original = labels_document.validate

    def validate(*args, **kwargs):
        errors = original(*args, **kwargs)
        if not checked.is_set():
            checked.set()
            assert go_on.wait(WAIT), "the test never let the save go on"
        return errors

    monkeypatch.setattr(labels_document, "validate", validate)
    return checked, go_on


@pytest.fixture
def labeler():
    return get_user_model().objects.create_user("labeler")


@pytest.fixture
def project(labeler):
    project = make_project("config race", BEFORE, [None], state=State.IN_PROGRESS, size=(100, 100))
    ProjectMember.objects.create(project=project, user=labeler, role=ProjectMember.Role.LABELER)
    Task.objects.filter(project=project).update(labeler=labeler)
    return project


def class_keys(project):
    return [entry["key"] for entry in LabelConfiguration.objects.get(project=project).data["entries"]]


def stored_classes(project):
    documents = TaskLabels.objects.filter(task__project=project).values_list("document", flat=True)
    return sorted(g["class"] for d in documents for g in d["geometries"])


def test_save_checked_before_a_class_is_deleted_is_refused_with_409(project, labeler, monkeypatch):
    """A labeler's save of a `gone` point passed the check; the admin deletes `gone`; the save then
    answers 409 configuration_changed and stores nothing (it used to store the point: 200)."""
    task = Task.objects.get(project=project)
    checked, go_on = pause_after_first_check(monkeypatch)

    def put():
        client = Client()
        client.force_login(labeler)
        body = {"document": document("keep", "gone"), "version": 0}
        response = client.put(f"/api/tasks/{task.pk}/labels", jsonio.dumps(body), content_type="application/json")
        return response.status_code, response.json()

    save = Worker(put)
    save.start()
    assert checked.wait(WAIT), "the save never checked its labels"
    change = Worker(lambda: save_configuration(project, AFTER))
    change.start()
    _, error = change.outcome()
    assert error is None, error
    go_on.set()
    (status, body), error = save.outcome()
    assert error is None, error

    assert stored_classes(project) == [], "a shape of the deleted class was stored"
    assert read_labels(Task.objects.get(pk=task.pk))[1] == 0, "the version is untouched"
    assert status == 409, body
    # The API's one error body (api/errors.py): detail, code and errors, nothing else.
    assert sorted(body) == ["code", "detail", "errors"]
    assert body["code"] == "configuration_changed"
    assert body["errors"] == [{"path": "geometries[1].class", "message": GONE_MESSAGE}]


def test_save_that_still_fits_the_new_configuration_goes_through(project, labeler, monkeypatch):
    """The same race with labels of a surviving class only: checked again, they fit, and are saved."""
    task = Task.objects.select_related("project", "media").get(project=project)
    checked, go_on = pause_after_first_check(monkeypatch)
    save = Worker(lambda: save_labels(task, document("keep"), 0, labeler))
    save.start()
    assert checked.wait(WAIT)
    change = Worker(lambda: save_configuration(project, AFTER))
    change.start()
    assert change.outcome() == (change.result, None)
    go_on.set()
    assert save.outcome() == (1, None)
    assert stored_classes(project) == ["keep"]


def test_import_checked_before_a_class_is_deleted_is_refused(project):
    """An import of a `gone` point has read and checked its file; the admin deletes `gone`; the
    import then refuses (409) and writes nothing (it used to store the point)."""
    task = Task.objects.get(project=project)
    checked, go_on = threading.Event(), threading.Event()

    def progress(percent):
        # Called while and after the file is read and checked against the configuration, before any write.
        checked.set()
        assert go_on.wait(WAIT), "the test never let the import go on"

    work = Worker(lambda: importing.import_labels(project, import_file(task, "gone"), progress=progress))
    work.start()
    assert checked.wait(WAIT), "the import never read its file"
    change = Worker(lambda: save_configuration(project, AFTER))
    change.start()
    assert change.outcome()[1] is None
    go_on.set()
    _, error = work.outcome()

    assert stored_classes(project) == [], "a shape of the deleted class was stored"
    assert Task.objects.get(pk=task.pk).version == 0
    assert isinstance(error, importing.ImportRejected), error
    assert (error.status_code, error.code, error.errors) == (409, "configuration_changed", [REFUSAL])


def test_import_api_checked_before_a_class_is_deleted_answers_409(project, monkeypatch):
    """The same race through POST /api/projects/{id}/imports: the answer is a 409 in the API's one
    error body with code configuration_changed (not invalid_import), and nothing is stored."""
    task = Task.objects.get(project=project)
    admin = get_user_model().objects.create_user("admin")
    ProjectMember.objects.create(project=project, user=admin, role=ProjectMember.Role.ADMIN)
    checked, go_on = threading.Event(), threading.Event()
    original = datagym.read

    def read(*args, **kwargs):
        # The file has been read and checked against the configuration; nothing is written yet.
        result = original(*args, **kwargs)
        checked.set()
        assert go_on.wait(WAIT), "the test never let the import go on"
        return result

    monkeypatch.setattr(datagym, "read", read)

    def post():
        client = Client()
        client.force_login(admin)
        url = f"/api/projects/{project.pk}/imports"
        response = client.post(url, import_file(task, "gone"), content_type="application/json")
        return response.status_code, response.json()

    work = Worker(post)
    work.start()
    assert checked.wait(WAIT), "the import never read its file"
    change = Worker(lambda: save_configuration(project, AFTER))
    change.start()
    assert change.outcome()[1] is None
    go_on.set()
    (status, body), error = work.outcome()
    assert error is None, error

    assert stored_classes(project) == [], "a shape of the deleted class was stored"
    assert status == 409, body
    assert body == {"detail": "1 error(s); nothing was imported", "code": "configuration_changed", "errors": [REFUSAL]}


def waiting_on_a_lock():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("write", ["save", "import"])
def test_write_arriving_during_a_configuration_change_waits_and_is_refused(project, labeler, monkeypatch, write):
    """The change has locked and rewritten the configuration but not committed when the write,
    checked against the old configuration, reaches its transaction: it waits for the change and
    is refused. Before the fix it committed its `gone` point next to the change."""
    if connection.vendor != "postgresql":
        pytest.skip("this interleaving needs row locks; SQLite runs one write transaction at a time")
    task = Task.objects.select_related("project", "media").get(project=project)
    in_change, finish_change = threading.Event(), threading.Event()
    apply_pruning = configuring._apply_pruning

    def held_apply_pruning(changed_tasks):
        apply_pruning(changed_tasks)
        in_change.set()
        assert finish_change.wait(WAIT), "the test never let the change commit"

    monkeypatch.setattr(configuring, "_apply_pruning", held_apply_pruning)
    checked = threading.Event()
    if write == "save":
        original = labels_document.validate

        def validate(*args, **kwargs):
            checked.set()
            return original(*args, **kwargs)

        monkeypatch.setattr(labels_document, "validate", validate)
        writer = Worker(lambda: save_labels(task, document("gone"), 0, labeler))
    else:
        writer = Worker(
            lambda: importing.import_labels(project, import_file(task, "gone"), progress=lambda percent: checked.set())
        )
    change = Worker(lambda: save_configuration(project, AFTER))
    change.start()
    assert in_change.wait(WAIT), "the change never got under way"
    # The change is in flight and has not committed: the write checks against the old configuration.
    assert class_keys(project) == ["keep", "gone"]
    writer.start()
    assert checked.wait(WAIT), f"the write never checked its labels: {writer.error!r}"
    wait_for(lambda: not writer.is_alive() or waiting_on_a_lock(), timeout=WAIT, message="the write to block or end")
    finish_change.set()
    assert change.outcome()[1] is None
    _, error = writer.outcome()

    assert stored_classes(project) == [], "a shape of the deleted class was stored"
    assert class_keys(project) == ["keep"]
    if write == "save":
        assert isinstance(error, labels.ConfigurationChanged), f"the save was not refused: {error!r}"
        assert error.errors == [("geometries[0].class", GONE_MESSAGE)]
    else:
        assert isinstance(error, importing.ImportRejected), f"the import was not refused: {error!r}"
        assert (error.status_code, error.code, error.errors) == (409, "configuration_changed", [REFUSAL])
