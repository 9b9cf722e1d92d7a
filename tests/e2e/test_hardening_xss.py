"""Stored cross-site scripting, checked in real Chromium: HTML and JavaScript in project, dataset,
image and class names, in descriptions, free-text answers and review comments are shown as text on
every page and in the workspace; none of it runs."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from labeling.creation import create_project
from labeling.labels import save_labels
from labeling.models import Task
from labeling.states import State
from projects.models import Dataset, Media, ProjectMember
from tests.e2e.conftest import wait_ready
from tests.test_permission_matrix import png_bytes

# Each payload sets window.__xss or opens a dialog if it ever runs; the tests listen for dialogs
# before the first navigation, as a payload runs while the page loads.
PAYLOADS = {
    "project": "<script>window.__xss='project'</script>P",
    "description": "<img src=x onerror=\"window.__xss='description'\">",
    "dataset": "<svg onload=window.__xss='dataset'>",
    "image": "<img src=x onerror=\"window.__xss='image';alert('image')\">.png",
    "class": "<img src=x onerror=\"window.__xss='class'\">",
    "question": "</script><script>window.__xss='question'</script>",
    "answer": "</script><img src=x onerror=\"window.__xss='answer'\">",
    "comment": "<iframe src=javascript:alert('comment')>",
}


@pytest.fixture
def hostile_project(chromium, transactional_db):
    users = {name: get_user_model().objects.create_user(name) for name in ("boss", "lab")}
    configuration = {
        "entries": [
            {"key": "car", "name": PAYLOADS["class"], "kind": "polygon",
             "children": [{"key": "note", "name": PAYLOADS["question"], "kind": "freetext"}]},
        ]
    }  # fmt: skip
    project = create_project(
        PAYLOADS["project"], configuration, owner=users["boss"], description=PAYLOADS["description"],
        short_description=PAYLOADS["description"],
    )  # fmt: skip
    ProjectMember.objects.create(project=project, user=users["lab"], role="labeler")
    dataset = Dataset.objects.create(name=PAYLOADS["dataset"], created_by=users["boss"])
    project.datasets.add(dataset)
    media = Media(dataset=dataset, original_name=PAYLOADS["image"], width=64, height=48, mime_type="image/png",
                  sha256="0" * 64)  # fmt: skip
    media.file.save("x.png", ContentFile(png_bytes()), save=False)
    media.save()
    task = Task.objects.create(project=project, media=media, state=State.IN_PROGRESS, labeler=users["lab"])
    document = {
        "geometries": [{"id": "g1", "class": "car", "source": "human", "coordinates": [[5, 5], [50, 5], [50, 40]],
                        "classifications": {"note": {"values": [PAYLOADS["answer"]]}}}],
        "classifications": {},
    }  # fmt: skip
    save_labels(Task.objects.select_related("project", "media").get(pk=task.pk), document, 0, users["lab"])
    Task.objects.filter(pk=task.pk).update(state=State.REVIEW_FAILED, review_comment=PAYLOADS["comment"])
    return project, dataset, task, users


def visit(open_as, live_server, user, path):
    """A page of `path` for `user` whose dialogs are recorded (and dismissed) from before it loads."""
    page = open_as(user)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(live_server.url + path)
    return page


def assert_nothing_ran(page, path):
    assert page.evaluate("window.__xss") is None, f"a stored script ran on {path}"
    assert not page.dialogs, f"a dialog opened on {path}: {page.dialogs}"
    assert not page.errors, f"script errors on {path}: {page.errors}"


@pytest.mark.browser
def test_no_stored_script_runs(open_as, live_server, hostile_project):
    project, dataset, task, users = hostile_project
    pages = [
        "/",
        f"/projects/{project.pk}/",
        f"/projects/{project.pk}/edit",
        f"/projects/{project.pk}/delete",
        f"/projects/{project.pk}/tasks",
        f"/projects/{project.pk}/members",
        f"/projects/{project.pk}/configuration",
        f"/projects/{project.pk}/export",
        f"/projects/{project.pk}/import",
        f"/projects/{project.pk}/images",
        "/datasets/",
        f"/datasets/{dataset.pk}/",
        f"/tasks/{task.pk}/label",
        f"/tasks/{task.pk}/review",
    ]
    for path in pages:
        page = visit(open_as, live_server, users["boss"], path)
        if "/tasks/" in path and path.endswith(("/label", "/review")):
            wait_ready(page)
        assert_nothing_ran(page, path)
    # The labeler's queue gives the rejected task back with its comment, shown as text.
    page = visit(open_as, live_server, users["lab"], f"/projects/{project.pk}/label")
    wait_ready(page)
    assert PAYLOADS["comment"] in page.text_content("#review-comment")
    assert_nothing_ran(page, "the labeler's queue")
    assert page.locator("iframe").count() == 0
    # The listener is live: a dialog that does open is recorded.
    page.evaluate("alert('canary')")
    assert page.dialogs == ["canary"]


@pytest.mark.browser
def test_names_are_shown_as_text(open_as, hostile_project):
    project, dataset, task, users = hostile_project
    page = open_as(users["boss"], f"/projects/{project.pk}/")
    assert PAYLOADS["project"] in page.text_content("body")
    page = open_as(users["boss"], f"/datasets/{dataset.pk}/")
    text = page.text_content("body")
    assert PAYLOADS["dataset"] in text and PAYLOADS["image"] in text
