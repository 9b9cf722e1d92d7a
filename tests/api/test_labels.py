"""The labels API: reading, saving with versions (409 when stale), validation errors and permissions.

Every error body is the native API's one shape, {detail, code, errors} (docs/api.md), with
`version` beside them on a stale save; ErrorShapeTests writes each body out by hand.
"""

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse

from labeling import queue
from labeling.models import Task
from labeling.states import State
from projects.models import ProjectMember
from tests.labeling.test_queue import answered, make_project

POLYGON = {"id": "g1", "class": "car", "coordinates": [[1, 1], [50, 1], [50, 40]],
           "classifications": {"car_type": {"values": ["suv"]}}}  # fmt: skip


class LabelsApiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.project, cls.users = make_project("Api", images=2)
        cls.task = queue.next_task(cls.project, cls.users["labeler"])

    def url(self, name="task-labels", task=None):
        return reverse(f"api:{name}", args=[(task or self.task).pk])

    def put(self, body, user="labeler"):
        self.client.force_login(self.users[user])
        return self.client.put(self.url(), body, content_type="application/json")

    def test_get_empty_document(self):
        """An unlabeled task reads as an empty document at version 0, editable by its labeler."""
        self.client.force_login(self.users["labeler"])
        body = self.client.get(self.url()).json()
        self.assertEqual(
            body,
            {"task": self.task.pk, "state": "in_progress", "version": 0, "editable": True,
             "document": {"geometries": [], "classifications": {}}},
        )  # fmt: skip

    def test_save_bumps_version(self):
        """A save with the current version stores the document and answers the new version."""
        document = {"geometries": [POLYGON], "classifications": {"tod": {"values": ["day"]}}}
        response = self.put({"document": document, "version": 0})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["version"], 1)
        self.assertEqual(self.client.get(self.url()).json()["document"], document)

    def test_stale_save_is_409(self):
        """A save naming an older version is refused with 409 and the current version; nothing changes."""
        self.assertEqual(self.put({"document": answered(), "version": 0}).status_code, 200)
        response = self.put({"document": {"geometries": [POLYGON]}, "version": 0})
        self.assertEqual(response.status_code, 409)
        self.assertEqual(
            response.json(),
            {"detail": "Someone else changed this task since you loaded it; reload to see their version.",
             "code": "stale_version", "errors": [], "version": 1},
        )  # fmt: skip
        self.assertEqual(self.client.get(self.url()).json()["document"], answered())

    def test_invalid_document_is_400_with_paths(self):
        """A document breaking the configuration is a 400 listing each path and message."""
        bad = {**POLYGON, "coordinates": [[1, 1], [500, 1], [50, 40]]}
        response = self.put({"document": {"geometries": [bad]}, "version": 0})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(),
            {"detail": "The labels do not fit the label configuration.", "code": "invalid",
             "errors": [{"path": "geometries[0].coordinates[1][0]", "message": "500 is outside the image (0 to 100)"}]},
        )  # fmt: skip

    def test_bad_bodies_are_400(self):
        """Missing fields, a negative version, or a document that is not an object give 400, never 500."""
        for body in ({}, {"document": {}, "version": -1}, {"document": [1], "version": 0}, {"version": "x"}):
            response = self.put(body)
            self.assertEqual(response.status_code, 400, body)
            answer = response.json()
            self.assertEqual((set(answer), answer["code"]), ({"detail", "code", "errors"}, "invalid"), answer)
            self.assertTrue(answer["errors"] and all(set(e) == {"path", "message"} for e in answer["errors"]))
        self.assertEqual(
            self.put({"version": 0}).json(),
            {"detail": "The request is not valid.", "code": "invalid",
             "errors": [{"path": "document", "message": "This field is required."}]},
        )  # fmt: skip
        self.client.force_login(self.users["labeler"])
        response = self.client.put(self.url(), b"{not json", content_type="application/json")
        self.assertEqual(response.status_code, 400)

    def test_reviewer_reads_but_cannot_save(self):
        """A reviewer may read the labels (editable false) but a save is 403."""
        self.client.force_login(self.users["reviewer"])
        self.assertFalse(self.client.get(self.url()).json()["editable"])
        self.assertEqual(self.put({"document": answered(), "version": 0}, user="reviewer").status_code, 403)

    def test_admin_may_edit(self):
        """A project admin may save any task's labels."""
        self.assertEqual(self.put({"document": answered(), "version": 0}, user="admin").status_code, 200)

    def test_strangers_get_404(self):
        """A user outside the project cannot tell the task exists."""
        self.client.force_login(get_user_model().objects.create(username="stranger"))
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_complete_refused_then_done(self):
        """Complete answers 400 naming missing answers, then succeeds with the next page's address."""
        self.client.force_login(self.users["labeler"])
        response = self.client.post(self.url("task-complete"))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(),
            {"detail": "Answer these before completing: `Time of day` is required (image question)",
             "code": "incomplete", "errors": [{"path": "", "message": "`Time of day` is required (image question)"}]},
        )  # fmt: skip
        self.put({"document": answered(), "version": 0})
        response = self.client.post(self.url("task-complete"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["next_url"], reverse("labeling:queue", args=[self.project.pk]))
        self.assertEqual(Task.objects.get(pk=self.task.pk).state, State.COMPLETED)

    def test_review_actions(self):
        """A reviewer rejects with a comment (an empty one is 400); a labeler cannot accept."""
        self.put({"document": answered(), "version": 0})
        self.client.post(self.url("task-complete"))
        self.assertEqual(self.client.post(self.url("task-accept")).status_code, 403)
        self.client.force_login(self.users["reviewer"])
        self.assertEqual(self.client.post(self.url("task-reject"), {"comment": ""}).status_code, 400)
        response = self.client.post(
            self.url("task-reject"), {"comment": "Missing car"}, content_type="application/json"
        )
        self.assertEqual(response.json()["state"], "review_failed")

    def test_pages(self):
        """Start labeling redirects to the workspace; an empty review queue says so."""
        self.client.force_login(self.users["labeler"])
        response = self.client.get(reverse("labeling:queue", args=[self.project.pk]))
        self.assertRedirects(response, reverse("labeling:workspace", args=[self.task.pk]))
        self.assertContains(self.client.get(response.url), 'id="workspace-data"')
        self.client.force_login(self.users["reviewer"])
        self.assertContains(
            self.client.get(reverse("labeling:review_queue", args=[self.project.pk])), "Nothing to review"
        )
        self.assertEqual(self.client.get(reverse("labeling:queue", args=[self.project.pk])).status_code, 403)


class ErrorShapeTests(TestCase):
    """Each refusal of api/labels.py, with its whole body."""

    @classmethod
    def setUpTestData(cls):
        cls.project, cls.users = make_project("Shapes", images=2)
        cls.task = queue.next_task(cls.project, cls.users["labeler"])

    def post(self, name, user, body=None):
        self.client.force_login(self.users[user])
        url = reverse(f"api:{name}", args=[self.task.pk])
        return self.client.post(url, body or {}, content_type="application/json")

    def test_review_of_a_task_in_progress(self):
        response = self.post("task-accept", "reviewer")
        self.assertEqual(response.status_code, 400)
        sentence = "Only completed or skipped tasks can be reviewed; this one is in_progress."
        self.assertEqual(
            response.json(),
            {"detail": sentence, "code": "not_reviewable", "errors": [{"path": "", "message": sentence}]},
        )

    def test_reject_without_a_comment_field(self):
        response = self.post("task-reject", "reviewer")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(),
            {"detail": "The request is not valid.", "code": "invalid",
             "errors": [{"path": "comment", "message": "This field is required."}]},
        )  # fmt: skip

    def test_skip_by_someone_else(self):
        other = get_user_model().objects.create(username="shapes-other")
        ProjectMember.objects.create(project=self.project, user=other, role="labeler")
        self.client.force_login(other)
        response = self.client.post(reverse("api:task-skip", args=[self.task.pk]))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            response.json(),
            {"detail": "This task is not in progress for you; open your queue to get a task.",
             "code": "permission_denied", "errors": []},
        )  # fmt: skip

    def test_accept_by_a_labeler(self):
        response = self.post("task-accept", "labeler")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            response.json(),
            {"detail": "This needs the admin or reviewer role.", "code": "permission_denied", "errors": []},
        )

    def test_stranger_and_anonymous(self):
        self.client.force_login(get_user_model().objects.create(username="shapes-stranger"))
        response = self.client.get(reverse("api:task-labels", args=[self.task.pk]))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(set(response.json()), {"detail", "code", "errors"})
        self.assertEqual(response.json()["code"], "not_found")
        self.client.logout()
        response = self.client.post(reverse("api:task-skip", args=[self.task.pk]))
        self.assertEqual(response.status_code, 401)
        self.assertEqual(
            response.json(),
            {"detail": "Authentication credentials were not provided.", "code": "not_authenticated", "errors": []},
        )
