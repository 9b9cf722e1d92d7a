"""Review: handing out finished tasks to reviewers, accepting, and rejecting with a comment."""

from django.contrib.auth import get_user_model
from django.test import TestCase

from labeling import queue, review
from labeling.labels import save_labels
from labeling.models import Task
from labeling.states import State
from projects.models import ProjectMember
from tests.labeling.test_queue import answered, make_project


class ReviewTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.project, cls.users = make_project("Review", images=2)
        labeler = cls.users["labeler"]
        for _ in range(2):
            task = queue.next_task(cls.project, labeler)
            save_labels(task, answered(), task.version)
            queue.complete(task, labeler)
        cls.second_reviewer = get_user_model().objects.create(username="second-reviewer")
        ProjectMember.objects.create(project=cls.project, user=cls.second_reviewer, role="reviewer")

    def test_reviewers_get_different_tasks(self):
        """A task handed to one reviewer is not handed to another; the first gets it again."""
        first = review.next_review(self.project, self.users["reviewer"])
        second = review.next_review(self.project, self.second_reviewer)
        self.assertNotEqual(first.pk, second.pk)
        self.assertEqual(review.next_review(self.project, self.users["reviewer"]).pk, first.pk)

    def test_accept(self):
        """Accepting makes the task reviewed and records the reviewer."""
        task = review.next_review(self.project, self.users["reviewer"])
        review.accept(task, self.users["reviewer"])
        task.refresh_from_db()
        self.assertEqual((task.state, task.reviewer), (State.REVIEWED, self.users["reviewer"]))
        self.assertNotEqual(review.next_review(self.project, self.users["reviewer"]).pk, task.pk)

    def test_reject_needs_a_comment(self):
        """A rejection without a comment is refused and changes nothing."""
        task = review.next_review(self.project, self.users["reviewer"])
        with self.assertRaisesMessage(review.NotReviewable, "needs a comment"):
            review.reject(task, self.users["reviewer"], "   ")
        self.assertEqual(Task.objects.get(pk=task.pk).state, State.COMPLETED)

    def test_reject_round_trip(self):
        """Rejected, the task returns to its labeler with the comment; completed again, it is accepted."""
        reviewer, labeler = self.users["reviewer"], self.users["labeler"]
        task = review.next_review(self.project, reviewer)
        review.reject(task, reviewer, "The car is missing")
        task.refresh_from_db()
        self.assertEqual(
            (task.state, task.labeler, task.review_comment), (State.REVIEW_FAILED, labeler, "The car is missing")
        )
        again = queue.next_task(self.project, labeler)
        self.assertEqual((again.pk, again.review_comment), (task.pk, "The car is missing"))
        queue.complete(again, labeler)
        self.assertEqual(review.next_review(self.project, reviewer).pk, task.pk)
        review.accept(Task.objects.get(pk=task.pk), reviewer)
        task.refresh_from_db()
        self.assertEqual((task.state, task.review_comment), (State.REVIEWED, ""))

    def test_only_finished_tasks_are_reviewable(self):
        """Accepting a task in progress is refused."""
        task = Task.objects.filter(project=self.project).first()
        review.accept(task, self.users["reviewer"])
        with self.assertRaisesMessage(review.NotReviewable, "Only completed or skipped tasks"):
            review.accept(Task.objects.get(pk=task.pk), self.users["reviewer"])
