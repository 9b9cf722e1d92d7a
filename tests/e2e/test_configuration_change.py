"""A configuration change landing while the workspace saves, in real Chromium: the page says why the
save was refused (409 configuration_changed) instead of offering the version-conflict dialog."""

import copy

import pytest

from demo.seeding import CONFIGURATION
from labeling import queue
from labeling.configuring import save_configuration
from labeling.labels import read_labels
from rules import labels as labels_document
from tests.e2e.conftest import click_at, wait_ready


@pytest.mark.browser
def test_save_refused_by_a_configuration_change_is_shown_as_an_error(open_as, street_project, monkeypatch):
    project, users = street_project
    task = queue.next_task(project, users["labeler"])
    page = open_as(users["labeler"], f"/tasks/{task.pk}/label")
    wait_ready(page)
    page.click('[data-command="actual-size"]')

    without_lights = copy.deepcopy(CONFIGURATION)
    without_lights["entries"] = [e for e in without_lights["entries"] if e["key"] != "traffic_light"]
    validate, changed = labels_document.validate, []

    def change_after_the_check(*args, **kwargs):
        # The live server's thread: the save has checked its labels; the admin's change commits now.
        errors = validate(*args, **kwargs)
        if not changed:
            changed.append(save_configuration(project, without_lights))
        return errors

    monkeypatch.setattr(labels_document, "validate", change_after_the_check)
    page.keyboard.press("4")  # Traffic light, a point
    click_at(page, 100, 100)
    page.wait_for_selector("#save-status[data-state=error]", timeout=10_000)

    assert "The label configuration changed while you were saving" in page.text_content("#message")
    assert "`traffic_light` is not a geometry class here" in page.text_content("#message")
    assert page.is_hidden("#conflict")
    assert changed and read_labels(task) == ({"geometries": [], "classifications": {}}, 0)
