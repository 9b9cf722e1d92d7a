"""The task lifecycle: every allowed transition works and every other one is refused.

The allowed edges are copied by hand from the table in docs/decisions.md ("Task states"), never read
from labeling.states.TRANSITIONS: an edge added to or dropped from the code alone fails here.
"""

import itertools
import threading

import pytest
from django.db import connection

from labeling.lifecycle import move, move_all
from labeling.models import Task
from labeling.states import TRANSITIONS, State, TransitionError, check_transition
from projects.models import Dataset, Media, Project
from tests.conftest import require_postgresql

# docs/decisions.md, "Task states", one row per edge.
DOCUMENTED_EDGES = {
    ("backlog", "waiting"),
    ("waiting", "backlog"),
    ("waiting", "in_progress"),
    ("in_progress", "waiting"),
    ("in_progress", "completed"),
    ("in_progress", "skipped"),
    ("completed", "in_progress"),
    ("completed", "reviewed"),
    ("completed", "review_failed"),
    ("completed", "waiting"),
    ("skipped", "in_progress"),
    ("skipped", "reviewed"),
    ("skipped", "review_failed"),
    ("skipped", "waiting"),
    ("reviewed", "review_failed"),
    ("reviewed", "waiting"),
    ("review_failed", "in_progress"),
    ("review_failed", "waiting"),
}
DOCUMENTED_STATES = ["backlog", "waiting", "in_progress", "completed", "skipped", "reviewed", "review_failed"]

ALL_PAIRS = list(itertools.product(DOCUMENTED_STATES, DOCUMENTED_STATES))
ALLOWED = [pair for pair in ALL_PAIRS if pair in DOCUMENTED_EDGES]
FORBIDDEN = [pair for pair in ALL_PAIRS if pair not in DOCUMENTED_EDGES]


def test_states_are_the_documented_ones():
    assert list(State.values) == DOCUMENTED_STATES


def test_transition_table_is_the_documented_one():
    """Compares edge sets, so the failure names the extra or missing edge."""
    table = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
    assert {(str(a), str(b)) for a, b in table} == DOCUMENTED_EDGES


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_allowed_transition(source, target):
    check_transition(source, target)


@pytest.mark.parametrize(("source", "target"), FORBIDDEN)
def test_forbidden_transition(source, target):
    with pytest.raises(TransitionError, match="cannot become"):
        check_transition(source, target)


def test_unknown_state_is_refused():
    with pytest.raises(TransitionError, match="`done` is not a task state"):
        check_transition(State.WAITING, "done")


def make_task(state=State.BACKLOG):
    project = Project.objects.create(name=f"p{Project.objects.count()}")
    dataset = Dataset.objects.create(name=f"d{Dataset.objects.count()}")
    media = Media.objects.create(dataset=dataset, original_name="a.png", width=10, height=10, mime_type="image/png")
    return Task.objects.create(project=project, media=media, state=state)


@pytest.mark.django_db
class TestMove:
    @pytest.mark.parametrize(("source", "target"), ALLOWED)
    def test_allowed_move_is_stored_and_bumps_revision(self, source, target):
        task = make_task(source)
        move(task, target)
        task.refresh_from_db()
        assert task.state == target
        assert task.project.__class__.objects.get(pk=task.project_id).revision == 1

    @pytest.mark.parametrize(("source", "target"), FORBIDDEN)
    def test_forbidden_move_changes_nothing(self, source, target):
        task = make_task(source)
        with pytest.raises(TransitionError):
            move(task, target)
        task.refresh_from_db()
        assert task.state == source

    def test_move_from_a_stale_state_is_refused(self):
        task = make_task(State.WAITING)
        stale = Task.objects.get(pk=task.pk)
        move(task, State.IN_PROGRESS)
        with pytest.raises(TransitionError, match="changed state meanwhile"):
            move(stale, State.BACKLOG)
        assert Task.objects.get(pk=task.pk).state == State.IN_PROGRESS

    def test_move_all_moves_only_the_source_state(self):
        task = make_task(State.BACKLOG)
        other = Task.objects.create(project=task.project, media=Media.objects.create(
            dataset=task.media.dataset, original_name="b.png", width=1, height=1, mime_type="image/png"
        ), state=State.COMPLETED)  # fmt: skip
        assert move_all(Task.objects.filter(project=task.project), State.BACKLOG, State.WAITING) == 1
        assert Task.objects.get(pk=task.pk).state == State.WAITING
        assert Task.objects.get(pk=other.pk).state == State.COMPLETED

    def test_move_all_refuses_a_forbidden_edge(self):
        task = make_task(State.BACKLOG)
        with pytest.raises(TransitionError):
            move_all(Task.objects.filter(pk=task.pk), State.BACKLOG, State.COMPLETED)


@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_let_exactly_one_win():
    """Two people moving one waiting task at once: one succeeds, the other is told it changed."""
    require_postgresql("the race of two moves")
    task = make_task(State.WAITING)
    results = []
    barrier = threading.Barrier(2)

    def worker(target):
        copy = Task.objects.select_related("project").get(pk=task.pk)
        barrier.wait()
        try:
            move(copy, target)
            results.append("ok")
        except TransitionError:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in (State.IN_PROGRESS, State.BACKLOG)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "refused"]
