"""The label rules the workspace script applies reach it through the page data, from the Python
modules that own them (labeling/views/workspace.py rules()); static/labeling/ keeps no copies."""

import re
from unittest import mock

from django.test import TestCase
from django.urls import reverse

from formats import datagym, jsonio
from labeling import queue, review
from labeling.labels import save_labels
from labeling.views.workspace import rules
from rules import configuration as config
from rules import labels as document
from tests.labeling.test_queue import answered, make_project

# The rules as the modules that own them state them today, written out by hand.
TODAY = {
    "geometryKinds": ["point", "line", "polygon", "image_segmentation", "rectangle"],
    "minVertices": {"line": 2, "polygon": 3, "ring": 3},
    "radioMaxOptions": 3,
    "freetextDefaultLength": 255,
    "reviewCommentMaxLength": 5000,
}
PAGE_DATA = re.compile(r'<script id="workspace-data" type="application/json">(.*?)</script>', re.S)
COMMENT_BOX = re.compile(r'<textarea id="review-text" rows="3" maxlength="(\d+)">')


class WorkspaceRulesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.project, cls.users = make_project("Rules", images=2)
        cls.labeling = queue.next_task(cls.project, cls.users["labeler"])
        cls.completed = queue.next_task(cls.project, cls.users["labeler"], exclude=cls.labeling.pk)
        save_labels(cls.completed, answered(), cls.completed.version)
        queue.complete(cls.completed, cls.users["labeler"])

    def page(self, name, task, user):
        self.client.force_login(self.users[user])
        response = self.client.get(reverse(f"labeling:{name}", args=[task.pk]))
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        return jsonio.loads(PAGE_DATA.search(html).group(1)), html

    def test_rules_are_the_owning_modules_values(self):
        """rules() gives today's values, each read from the module that owns it."""
        self.assertEqual(rules(), TODAY)
        self.assertEqual(rules()["radioMaxOptions"], datagym.RADIO_MAX_OPTIONS)
        self.assertEqual(rules()["geometryKinds"], list(config.GEOMETRY_KINDS))
        self.assertEqual(rules()["minVertices"], {**document.MIN_POINTS, "ring": document.MIN_RING_POINTS})
        self.assertEqual(rules()["freetextDefaultLength"], config.DEFAULT_FREETEXT_LENGTH)
        self.assertEqual(rules()["reviewCommentMaxLength"], review.MAX_COMMENT_LENGTH)

    def test_labeling_page_carries_the_rules(self):
        """The labeler's workspace page data holds the rules."""
        data, _ = self.page("workspace", self.labeling, "labeler")
        self.assertEqual(data["mode"], "label")
        self.assertEqual(data["rules"], TODAY)

    def test_review_page_carries_the_rules(self):
        """The review page is the same workspace: same rules, and its comment box takes what the API takes."""
        data, html = self.page("review", self.completed, "reviewer")
        self.assertEqual(data["mode"], "review")
        self.assertEqual(data["rules"], TODAY)
        self.assertEqual(COMMENT_BOX.search(html).group(1), "5000")

    def test_changed_constants_change_what_the_page_gets(self):
        """Change the Python constants and both pages follow, with no other edit."""
        with (
            mock.patch.object(datagym, "RADIO_MAX_OPTIONS", 4),
            mock.patch.object(document, "MIN_POINTS", {"line": 5, "polygon": 6}),
            mock.patch.object(document, "MIN_RING_POINTS", 7),
            mock.patch.object(config, "GEOMETRY_KINDS", ("polygon", "point")),
            mock.patch.object(config, "DEFAULT_FREETEXT_LENGTH", 40),
            mock.patch.object(review, "MAX_COMMENT_LENGTH", 42),
        ):
            labeling, _ = self.page("workspace", self.labeling, "labeler")
            reviewing, html = self.page("review", self.completed, "reviewer")
        changed = {
            "geometryKinds": ["polygon", "point"],
            "minVertices": {"line": 5, "polygon": 6, "ring": 7},
            "radioMaxOptions": 4,
            "freetextDefaultLength": 40,
            "reviewCommentMaxLength": 42,
        }
        self.assertEqual(labeling["rules"], changed)
        self.assertEqual(reviewing["rules"], changed)
        self.assertEqual(COMMENT_BOX.search(html).group(1), "42")
