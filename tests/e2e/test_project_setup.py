"""An admin sets a project up in the browser alone, a labeler labels, the dashboard counts it."""

import base64
import io

import pytest
from PIL import Image

from labeling.models import Task
from labeling.states import State
from projects.models import Media, Project
from tests.e2e.conftest import click_at, wait_ready

DROP_FILES = """
async ([selector, files]) => {
  const transfer = new DataTransfer();
  for (const [name, data] of files) {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    transfer.items.add(new File([bytes], name, { type: "image/png" }));
  }
  const zone = document.querySelector(selector);
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }
}
"""


def png_base64(seed):
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (40 * seed, 120, 200)).save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def edit_field(page, row_key, field, value):
    box = page.locator(f'.config-row[data-key="{row_key}"] .{field}')
    box.fill(value)
    box.press("Tab")


@pytest.mark.browser
def test_admin_sets_up_a_project_and_the_dashboard_counts_the_work(open_as, django_user_model):
    boss = django_user_model.objects.create_user("boss")
    labeler = django_user_model.objects.create_user("lab")

    # A project, from the project list.
    page = open_as(boss, "/")
    page.click("text=New project")
    page.fill("#id_name", "Harbour")
    page.click("button:has-text('Create project')")
    project = Project.objects.get(name="Harbour")

    # A dataset attached to it, filled with three images dropped on the page.
    page.click("header >> text=Datasets")
    page.fill("#id_name", "harbour-batch")
    page.click("button:has-text('Create dataset')")
    # The drop goes to the page the attach reloads, once its scripts have run.
    with page.expect_navigation():
        page.click("form.attach-row button:has-text('Attach')")
    page.evaluate(DROP_FILES, ["#drop-zone", [[f"boat_{i}.png", png_base64(i)] for i in range(3)]])
    page.wait_for_selector("#upload-summary:has-text('Done:')")
    assert page.text_content("#upload-summary") == "Done: 3 image(s) added.", page.text_content("#upload-errors")
    assert sorted(Media.objects.values_list("original_name", flat=True)) == ["boat_0.png", "boat_1.png", "boat_2.png"]
    assert Task.objects.filter(project=project).count() == 3

    # A polygon class with a nested option question, built in the tree editor.
    page.goto(page.url.split("/datasets/")[0] + f"/projects/{project.pk}/configuration")
    page.click(".add-geometry")
    edit_field(page, "polygon_1", "entry-key", "boat")
    edit_field(page, "boat", "entry-name", "Boat")
    page.click('.config-row[data-key="boat"] .add-child-question')
    edit_field(page, "question_1", "entry-key", "boat_type")
    page.wait_for_selector(".config-status.valid")
    page.click("button:has-text('Save configuration')")
    page.wait_for_selector("text=Label configuration saved.")
    boat = project.label_configuration.__class__.objects.get(project=project).entries[0]
    assert (boat["key"], boat["kind"], boat["children"][0]["key"]) == ("boat", "polygon", "boat_type")

    # The labeler joins; the tasks go to the queue.
    page.click("a.button:has-text('Members')")
    page.fill("input[name=username]", "lab")
    page.click("#add-member button")
    page.wait_for_selector("#members td:text-is('lab')")
    page.goto(page.url.replace("/members", "/tasks"))
    page.check("#select-all")
    page.click("button:has-text('Apply to selected')")
    page.wait_for_selector("text=3 task(s) changed")

    # The labeler draws a boat, answers the nested question and completes the task.
    work = open_as(labeler, f"/projects/{project.pk}/label")
    wait_ready(work)
    work.click('[data-command="actual-size"]')
    work.locator("#class-list button.class-button", has_text="Boat").click()
    for point in [(40, 40), (200, 50), (180, 160)]:
        click_at(work, *point)
    work.keyboard.press("Enter")
    work.locator('fieldset[data-key="boat_type"] > label', has_text="Yes").first.click()
    first_task = work.url
    work.click("#complete")
    work.wait_for_function("(url) => location.href !== url", arg=first_task)
    assert Task.objects.filter(project=project, state=State.COMPLETED).count() == 1

    # The dashboard counts it.
    page.goto(page.url.split("/projects/")[0] + f"/projects/{project.pk}/")
    counts = page.text_content("#task-counts")
    assert "Completed1" in counts.replace(" ", "").replace("\n", "")
    assert "Boat1" in page.text_content("#class-counts").replace(" ", "").replace("\n", "")
    assert "lab" in page.text_content("#labeler-counts")
    assert page.errors == [] and work.errors == []
