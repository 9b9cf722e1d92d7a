"""Review and conflicts in real Chromium: reject with a comment and fix; two sessions editing one task."""

import pytest

from demo.seeding import demo_labels
from labeling import queue
from labeling.labels import read_labels, save_labels
from labeling.models import Task
from labeling.states import State
from tests.e2e.conftest import click_at, wait_ready, wait_saved


def completed_task(project, labeler):
    task = queue.next_task(project, labeler)
    save_labels(task, demo_labels(task.media.width, task.media.height), task.version, labeler)
    return queue.complete(task, labeler)


@pytest.mark.browser
def test_reject_fix_accept(open_as, street_project, live_server):
    """A reviewer rejects with a comment; the labeler gets the task back with it, fixes it; accepted."""
    project, users = street_project
    task = completed_task(project, users["labeler"])

    reviewer = open_as(users["reviewer"], f"/projects/{project.pk}/review")
    wait_ready(reviewer)
    assert reviewer.url.endswith(f"/tasks/{task.pk}/review")
    assert reviewer.locator("#canvas .shape").count() == 6
    assert reviewer.is_disabled('fieldset[data-key="tod"] input[value="day"]')
    reviewer.click("#reject")
    assert "Write what the labeler should fix" in reviewer.text_content("#message")
    reviewer.fill("#review-text", "The second car is missing")
    reviewer.click("#reject")
    reviewer.wait_for_selector("#review-empty")
    assert Task.objects.get(pk=task.pk).state == State.REVIEW_FAILED

    labeler = open_as(users["labeler"], f"/projects/{project.pk}/label")
    wait_ready(labeler)
    assert labeler.url.endswith(f"/tasks/{task.pk}/label")
    assert labeler.is_visible("#review-comment")
    assert labeler.text_content("#review-comment-text") == "The second car is missing"
    labeler.click('[data-command="actual-size"]')
    labeler.keyboard.press("1")
    for point in [(450, 300), (600, 300), (600, 360), (450, 360)]:
        click_at(labeler, *point)
    labeler.keyboard.press("Enter")
    labeler.locator('fieldset[data-key="car_type"] > label', has_text="suv").click()
    labeler.click("#complete")
    labeler.wait_for_url(f"**/tasks/{task.pk + 1}/label")

    reviewer.goto(f"{live_server.url}/projects/{project.pk}/review")
    wait_ready(reviewer)
    assert reviewer.locator("#canvas .shape").count() == 7
    reviewer.click("#accept")
    reviewer.wait_for_selector("#review-empty")
    task.refresh_from_db()
    assert (task.state, task.reviewer, task.review_comment) == (State.REVIEWED, users["reviewer"], "")
    assert labeler.errors == reviewer.errors == []


@pytest.mark.browser
def test_two_sessions_conflict_loses_nothing(open_as, street_project):
    """When two sessions edit one task, the later save gets the conflict message; both edits survive."""
    project, users = street_project
    task = queue.next_task(project, users["labeler"])
    first = open_as(users["labeler"], f"/tasks/{task.pk}/label")
    second = open_as(users["admin"], f"/tasks/{task.pk}/label")
    for page in (first, second):
        wait_ready(page)
        page.click('[data-command="actual-size"]')

    first.keyboard.press("4")
    click_at(first, 100, 100)
    wait_saved(first)
    second.keyboard.press("4")
    click_at(second, 200, 200)
    second.wait_for_selector("#conflict", state="visible")
    # The version comes from the 409's body (api/errors.py ERROR_SCHEMA `version`).
    assert "Someone else changed this task" in second.text_content("#conflict-text")
    assert "(it is now at version 1)" in second.text_content("#conflict-text")
    assert second.get_attribute("#save-status", "data-state") == "conflict"

    document, _ = read_labels(task)
    assert [g["coordinates"] for g in document["geometries"]] == [[100, 100]]
    assert second.evaluate("window.labelyard.model.doc.geometries.map(g => g.coordinates)") == [[200, 200]]

    second.click("#conflict-merge")
    wait_saved(second)
    document, _ = read_labels(task)
    assert sorted(g["coordinates"] for g in document["geometries"]) == [[100, 100], [200, 200]]
    assert first.errors == second.errors == []
