"""The labeler queue: handing out tasks without giving one task twice, skipping and completing."""

import threading

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase

from labeling import queue
from labeling.attaching import attach_dataset
from labeling.creation import create_project
from labeling.labels import save_labels
from labeling.lifecycle import move, move_all
from labeling.models import Task
from labeling.states import State
from projects.models import Dataset, Media, ProjectMember

CONFIGURATION = {
    "entries": [
        {"key": "car", "name": "Car", "kind": "polygon", "shortcut": "1", "children": [
            {"key": "car_type", "name": "Car type", "kind": "option", "required": True, "options": ["suv", "sedan"]},
        ]},
        {"key": "tod", "name": "Time of day", "kind": "option", "required": True, "options": ["day", "night"]},
    ]
}  # fmt: skip


def make_project(name="Queue", images=3, configuration=CONFIGURATION):
    """A project with `images` 100x80 images whose tasks are waiting, and a member of each role."""
    users = {}
    for role in ("admin", "labeler", "reviewer"):
        users[role], _ = get_user_model().objects.get_or_create(username=f"{name.lower()}-{role}")
    project = create_project(name, configuration, owner=users["admin"])
    for role in ("labeler", "reviewer"):
        ProjectMember.objects.create(project=project, user=users[role], role=role)
    dataset = Dataset.objects.create(name=f"{name} images")
    for i in range(images):
        Media.objects.create(
            dataset=dataset, original_name=f"{i}.png", width=100, height=80, mime_type="image/png", sha256=str(i)
        )
    attach_dataset(project, dataset)
    move_all(project.tasks.all(), State.BACKLOG, State.WAITING)
    return project, users


def answered():
    return {"geometries": [], "classifications": {"tod": {"values": ["day"]}}}


class NextTaskTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.project, cls.users = make_project()
        cls.other = get_user_model().objects.create(username="other-labeler")
        ProjectMember.objects.create(project=cls.project, user=cls.other, role="labeler")

    def test_claims_a_waiting_task(self):
        """The first call claims the first waiting task: in progress, with the labeler set."""
        task = queue.next_task(self.project, self.users["labeler"])
        task.refresh_from_db()
        self.assertEqual((task.state, task.labeler), (State.IN_PROGRESS, self.users["labeler"]))

    def test_own_task_in_progress_comes_first(self):
        """A labeler with a task in progress gets that task again, not a new one."""
        first = queue.next_task(self.project, self.users["labeler"])
        self.assertEqual(queue.next_task(self.project, self.users["labeler"]).pk, first.pk)
        self.assertEqual(Task.objects.filter(state=State.IN_PROGRESS).count(), 1)

    def test_two_labelers_get_different_tasks(self):
        """Another labeler does not get a task someone else holds."""
        mine = queue.next_task(self.project, self.users["labeler"])
        theirs = queue.next_task(self.project, self.other)
        self.assertNotEqual(mine.pk, theirs.pk)

    def test_next_with_exclude_leaves_current_task(self):
        """`exclude` (the Next button) claims another task and leaves the current one in progress."""
        first = queue.next_task(self.project, self.users["labeler"])
        second = queue.next_task(self.project, self.users["labeler"], exclude=first.pk)
        self.assertNotEqual(first.pk, second.pk)
        self.assertEqual(Task.objects.get(pk=first.pk).state, State.IN_PROGRESS)

    def test_empty_queue_gives_none(self):
        """With every task taken, the queue answers None."""
        move_all(self.project.tasks.all(), State.WAITING, State.BACKLOG)
        self.assertIsNone(queue.next_task(self.project, self.users["labeler"]))

    def test_rejected_task_returns_to_its_labeler_first(self):
        """A task a reviewer sent back comes before new work, with the comment kept."""
        task = queue.next_task(self.project, self.users["labeler"])
        save_labels(task, answered(), task.version)
        queue.complete(task, self.users["labeler"])
        move(task, State.REVIEW_FAILED, review_comment="Box the second car too")
        again = queue.next_task(self.project, self.users["labeler"])
        self.assertEqual(again.pk, task.pk)
        again.refresh_from_db()
        self.assertEqual((again.state, again.review_comment), (State.IN_PROGRESS, "Box the second car too"))


class FinishTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.project, cls.users = make_project("Finish")

    def setUp(self):
        self.task = queue.next_task(self.project, self.users["labeler"])

    def test_complete_refused_naming_missing_answers(self):
        """Completing with unanswered required questions is refused with their names and shapes."""
        document = {
            "geometries": [{"id": "a", "class": "car", "coordinates": [[1, 1], [9, 1], [9, 9]]}],
            "classifications": {},
        }
        save_labels(self.task, document, self.task.version)
        with self.assertRaises(queue.Incomplete) as caught:
            queue.complete(self.task, self.users["labeler"])
        self.assertEqual(
            caught.exception.missing,
            ["`Time of day` is required (image question)", "`Car type` is required (Car #1)"],
        )
        self.assertEqual(Task.objects.get(pk=self.task.pk).state, State.IN_PROGRESS)

    def test_complete(self):
        """With every required answer given, the task becomes completed."""
        save_labels(self.task, answered(), self.task.version)
        queue.complete(self.task, self.users["labeler"])
        self.assertEqual(Task.objects.get(pk=self.task.pk).state, State.COMPLETED)

    def test_skip_needs_no_answers(self):
        """Skipping works on an unlabeled task."""
        queue.skip(self.task, self.users["labeler"])
        self.assertEqual(Task.objects.get(pk=self.task.pk).state, State.SKIPPED)

    def test_only_the_labeler_finishes(self):
        """Someone else cannot skip or complete the labeler's task."""
        with self.assertRaisesMessage(queue.NotYourTask, "not in progress for you"):
            queue.skip(self.task, self.users["reviewer"])


@pytest.mark.django_db(transaction=True)
def test_parallel_claims_never_share_a_task():
    """Eight labelers claiming at once from twenty waiting tasks each get a different task."""
    project, _ = make_project("Race", images=20)
    labelers = [get_user_model().objects.create(username=f"racer-{i}") for i in range(8)]
    for user in labelers:
        ProjectMember.objects.create(project=project, user=user, role="labeler")
    start = threading.Barrier(len(labelers))
    claimed, errors = {}, []

    def claim(user):
        try:
            start.wait()
            for _ in range(2):
                task = queue.next_task(project, user, exclude=claimed.get(user.pk, [None])[-1])
                claimed.setdefault(user.pk, []).append(task.pk)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()  # each thread has its own connection; the test database is dropped after

    threads = [threading.Thread(target=claim, args=(user,)) for user in labelers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    handed_out = [pk for pks in claimed.values() for pk in pks]
    assert len(handed_out) == len(set(handed_out)) == 16
    in_progress = Task.objects.filter(project=project, state=State.IN_PROGRESS)
    assert in_progress.count() == 16
    for user in labelers:
        assert set(in_progress.filter(labeler=user).values_list("pk", flat=True)) == set(claimed[user.pk])
