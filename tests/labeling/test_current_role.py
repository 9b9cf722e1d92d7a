"""Every labeling write checks the member's role as it is now, not as it was when they got the task:
a labeler demoted to reviewer (or removed) can no longer save, skip or complete their task, and
nobody reviews a task they labelled, whatever their role."""

from django.test import TestCase
from django.urls import reverse

from formats import jsonio
from labeling import queue, review
from labeling.labels import read_labels, save_labels
from labeling.models import Task
from labeling.states import State
from projects import members
from projects.models import ProjectMember
from tests.labeling.test_queue import answered, make_project

OWN_WORK = "You labelled this task, so someone else has to review it."
DEMOTED = "Labeling needs the labeler or admin role in Roles; yours is reviewer."


class CurrentRoleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.project, cls.users = make_project("Roles", images=3)
        labeler = cls.users["labeler"]
        cls.done = queue.next_task(cls.project, labeler)
        save_labels(cls.done, answered(), cls.done.version, labeler)
        queue.complete(cls.done, labeler)
        cls.open = queue.next_task(cls.project, labeler)
        save_labels(cls.open, answered(), cls.open.version, labeler)

    def as_user(self, name):
        self.client.force_login(self.users[name])

    def post(self, name, task, body=None):
        return self.client.post(
            reverse(f"api:{name}", args=[task.pk]), jsonio.dumps(body or {}), content_type="application/json"
        )

    def demote(self, role="reviewer"):
        member = ProjectMember.objects.get(project=self.project, user=self.users["labeler"])
        members.change_role(self.project, member.pk, role)

    def test_demoted_labeler_cannot_save_their_task(self):
        """Demoted to reviewer, the labeler of a task in progress gets 403 and the labels stay."""
        self.demote()
        self.as_user("labeler")
        url = reverse("api:task-labels", args=[self.open.pk])
        self.assertIs(self.client.get(url).json()["editable"], False)
        body = {"document": {"geometries": [], "classifications": {}}, "version": 1}
        response = self.client.put(url, jsonio.dumps(body), content_type="application/json")
        self.assertEqual(response.status_code, 403, response.content)
        self.assertEqual(read_labels(Task.objects.get(pk=self.open.pk)), (answered(), 1))

    def test_demoted_labeler_cannot_complete_or_skip(self):
        self.demote()
        self.as_user("labeler")
        for action in ("task-complete", "task-skip"):
            response = self.post(action, self.open)
            self.assertEqual((response.status_code, response.json().get("detail")), (403, DEMOTED), action)
        self.assertEqual(Task.objects.get(pk=self.open.pk).state, State.IN_PROGRESS)

    def test_demoted_labeler_is_not_handed_their_own_task_to_review(self):
        """In the review queue they find nothing of theirs (there is nothing else), and cannot open it."""
        self.demote()
        self.as_user("labeler")
        response = self.client.get(reverse("labeling:review_queue", args=[self.project.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "labeling/review_empty.html")
        self.assertIsNone(Task.objects.get(pk=self.done.pk).reviewer)
        page = self.client.get(reverse("labeling:review", args=[self.done.pk]))
        self.assertContains(page, OWN_WORK, status_code=403)

    def test_nobody_accepts_or_rejects_their_own_task(self):
        """Demoted to reviewer, or an admin who labelled it: 403 with the reason, the task stays completed."""
        self.demote()
        self.as_user("labeler")
        accept = self.post("task-accept", self.done)
        reject = self.post("task-reject", self.done, {"comment": "Looks fine to me"})
        for response in (accept, reject):
            self.assertEqual((response.status_code, response.json().get("detail")), (403, OWN_WORK))
        self.assertEqual(Task.objects.get(pk=self.done.pk).state, State.COMPLETED)
        self.demote("admin")
        self.assertEqual(self.post("task-accept", self.done).status_code, 403)
        self.assertEqual(Task.objects.get(pk=self.done.pk).state, State.COMPLETED)

    def test_own_task_is_skipped_but_others_are_reviewed(self):
        """next_review passes over the user's own task, even one already handed to them, and gives the rest."""
        self.demote()
        labeler = self.users["labeler"]
        Task.objects.filter(pk=self.done.pk).update(reviewer=labeler)
        self.assertIsNone(review.next_review(self.project, labeler))
        reviewer = self.users["reviewer"]
        self.assertEqual(review.next_review(self.project, reviewer).pk, self.done.pk)
        self.as_user("reviewer")
        self.assertEqual(self.post("task-accept", self.done).status_code, 200)
        self.assertEqual(Task.objects.get(pk=self.done.pk).state, State.REVIEWED)

    def test_review_functions_refuse_own_work(self):
        """The plain functions refuse too, not only the views."""
        labeler = self.users["labeler"]
        self.demote()
        with self.assertRaisesMessage(review.NotYourReview, OWN_WORK):
            review.accept(Task.objects.get(pk=self.done.pk), labeler)
        with self.assertRaisesMessage(queue.NotYourTask, DEMOTED):
            queue.complete(Task.objects.select_related("project").get(pk=self.open.pk), labeler)

    def test_removed_labeler_cannot_touch_the_task(self):
        """Removed from the project, the former labeler gets 404 for their task and 403 nowhere leaks it."""
        member = ProjectMember.objects.get(project=self.project, user=self.users["labeler"])
        members.remove_member(self.project, member.pk)
        self.as_user("labeler")
        body = {"document": answered(), "version": 1}
        url = reverse("api:task-labels", args=[self.open.pk])
        self.assertEqual(self.client.put(url, jsonio.dumps(body), content_type="application/json").status_code, 404)
        self.assertEqual(self.post("task-complete", self.open).status_code, 404)
        self.assertEqual(Task.objects.get(pk=self.open.pk).state, State.IN_PROGRESS)

    def test_labeler_keeps_working_while_their_role_holds(self):
        """The checks refuse only what they should: the labeler still saves and completes."""
        self.as_user("labeler")
        url = reverse("api:task-labels", args=[self.open.pk])
        body = {"document": answered(), "version": 1}
        self.assertEqual(self.client.put(url, jsonio.dumps(body), content_type="application/json").status_code, 200)
        self.assertEqual(self.post("task-complete", self.open).status_code, 200)
