"""Round trip: importing an export gives the same labels back (labeling/importing.py reads DataGym JSON)."""

import itertools

import pytest
from django.test import TestCase
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports import build
from labeling import importing
from labeling.models import Task, TaskLabels
from tests.exports.conftest import make_project, stored_bytes

EXAMPLE_NUMBERS = itertools.count()  # project names must differ between examples of one transaction

pytestmark = pytest.mark.django_db

WIDTH, HEIGHT = 640, 480
CONFIGURATION = {
    "entries": [
        {"key": "car", "name": "Car", "kind": "polygon", "children": [
            {"key": "car_type", "name": "Car type", "kind": "option", "options": ["suv", "sedan"]},
            {"key": "wheel", "name": "Wheel", "kind": "point"},
        ]},
        {"key": "sign", "name": "Sign", "kind": "rectangle"},
        {"key": "lane", "name": "Lane", "kind": "line"},
        {"key": "road", "name": "Road", "kind": "image_segmentation"},
        {"key": "weather", "name": "Weather", "kind": "checklist", "options": ["rain", "fog", "snow"]},
    ]
}  # fmt: skip

xs = st.integers(0, WIDTH) | st.floats(0, WIDTH, allow_nan=False).map(lambda v: round(v, 2))
ys = st.integers(0, HEIGHT) | st.floats(0, HEIGHT, allow_nan=False).map(lambda v: round(v, 2))
points = st.tuples(xs, ys).map(list)


@st.composite
def rectangles(draw):
    x, y = draw(st.integers(0, WIDTH - 1)), draw(st.integers(0, HEIGHT - 1))
    return [x, y, draw(st.integers(0, WIDTH - x)), draw(st.integers(0, HEIGHT - y))]


@st.composite
def segmentations(draw):
    x, y = draw(st.integers(0, WIDTH - 100)), draw(st.integers(0, HEIGHT - 100))
    size = draw(st.integers(40, 100))
    outline = [[x, y], [x + size, y], [x + size, y + size], [x, y + size]]
    rings = [outline]
    if draw(st.booleans()):
        rings.append([[x + 10, y + 10], [x + 20, y + 10], [x + 15, y + 20]])
    return rings


@st.composite
def documents(draw):
    geometries = []
    for n in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["car", "sign", "lane", "road"]))
        geometry = {"id": f"g{n}", "class": kind, "classifications": {}}
        if kind == "car":
            geometry["coordinates"] = draw(st.lists(points, min_size=3, max_size=8))
            if draw(st.booleans()):
                geometry["classifications"]["car_type"] = {"values": [draw(st.sampled_from(["suv", "sedan"]))]}
            geometry["nested"] = [
                {"id": f"g{n}w{k}", "class": "wheel", "coordinates": draw(points), "classifications": {}}
                for k in range(draw(st.integers(0, 2)))
            ]
        elif kind == "sign":
            geometry["coordinates"] = draw(rectangles())
        elif kind == "lane":
            geometry["coordinates"] = draw(st.lists(points, min_size=2, max_size=6))
        else:
            geometry["coordinates"] = draw(segmentations())
        geometries.append(geometry)
    classifications = {}
    chosen = draw(st.lists(st.sampled_from(["rain", "fog", "snow"]), unique=True))
    if chosen:
        classifications["weather"] = {"values": chosen}
    return {"geometries": geometries, "classifications": classifications}


def comparable(document):
    """The labels without what an import may renumber or mark: ids and sources."""

    def geometry(g):
        return {
            "class": g["class"],
            "coordinates": g["coordinates"],
            "classifications": g.get("classifications") or {},
            "nested": [geometry(n) for n in g.get("nested") or []],
        }

    return {
        "geometries": sorted((geometry(g) for g in document.get("geometries", [])), key=repr),
        "classifications": document.get("classifications") or {},
    }


class TestRoundTrip:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(documents(), min_size=1, max_size=3))
    def test_import_of_export_gives_the_labels_back(self, labels):
        """import(export(labels)) == labels, segmentations and fractional coordinates included."""
        number = next(EXAMPLE_NUMBERS)
        source = make_project(f"source {number}", CONFIGURATION, labels, size=(WIDTH, HEIGHT))
        with TestCase.captureOnCommitCallbacks(execute=True):
            job, _ = build.start_export(source, None, build.normalise_options(), "http://testserver")
        job.refresh_from_db()
        target = make_project(f"target {number}", CONFIGURATION, [], size=(WIDTH, HEIGHT))
        target.datasets.add(*source.datasets.all())
        Task.objects.bulk_create(Task(project=target, media_id=t.media_id) for t in source.tasks.all())
        importing.import_labels(target, stored_bytes(job.file))
        for task in source.tasks.all():
            imported = TaskLabels.objects.get(task__project=target, task__media_id=task.media_id).document
            assert comparable(imported) == comparable(TaskLabels.objects.get(task=task).document)
