"""The labels API: reading, saving with versions (409 when stale), validation errors and permissions."""

from django.test import TestCase
from django.urls import reverse

from labeling import queue
from labeling.models import Task
from labeling.states import State
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
        self.assertEqual(response.json()["code"], "stale_version")
        self.assertEqual(response.json()["version"], 1)
        self.assertIn("Someone else changed this task", response.json()["detail"])
        self.assertEqual(self.client.get(self.url()).json()["document"], answered())

    def test_invalid_document_is_400_with_paths(self):
        """A document breaking the configuration is a 400 listing each path and message."""
        bad = {**POLYGON, "coordinates": [[1, 1], [500, 1], [50, 40]]}
        response = self.put({"document": {"geometries": [bad]}, "version": 0})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json()["errors"],
            [{"path": "geometries[0].coordinates[1][0]", "message": "500 is outside the image (0 to 100)"}],
        )

    def test_bad_bodies_are_400(self):
        """Missing fields, a negative version, or a document that is not an object give 400, never 500."""
        for body in ({}, {"document": {}, "version": -1}, {"document": [1], "version": 0}, {"version": "x"}):
            response = self.put(body)
            self.assertEqual(response.status_code, 400, body)
            self.assertTrue(all({"path", "message"} <= set(e) for e in response.json()["errors"]))
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
        from django.contrib.auth import get_user_model

        self.client.force_login(get_user_model().objects.create(username="stranger"))
        self.assertEqual(self.client.get(self.url()).status_code, 404)

    def test_complete_refused_then_done(self):
        """Complete answers 400 naming missing answers, then succeeds with the next page's address."""
        self.client.force_login(self.users["labeler"])
        response = self.client.post(self.url("task-complete"))
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["missing"], ["`Time of day` is required (image question)"])
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
