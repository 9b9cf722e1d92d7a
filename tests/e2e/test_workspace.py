"""The labeling workspace in real Chromium: drawing every geometry kind, answering, completing, exporting."""

import io

import pytest

from formats import datagym, jsonio
from labeling.labels import read_labels
from labeling.models import Task
from labeling.states import State
from tests.e2e.conftest import at, click_at, drag, wait_ready, wait_saved


def choose(page, question, option):
    """Tick the radio button or checkbox `option` of the question box whose key path is `question`."""
    page.locator(f'fieldset[data-key="{question}"] > label', has_text=option).first.click()


@pytest.mark.browser
def test_label_every_kind_complete_and_export(open_as, street_project):
    """A labeler draws one shape of each kind (a hole and a nested point too), answers, completes;
    the DataGym export of the task holds exactly those labels at the drawn coordinates."""
    project, users = street_project
    page = open_as(users["labeler"], f"/projects/{project.pk}/label")
    wait_ready(page)
    page.click('[data-command="actual-size"]')

    # Car: a polygon by clicks, finished with Enter; its questions, one nested under another.
    page.keyboard.press("1")
    for point in [(100, 300), (220, 300), (230, 380), (100, 390)]:
        click_at(page, *point)
    page.keyboard.press("Enter")
    choose(page, "car_type", "sedan")
    choose(page, "damage", "dent")
    choose(page, "damage.severity", "high")

    # Pedestrian: a rectangle by drag, then its nested head point with its own question.
    page.keyboard.press("2")
    drag(page, (400, 80), (460, 260))
    page.locator("#nested-list button.class-button", has_text="Head").click()
    click_at(page, 430, 100)
    choose(page, "looking_at_camera", "yes")

    # Lane marking: a line finished by a double-click on its last point.
    page.keyboard.press("3")
    click_at(page, 0, 410)
    click_at(page, 320, 375)
    page.mouse.dblclick(*at(page, 600, 340))

    # Traffic light: a point.
    page.keyboard.press("4")
    click_at(page, 512, 44)

    # Road: a segmentation outline closed by clicking its first point, then a hole cut into it.
    page.keyboard.press("5")
    for point in [(10, 250), (630, 250), (630, 470), (10, 470), (10, 250)]:
        click_at(page, *point)
    page.click('[data-tool="hole"]')
    for point in [(300, 400), (340, 400), (340, 440), (300, 440)]:
        click_at(page, *point)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")

    # Completing before the required image question is answered is refused, naming it.
    page.click("#complete")
    page.wait_for_selector("#message.error")
    assert page.text_content("#message") == "Answer these before completing:\nTime of day is required (image question)"
    choose(page, "tod", "day")
    choose(page, "tod.lighting", "sunlight")
    page.select_option('fieldset[data-key="weather"] select', "rainy")
    page.fill('fieldset[data-key="comment"] textarea', "Wet <b>road</b>")
    task = Task.objects.get(project=project, labeler=users["labeler"])
    page.click("#complete")
    page.wait_for_url(f"**/tasks/{task.pk + 1}/label")
    assert page.errors == []

    task.refresh_from_db()
    assert task.state == State.COMPLETED
    document, _ = read_labels(task)
    stream = io.BytesIO()
    row = {"internal_media_ID": str(task.media_id), "external_media_ID": task.media.original_name,
           "labeler": "labeler", "status": task.state, "segmentations": None, "document": document}  # fmt: skip
    datagym.write(stream, project.label_configuration.data, [row])
    exported = jsonio.loads(stream.getvalue())[1]
    assert exported["global_classifications"] == {
        "tod": ["day", {"lighting": ["sunlight"]}],
        "weather": ["rainy"],
        "comment": ["Wet <b>road</b>"],
    }
    xy = lambda points: [{"x": x, "y": y} for x, y in points]  # noqa: E731 - local shorthand
    assert exported["labels"] == {
        "car": [{
            "polygon": xy([(100, 300), (220, 300), (230, 380), (100, 390)]),
            "classifications": {"car_type": ["sedan"], "damage": ["dent", {"severity": ["high"]}]},
            "nested_geometries": {},
        }],
        "pedestrian": [{
            "rectangle": [{"x": 400, "y": 80, "w": 60, "h": 180}],
            "classifications": {"age_group": [None]},
            "nested_geometries": {"head": [{
                "point": [{"x": 430, "y": 100}],
                "classifications": {"looking_at_camera": ["yes"]},
            }]},
        }],
        "marking": [{
            "line": xy([(0, 410), (320, 375), (600, 340)]),
            "classifications": {"type_of_line": [None]},
            "nested_geometries": {},
        }],
        "traffic_light": [{"point": [{"x": 512, "y": 44}], "classifications": {}, "nested_geometries": {}}],
        "road": [{
            "image_segmentation": [
                xy([(10, 250), (630, 250), (630, 470), (10, 470)]),
                xy([(300, 400), (340, 400), (340, 440), (300, 440)]),
            ],
            "classifications": {},
            "nested_geometries": {},
        }],
    }  # fmt: skip


@pytest.mark.browser
def test_edit_vertices_undo_and_copy(open_as, street_project):
    """Dragging a vertex, inserting one at an edge midpoint, undo/redo and copy/paste edit the labels."""
    project, users = street_project
    page = open_as(users["labeler"], f"/projects/{project.pk}/label")
    wait_ready(page)
    page.click('[data-command="actual-size"]')
    page.keyboard.press("1")
    for point in [(100, 100), (200, 100), (200, 200)]:
        click_at(page, *point)
    page.keyboard.press("Enter")
    # Filled even-odd, as its mask is rendered (docs/decisions.md, "Masks").
    assert page.evaluate("getComputedStyle(document.querySelector('#canvas .shape.area')).fillRule") == "evenodd"
    page.keyboard.press("v")
    drag(page, (200, 200), (250, 220))
    click_at(page, 150, 100)  # the midpoint handle of the first edge inserts a vertex there
    model = "window.labelyard.model.doc.geometries"
    assert page.evaluate(f"{model}[0].coordinates") == [[100, 100], [150, 100], [200, 100], [250, 220]]
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    assert page.evaluate(f"{model}[0].coordinates") == [[100, 100], [200, 100], [200, 200]]
    page.keyboard.press("Control+Shift+z")
    assert page.evaluate(f"{model}[0].coordinates") == [[100, 100], [200, 100], [250, 220]]
    click_at(page, 180, 130)
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    assert page.evaluate(f"{model}[1].coordinates") == [[110, 110], [210, 110], [260, 230]]
    page.keyboard.press("Delete")
    assert page.evaluate(f"{model}.length") == 1
    wait_saved(page)
    document, version = read_labels(Task.objects.get(project=project, labeler=users["labeler"]))
    assert [g["coordinates"] for g in document["geometries"]] == [[[100, 100], [200, 100], [250, 220]]]
    assert page.errors == []
