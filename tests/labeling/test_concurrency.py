"""Many people at once against the live database: parallel queue claims, parallel saves of one
task, and an import racing a labeler's save. Threads each hold their own database connection, so
on PostgreSQL these are real concurrent transactions (row locks, SKIP LOCKED, READ COMMITTED).

SQLite serialises every writer behind one file lock, so the same tests there show the rules hold
but not that they hold under true parallelism; CI runs them on PostgreSQL.
"""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.test import Client

from formats import jsonio
from labeling import importing, queue
from labeling.labels import StaleVersion, read_labels, save_labels
from labeling.models import Task, TaskEvent
from labeling.states import State
from projects.models import ProjectMember
from tests.conftest import require_postgresql
from tests.exports.conftest import make_project

pytestmark = pytest.mark.django_db(transaction=True)

CONFIGURATION = {"entries": [{"key": "poi", "name": "Point", "kind": "point"}]}
LABELERS = 8
TASKS = 60


def point(x, source="human", ident="h1"):
    return {"id": ident, "class": "poi", "source": source, "coordinates": [x, 5]}


def in_parallel(count, work):
    """Run work(i) in `count` threads released together; returns (results, errors) by index."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, [None] * count

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except BaseException as error:  # noqa: BLE001 - reported by the test, per thread
            errors[i] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.fixture
def labelers():
    return [get_user_model().objects.create_user(f"labeler{i}") for i in range(LABELERS)]


def test_parallel_labelers_never_share_a_task(labelers):
    """Eight labelers drain a 60-task queue at once: every task is claimed exactly once."""
    project = make_project("queue race", CONFIGURATION, [None] * TASKS, state=State.WAITING, size=(100, 100))
    for user in labelers:
        ProjectMember.objects.create(project=project, user=user, role=ProjectMember.Role.LABELER)

    def drain(i):
        claimed = []
        while (task := queue.next_task(project, labelers[i])) is not None:
            claimed.append(task.pk)
            queue.skip(task, labelers[i])
        return claimed

    results, errors = in_parallel(LABELERS, drain)
    assert errors == [None] * LABELERS, errors
    claimed = [pk for result in results for pk in result]
    assert len(claimed) == len(set(claimed)) == TASKS, "a task was handed to two labelers"
    rows = Task.objects.filter(project=project).values_list("pk", "labeler_id", "state")
    owner = {pk: labelers[i].pk for i, result in enumerate(results) for pk in result}
    assert all(state == State.SKIPPED and labeler == owner[pk] for pk, labeler, state in rows)
    claims = TaskEvent.objects.filter(project=project, to_state=State.IN_PROGRESS).count()
    assert claims == TASKS, "one claim event per task"


def test_parallel_saves_of_one_task_keep_exactly_one(labelers):
    """Eight saves naming the same version: one wins, seven are told (StaleVersion), nothing merges."""
    project = make_project("save race", CONFIGURATION, [None], state=State.IN_PROGRESS, size=(100, 100))
    task = Task.objects.select_related("project", "media").get(project=project)

    def save(i):
        mine = Task.objects.select_related("project", "media").get(pk=task.pk)
        return save_labels(mine, {"geometries": [point(i + 1)], "classifications": {}}, 0, labelers[i])

    results, errors = in_parallel(LABELERS, save)
    winners = [i for i, result in enumerate(results) if result == 1]
    assert len(winners) == 1, (results, errors)
    assert all(isinstance(errors[i], StaleVersion) for i in range(LABELERS) if i not in winners), errors
    document, version = read_labels(Task.objects.get(pk=task.pk))
    assert version == 1
    assert document["geometries"] == [point(winners[0] + 1)], "the stored labels are the winner's"


def test_parallel_api_saves_answer_409(labelers):
    """Over HTTP the losers get 409 with the current version; the winner 200."""
    project = make_project("api race", CONFIGURATION, [None], state=State.IN_PROGRESS, size=(100, 100))
    admins = labelers[:4]
    for user in admins:
        ProjectMember.objects.create(project=project, user=user, role=ProjectMember.Role.ADMIN)
    task = Task.objects.get(project=project)

    def put(i):
        client = Client()
        client.force_login(admins[i])
        body = {"document": {"geometries": [point(i + 1)], "classifications": {}}, "version": 0}
        response = client.put(f"/api/tasks/{task.pk}/labels", jsonio.dumps(body), content_type="application/json")
        return response.status_code, response.json()

    results, errors = in_parallel(len(admins), put)
    assert errors == [None] * len(admins), errors
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409, 409, 409], results
    assert all(body["version"] == 1 for code, body in results if code == 409)


@pytest.mark.parametrize("round_number", range(6))
def test_import_and_save_serialise(labelers, round_number):
    """An import (keepData) and a labeler's save of the same task at once: both land in order, or
    the save is refused as stale; the imported geometry is never lost, nor a saved one."""
    project = make_project(f"import race {round_number}", CONFIGURATION, [None], state=State.IN_PROGRESS,
                           size=(100, 100))  # fmt: skip
    task = Task.objects.select_related("project", "media").get(project=project)
    file = jsonio.dumps(
        [{"internal_media_ID": str(task.media_id), "labels": {"poi": [{"point": [{"x": 50, "y": 50}]}]}}]
    )

    def act(i):
        if i == 0:
            return importing.import_labels(project, file)
        mine = Task.objects.select_related("project", "media").get(pk=task.pk)
        return save_labels(mine, {"geometries": [point(7)], "classifications": {}}, 0, labelers[0])

    results, errors = in_parallel(2, act)
    assert errors[0] is None, errors[0]
    saved = errors[1] is None
    assert saved or isinstance(errors[1], StaleVersion), errors[1]
    document, version = read_labels(Task.objects.get(pk=task.pk))
    sources = sorted(g["source"] for g in document["geometries"])
    if saved:
        # The save came first: the import then added its geometry next to the labeler's.
        assert sources == ["human", "import"] and version == 2
    else:
        # The import came first: the labeler was told their version is stale; nothing merged silently.
        assert sources == ["import"] and version == 1


def test_database_under_test():
    """The tests above prove the rules under parallel transactions only on PostgreSQL: on a laptop
    with SQLite this skips, naming why; under CI=true any other engine fails the run."""
    require_postgresql("the concurrency proofs of tests/labeling/test_concurrency.py")
